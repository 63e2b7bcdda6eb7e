import * as assert from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { assertDatabaseReachable, assertJwtSecret, assertRedisReachable, StartupError } from '../../../app/lib/startup';
import { DEFAULT_JWT_SECRET } from '../../../config/config.default';
import { startRedis } from '../../helpers/server';

const BASE_DIR = path.resolve(__dirname, '..', '..', '..');

/** A port nothing listens on (connections are refused). */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** A port that accepts connections and never answers (a firewall dropping packets looks the same to a client). */
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer(socket => sockets.add(socket));
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise(resolve => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

const mysqlOptions = (port: number) => ({ dialect: 'mysql', host: '127.0.0.1', port, username: 'root', password: '', database: 'eggchat' });

async function rejectsWithin(promise: Promise<unknown>, ms: number, pattern: RegExp) {
  const started = Date.now();
  await assert.rejects(promise, (err: Error) => {
    assert.ok(err instanceof StartupError, `a StartupError, got ${err}`);
    assert.match(err.message, pattern);
    return true;
  });
  assert.ok(Date.now() - started < ms, `failed within ${ms} ms (took ${Date.now() - started} ms)`);
}

/** Starts the real cluster (master + agent + one worker) from the TypeScript sources, without compiling. */
const START_CLUSTER = "require('egg').startCluster({ baseDir: process.cwd(), workers: 1, port: Number(process.env.PORT), typescript: true })";

function startCluster(env: Record<string, string | undefined>, timeoutMs: number): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, EGG_TYPESCRIPT: 'true' };
  for (const [ key, value ] of Object.entries(env)) if (value !== undefined) childEnv[key] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ '-r', 'ts-node/register/transpile-only', '-e', START_CLUSTER ], {
      cwd: BASE_DIR, env: childEnv, detached: true, stdio: [ 'ignore', 'pipe', 'pipe' ],
    });
    let output = '';
    child.stdout.on('data', chunk => { output += chunk; });
    child.stderr.on('data', chunk => { output += chunk; });
    const timer = setTimeout(() => {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
      reject(new Error(`the server was still running after ${timeoutMs} ms:\n${output.slice(-3000)}`));
    }, timeoutMs);
    child.on('exit', code => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

describe('test/app/lib/startup.test.ts', () => {
  describe('assertJwtSecret', () => {
    const saved = process.env.JWT_SECRET;
    afterEach(() => {
      if (saved === undefined) delete process.env.JWT_SECRET; else process.env.JWT_SECRET = saved;
    });

    it('refuses production without a JWT_SECRET of its own, and says how to make one', () => {
      delete process.env.JWT_SECRET;
      assert.throws(() => assertJwtSecret('prod', DEFAULT_JWT_SECRET), /JWT_SECRET must be set .*openssl rand -hex 32/);
      process.env.JWT_SECRET = DEFAULT_JWT_SECRET;
      assert.throws(() => assertJwtSecret('prod', DEFAULT_JWT_SECRET), StartupError);
      process.env.JWT_SECRET = 'a-secret-of-my-own';
      assertJwtSecret('prod', 'a-secret-of-my-own');
    });

    it('lets development and tests run with the placeholder', () => {
      delete process.env.JWT_SECRET;
      assertJwtSecret('local', DEFAULT_JWT_SECRET);
      assertJwtSecret('unittest', DEFAULT_JWT_SECRET);
    });
  });

  describe('assertDatabaseReachable', () => {
    it('names host:port and the reason when the connection is refused', async () => {
      const port = await closedPort();
      await rejectsWithin(assertDatabaseReachable(mysqlOptions(port), 2000), 3000,
        new RegExp(`^Cannot reach the database at 127\\.0\\.0\\.1:${port} \\(DATABASE_URL\\): .*ECONNREFUSED`));
    });

    it('gives up after the connect timeout when nothing answers', async () => {
      const silent = await silentServer();
      try {
        await rejectsWithin(assertDatabaseReachable(mysqlOptions(silent.port), 500), 2500,
          new RegExp(`^Cannot reach the database at 127\\.0\\.0\\.1:${silent.port} \\(DATABASE_URL\\): `));
      } finally {
        await silent.close();
      }
    });

    it('does nothing for the embedded SQLite profile', async () => {
      await assertDatabaseReachable({ dialect: 'sqlite', storage: '/nonexistent/dir/x.sqlite' }, 500);
    });
  });

  describe('assertRedisReachable', () => {
    it('names host:port and the reason when the connection is refused', async () => {
      const port = await closedPort();
      await rejectsWithin(assertRedisReachable({ host: '127.0.0.1', port, password: '', db: 0 }, 1000), 3000,
        new RegExp(`^Cannot reach Redis at 127\\.0\\.0\\.1:${port} \\(REDIS_URL\\): connect ECONNREFUSED`));
    });

    it('gives up after the connect timeout when nothing answers', async () => {
      const silent = await silentServer();
      try {
        await rejectsWithin(assertRedisReachable({ host: '127.0.0.1', port: silent.port, password: '', db: 0 }, 500), 2500,
          /^Cannot reach Redis at 127\.0\.0\.1:\d+ \(REDIS_URL\): /);
      } finally {
        await silent.close();
      }
    });

    it('does nothing without REDIS_URL', async () => {
      await assertRedisReachable(undefined, 500);
    });

    it('Redis Cluster: one answering seed node is enough; none answering names every node in one line', async () => {
      const [ dead1, dead2 ] = [ await closedPort(), await closedPort() ];
      await rejectsWithin(assertRedisReachable({ cluster: true, nodes: [{ host: '127.0.0.1', port: dead1 }, { host: '127.0.0.1', port: dead2 }] } as any, 500), 3000,
        new RegExp(`^Cannot reach any Redis Cluster node \\(REDIS_CLUSTER_NODES\\): Cannot reach Redis at 127\\.0\\.0\\.1:${dead1} .*; Cannot reach Redis at 127\\.0\\.0\\.1:${dead2} `));
      const live = await startRedis();
      try {
        await assertRedisReachable({ cluster: true, nodes: [{ host: '127.0.0.1', port: dead1 }, { host: '127.0.0.1', port: live.port }] } as any, 500);
      } finally {
        await live.kill();
      }
    });
  });

  describe('assertRedisReachable with a minimum version (sharded pub/sub needs Redis 7)', () => {
    it('a server older than asked is refused with its version and the reason, even as a cluster seed; one recent enough passes', async () => {
      const live = await startRedis();
      try {
        const version = /redis_version:(\S+)/.exec(execFileSync('redis-cli', [ '-p', String(live.port), 'info', 'server' ]).toString())![1];
        const major = Number(version.split('.')[0]);
        await assertRedisReachable({ host: '127.0.0.1', port: live.port, password: '', db: 0 }, 500, { major, why: 'fine' });
        const tooOld = { major: major + 1, why: 'sharded pub/sub needs more' };
        await rejectsWithin(assertRedisReachable({ host: '127.0.0.1', port: live.port, password: '', db: 0 }, 500, tooOld), 3000,
          new RegExp(`^Redis at 127\\.0\\.0\\.1:${live.port} is version ${version.replace(/\./g, '\\.')}: sharded pub/sub needs more$`));
        // A cluster seed that answers but is too old stops the start: no other seed is tried.
        const dead = await closedPort();
        await rejectsWithin(assertRedisReachable({ cluster: true, nodes: [{ host: '127.0.0.1', port: live.port }, { host: '127.0.0.1', port: dead }] } as any, 500, tooOld), 3000,
          /^Redis at .* is version .*: sharded pub\/sub needs more$/);
      } finally {
        await live.kill();
      }
    });
  });

  describe('the real cluster exits quickly with one clear message', () => {
    it('when DATABASE_URL does not answer', async () => {
      const port = await closedPort();
      const run = await startCluster({
        EGG_SERVER_ENV: 'prod', JWT_SECRET: 'startup-test-secret', PORT: String(await closedPort()),
        DATABASE_URL: `mysql://root@127.0.0.1:${port}/eggchat`,
      }, 30_000);
      assert.notStrictEqual(run.code, 0);
      assert.match(run.output, new RegExp(`StartupError: Cannot reach the database at 127\\.0\\.0\\.1:${port} \\(DATABASE_URL\\): `));
      assert.ok(run.ms < 15_000, `exited after ${run.ms} ms`);
    });

    it('when JWT_SECRET is missing in production', async () => {
      const run = await startCluster({ EGG_SERVER_ENV: 'prod', PORT: String(await closedPort()), SQLITE_FILE: '/tmp/eggchat-startup-test-unused.sqlite' }, 30_000);
      assert.notStrictEqual(run.code, 0);
      assert.match(run.output, /StartupError: JWT_SECRET must be set to a secret of your own in production/);
      assert.ok(run.ms < 15_000, `exited after ${run.ms} ms`);
    });
  });
});
