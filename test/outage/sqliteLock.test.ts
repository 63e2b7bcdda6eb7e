import * as assert from 'node:assert';
import { ChildProcess, spawn } from 'node:child_process';
import { app } from 'egg-mock/bootstrap';
import { PASSWORD, post, registerUser, uniqueName } from '../helpers/api';
import { inParallel } from '../helpers/parallel';
import { MSG } from '../../app/lib/messages';

/**
 * Embedded profile: another process holds the SQLite file's write lock (an open `sqlite3` shell, a backup)
 * for longer than the busy timeout. Writes answer 503 after that timeout — not after minutes of retries —
 * and change nothing; reads go on (WAL); once the lock is gone, writes work again by themselves.
 */

/** The busy timeout the app gives each SQLite connection (app.ts, agent.ts). */
const BUSY_TIMEOUT_MS = 5000;

/** A separate node process that takes the write lock and keeps it until told to let go. */
function lockHolder(file: string): Promise<{ child: ChildProcess; release(): Promise<void> }> {
  const script = `
    const sqlite3 = require('sqlite3');
    const db = new sqlite3.Database(process.argv[1]);
    db.exec('BEGIN EXCLUSIVE', err => {
      if (err) { console.error(err.message); process.exit(1); }
      process.stdout.write('locked\\n');
    });
    process.stdin.on('data', () => db.exec('ROLLBACK', () => db.close(() => process.exit(0))));`;
  const child = spawn(process.execPath, [ '-e', script, file ], { cwd: app.baseDir, stdio: [ 'pipe', 'pipe', 'inherit' ] });
  return new Promise((resolve, reject) => {
    child.once('exit', code => reject(new Error(`the lock holder exited with ${code}`)));
    child.stdout!.once('data', () => resolve({
      child,
      release: () => new Promise<void>(done => {
        child.removeAllListeners('exit');
        child.once('exit', () => done());
        child.stdin!.write('release\n');
      }),
    }));
  });
}

describe('test/outage/sqliteLock.test.ts', function() {
  this.timeout(60_000);

  it('writes answer 503 within the busy timeout while another process locks the file, change nothing, and recover', async function() {
    await app.ready();
    if (app.model.getDialect() !== 'sqlite') {
      // eslint-disable-next-line no-console
      console.log('      (skipped: the SQLite lock test is for the embedded profile — no DATABASE_URL)');
      this.skip();
    }
    const me = await registerUser(app);
    const friend = await registerUser(app);
    await app.model.Goodfriend.bulkCreate([{ user_id: me.id, friend_id: friend.id }, { user_id: friend.id, friend_id: me.id }] as any);
    const username = uniqueName('lock');

    const holder = await lockHolder((app.config.sequelize as any).storage);
    let released = false;
    try {
      const started = Date.now();
      // A transaction (registration) and a single-statement write (blacklist toggle) at once.
      const [ register, toggle ] = await inParallel(app, 2, i => (i === 0
        ? app.httpRequest().post('/api/regChat').send({ username, password: PASSWORD })
        : post(app, `/api/chat/setblackgoodfriend/${friend.id}`, me.token)));
      const elapsed = Date.now() - started;
      for (const [ name, res ] of [[ 'register', register ], [ 'toggle', toggle ]] as const) {
        assert.strictEqual(res.status, 503, `${name}: ${res.status} ${JSON.stringify(res.body)}`);
        assert.deepStrictEqual(res.body, { msg: 'fail', data: MSG.unavailable });
      }
      assert.ok(elapsed < BUSY_TIMEOUT_MS + 2500, `answered after ${elapsed} ms (busy timeout ${BUSY_TIMEOUT_MS} ms)`);
      // Readers are not blocked by a writer in WAL mode.
      const read = await app.httpRequest().get('/api/chat/goodfriendlist/1').set('token', me.token);
      assert.strictEqual(read.status, 200, JSON.stringify(read.body));
      assert.strictEqual(read.body.data.count, 1);

      await holder.release();
      released = true;
      assert.strictEqual(await app.model.User.count({ where: { username } }), 0, 'the 503 registration left no account');
      const row = await app.model.Goodfriend.findOne({ where: { user_id: me.id, friend_id: friend.id }, raw: true });
      assert.strictEqual(Number(row!.isblack), 0, 'the 503 toggle changed nothing');
      // No restart needed.
      const again = await app.httpRequest().post('/api/regChat').send({ username, password: PASSWORD });
      assert.strictEqual(again.status, 200, JSON.stringify(again.body));
      assert.strictEqual((await post(app, `/api/chat/setblackgoodfriend/${friend.id}`, me.token)).status, 200);
    } finally {
      if (!released) await holder.release();
    }
  });
});
