import * as assert from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { app } from 'egg-mock/bootstrap';
import { Sequelize } from 'sequelize';
import * as sqlite3 from 'sqlite3';
import { WriteTurns } from '../../../app/lib/sqliteWriteTurns/client';
import { WriteTurnServer } from '../../../app/lib/sqliteWriteTurns/server';
import { writeTurnSocketPathFor } from '../../../app/lib/sqliteWriteTurns/protocol';
import { sqliteWriteTurns } from '../../../app/lib/sqliteTuning';
import { registerUser } from '../../helpers/api';
import { sleep } from '../../helpers/server';

/**
 * app/lib/sqliteWriteTurns: the workers of the embedded profile take turns to write the SQLite file,
 * ordered by the agent, instead of polling for its lock with SQLite's growing sleeps (where one worker's
 * writes waited for seconds while the other's went on back to back).
 */
describe('test/app/lib/sqliteWriteTurns.test.ts', function() {
  this.timeout(60_000);
  let dir: string;
  const opened: Array<{ close(): unknown }> = [];
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eggchat-turns-')); });
  afterEach(async () => {
    for (const item of opened.splice(0).reverse()) await item.close();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  let served = 0;
  async function server(): Promise<WriteTurnServer> {
    const turnServer = new WriteTurnServer(path.join(dir, `turns-${++served}.sock`));
    assert.strictEqual(await turnServer.listen(), true);
    opened.push(turnServer);
    return turnServer;
  }
  async function client(turnServer: WriteTurnServer): Promise<WriteTurns> {
    const turns = new WriteTurns(turnServer.socketPath);
    opened.push(turns);
    // The first write only starts the connection (it goes ahead at once); give it a moment.
    await turns.run(() => Promise.resolve());
    await sleep(50);
    return turns;
  }
  /** A write of `ms` that records when it started and ended. */
  const write = (log: string[], name: string, ms: number) => async () => {
    log.push(`${name} start`);
    await sleep(ms);
    log.push(`${name} end`);
  };

  it('serves one holder at a time: a waiting worker gets the turn when the holder\'s writes end, not before', async () => {
    const turnServer = await server();
    const [ a, b ] = [ await client(turnServer), await client(turnServer) ];
    const log: string[] = [];
    const first = a.run(write(log, 'a1', 150));
    await sleep(20);
    const second = b.run(write(log, 'b1', 10));
    await Promise.all([ first, second ]);
    assert.deepStrictEqual(log, [ 'a1 start', 'a1 end', 'b1 start', 'b1 end' ]);
  });

  it('a holder told that someone waits lets its later writes wait behind them (first come, first served)', async () => {
    const turnServer = await server();
    const [ a, b ] = [ await client(turnServer), await client(turnServer) ];
    const log: string[] = [];
    const runs = [ a.run(write(log, 'a1', 100)) ];
    await sleep(20);
    runs.push(b.run(write(log, 'b1', 50)));
    await sleep(20);
    // Past the holder's quantum: this one waits for b's turn to end.
    runs.push(a.run(write(log, 'a2', 10)));
    await Promise.all(runs);
    assert.deepStrictEqual(log, [ 'a1 start', 'a1 end', 'b1 start', 'b1 end', 'a2 start', 'a2 end' ]);
  });

  it('keeps the turn while nobody else asks, hands it over when asked, and the socket file goes with the server', async () => {
    const turnServer = await server();
    const [ a, b ] = [ await client(turnServer), await client(turnServer) ];
    await a.run(() => Promise.resolve());
    await sleep(100);
    assert.strictEqual(a.holding, true, 'kept while idle: its next writes need no round trip');
    await b.run(() => Promise.resolve());
    assert.strictEqual(b.holding, true);
    assert.strictEqual(a.holding, false);
    const socketPath = turnServer.socketPath;
    await turnServer.close();
    assert.ok(!fs.existsSync(socketPath), 'the socket file is removed on close');
    await sleep(50);
    assert.strictEqual(b.holding, false, 'a turn ends with the agent');
  });

  it('gives the turn to the next worker at once when the holder\'s connection closes (a worker that died)', async () => {
    const turnServer = await server();
    const [ a, b ] = [ await client(turnServer), await client(turnServer) ];
    let releaseA!: () => void;
    const holding = a.run(() => new Promise<void>(resolve => { releaseA = resolve; }));
    await sleep(20);
    const started = Date.now();
    const waiting = b.run(() => Promise.resolve(Date.now() - started));
    await sleep(100);
    a.close();
    const waited = await waiting;
    assert.ok(waited >= 100 && waited < 600, `b waited ${waited} ms`);
    releaseA();
    await holding;
  });

  it('never stops a write: no agent, or an agent that does not answer, and the write goes ahead (SQLite\'s busy timeout orders it)', async () => {
    const missing = new WriteTurns(path.join(dir, 'nobody.sock'));
    opened.push(missing);
    let started = Date.now();
    assert.strictEqual(await missing.run(() => Promise.resolve('written')), 'written');
    assert.ok(Date.now() - started < 100);

    // A server that accepts connections and never grants anything.
    const silentPath = path.join(dir, 'silent.sock');
    const silent = net.createServer(socket => socket.on('data', () => undefined));
    await new Promise<void>(resolve => silent.listen(silentPath, resolve));
    opened.push({ close: () => new Promise(resolve => silent.close(resolve)) });
    const turns = new WriteTurns(silentPath);
    opened.push(turns);
    await turns.run(() => Promise.resolve());
    await sleep(50);
    started = Date.now();
    assert.strictEqual(await turns.run(() => Promise.resolve('written')), 'written');
    const waited = Date.now() - started;
    assert.ok(waited >= 900 && waited < 2000, `went ahead after ${waited} ms`);
  });

  it('replaces a socket file left by a killed agent, and leaves a live one to its server', async () => {
    const socketPath = path.join(dir, 'left.sock');
    // A process that listens there and is killed (SIGKILL: nothing removes the file).
    const killed = spawn(process.execPath, [ '-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))` ]);
    await new Promise(resolve => killed.once('exit', resolve));
    assert.ok(fs.existsSync(socketPath));
    const turnServer = new WriteTurnServer(socketPath);
    opened.push(turnServer);
    assert.strictEqual(await turnServer.listen(), true);
    const second = new WriteTurnServer(socketPath);
    assert.strictEqual(await second.listen(), false, 'a second server leaves the live one alone');
    const turns = await client(turnServer);
    assert.strictEqual(await turns.run(() => Promise.resolve(1)), 1);
  });

  it('two processes writing one SQLite file back to back both get their share, and no write waits long', async function() {
    const file = path.join(dir, 'shared.sqlite');
    await new Promise<void>((resolve, reject) => {
      const db = new sqlite3.Database(file);
      db.exec('PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, pid INTEGER)', err => db.close(() => (err ? reject(err) : resolve())));
    });
    const turnServer = await server();
    // test/fixtures/sqliteWriter.ts: 2 s of back-to-back transactions each. Without the turns, the same
    // run had single waits of 330-1,530 ms and one process committing 2,184 against the other's 10,279.
    const writers = [ 0, 1 ].map(() => spawn(process.execPath, [ '-r', 'ts-node/register/transpile-only', path.join(__dirname, '../../fixtures/sqliteWriter.ts'), file, turnServer.socketPath, '2000' ], {
      cwd: app.baseDir, stdio: [ 'pipe', 'pipe', 'inherit' ],
    }));
    const outputs = writers.map(child => new Promise<string>((resolve, reject) => {
      let text = '';
      child.stdout!.on('data', chunk => { text += chunk; });
      child.once('exit', code => (code === 0 ? resolve(text) : reject(new Error(`writer exited with ${code}`))));
    }));
    await Promise.all(writers.map(child => new Promise(resolve => child.stdout!.once('data', resolve))));
    for (const child of writers) child.stdin!.end('go\n');
    const results = (await Promise.all(outputs)).map(text => JSON.parse(text.trim().split('\n').pop()!) as { count: number; maxWaitMs: number });
    const total = results[0].count + results[1].count;
    for (const [ i, result ] of results.entries()) {
      assert.ok(result.count >= total * 0.3, `process ${i} committed ${result.count} of ${total}`);
      assert.ok(result.maxWaitMs < 250, `process ${i} waited up to ${result.maxWaitMs} ms for the lock`);
    }
  });

  it('the embedded profile\'s app writes in turns served by its agent', async function() {
    await app.ready();
    if (app.model.getDialect() !== 'sqlite') {
      // eslint-disable-next-line no-console
      console.log('      (skipped: write turns are for the embedded profile — no DATABASE_URL)');
      this.skip();
    }
    const socketPath = writeTurnSocketPathFor(app.config.sequelize as any, true)!;
    assert.ok(fs.existsSync(socketPath), `the agent serves ${socketPath}`);
    const turns = sqliteWriteTurns(app.model as unknown as Sequelize);
    assert.ok(turns, 'the app\'s writes take turns');
    // A registration (a transaction) takes the turn; the agent's server then has this process as holder:
    // another client asking waits for it to be handed over.
    await registerUser(app);
    await registerUser(app);
    assert.strictEqual(turns!.holding, true, 'the app holds the turn after its writes');
    const other = new WriteTurns(socketPath);
    opened.push(other);
    await other.run(() => Promise.resolve());
    await sleep(50);
    const started = Date.now();
    await other.run(() => Promise.resolve());
    // Handed over at once (the app is idle), not after the 1 s grant timeout.
    assert.ok(Date.now() - started < 500, `handed over after ${Date.now() - started} ms`);
    assert.strictEqual(turns!.holding, false);
    // And the app's next write asks for it back, and gets it.
    await registerUser(app);
    assert.strictEqual(turns!.holding, true);
  });
});
