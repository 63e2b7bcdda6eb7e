import * as assert from 'node:assert';
import { randomUUID } from 'node:crypto';
import { app } from 'egg-mock/bootstrap';
import { QueryTypes, Transaction } from 'sequelize';
import * as sqlite3 from 'sqlite3';
import { resetDatabase, isMysql } from '../../helpers/db';
import { selectRows } from '../../../app/lib/rawQuery';

/**
 * app/lib/sqliteTuning.ts: a transaction's SQLite connection is kept open for the next transactions
 * (Sequelize's dialect opened and closed one per transaction: ~3 ms of CPU each), tuned once, left
 * clean by a rollback, never shared by two transactions at once, and closed — not reused — when
 * Sequelize gives up on it. What a kept connection commits is seen at once by another connection to
 * the file (another worker).
 */
describe('test/app/lib/sqliteTuning.test.ts', () => {
  before(async () => {
    await app.ready();
    await resetDatabase(app);
  });

  const connectionOf = (t: Transaction) => (t as any).connection;
  const one = async <T = any>(sql: string, transaction?: Transaction, replacements: unknown[] = []): Promise<T> => {
    const rows = await app.model.query(sql, { transaction, replacements, type: QueryTypes.SELECT }) as unknown as T[];
    return rows[0];
  };
  const insertUser = (transaction: Transaction, username: string) => app.model.query(
    'INSERT INTO `user` (uuid, username, password, nickname, status, is_deleted, role, create_time, update_time) VALUES (?, ?, ?, ?, 1, 0, ?, ?, ?)',
    { transaction, replacements: [ randomUUID(), username, 'x', 'n', 'user', new Date(), new Date() ] },
  );
  /** A second connection to the same file, as another worker process has. */
  const otherProcessCount = (username: string) => new Promise<number>((resolve, reject) => {
    const db = new sqlite3.Database((app.model as any).options.storage);
    db.get('SELECT COUNT(*) AS n FROM `user` WHERE username = ?', [ username ], (err: Error | null, row: { n: number }) => {
      db.close();
      if (err) reject(err);
      else resolve(row.n);
    });
  });

  it('MySQL: leaves the connection manager as Sequelize made it', function() {
    if (!isMysql(app)) return this.skip();
    assert.strictEqual((app.model as any).connectionManager.__eggchatTuned, undefined);
  });

  describe('SQLite', () => {
    before(function() {
      if (isMysql(app)) this.skip();
    });

    it('consecutive transactions run on one connection, tuned (busy timeout, WAL, foreign keys)', async () => {
      const seen: any[] = [];
      for (let i = 0; i < 5; i++) {
        await app.transaction(async t => {
          seen.push(connectionOf(t));
          const timeout = await one<{ timeout: number }>('PRAGMA busy_timeout', t);
          assert.strictEqual(Object.values(timeout)[0], 5000);
          const mode = await one<{ journal_mode: string }>('PRAGMA journal_mode', t);
          assert.strictEqual(mode.journal_mode, 'wal');
          const keys = await one<{ foreign_keys: number }>('PRAGMA foreign_keys', t);
          assert.strictEqual(keys.foreign_keys, 1);
        });
      }
      assert.strictEqual(new Set(seen).size, 1, 'the same connection for every transaction');
      assert.ok(!Object.values((app.model as any).connectionManager.connections).includes(seen[0]), 'not in Sequelize\'s per-transaction map');
    });

    it('a rolled-back transaction leaves nothing on the kept connection; the next one commits and another process sees it', async () => {
      const dropped = `rb${randomUUID().slice(0, 8)}`;
      const kept = `ok${randomUUID().slice(0, 8)}`;
      let first: any;
      await assert.rejects(app.transaction(async t => {
        first = connectionOf(t);
        await insertUser(t, dropped);
        throw new Error('undo');
      }), /undo/);
      await app.transaction(async t => {
        assert.strictEqual(connectionOf(t), first, 'reused after a clean rollback');
        await insertUser(t, kept);
      });
      assert.strictEqual(await otherProcessCount(dropped), 0);
      assert.strictEqual(await otherProcessCount(kept), 1);
      assert.strictEqual((await one<{ n: number }>('SELECT COUNT(*) AS n FROM `user` WHERE username IN (?, ?)', undefined, [ dropped, kept ])).n, 1);
    });

    it('transactions open at the same time get connections of their own', async () => {
      let release!: () => void;
      const gate = new Promise<void>(resolve => { release = resolve; });
      const connections: any[] = [];
      const reader = () => app.model.transaction({ type: Transaction.TYPES.DEFERRED }, async t => {
        connections.push(connectionOf(t));
        await one('SELECT COUNT(*) AS n FROM `user`', t);
        if (connections.length === 3) release();
        await gate;
      });
      await Promise.all([ reader(), reader(), reader() ]);
      assert.strictEqual(new Set(connections).size, 3);
    });

    it('a read a transaction makes without it is not held behind another request\'s write waiting for that transaction', async () => {
      // node-sqlite3 runs one statement at a time per connection. A write on the shared connection that
      // waited for this process's own transaction held that connection; a read the transaction then made
      // on it (one not passed the transaction) waited behind the write, and the write for the transaction:
      // nothing moved until the busy timeout (5 s) failed the write with SQLITE_BUSY (seen as 5 s stalls of
      // concurrent registrations on the embedded profile).
      const key = `sqlite-queue-${Date.now()}`;
      let lockHeld!: () => void;
      // Another request's write, started once the transaction holds the lock.
      const outside = new Promise<void>(resolve => { lockHeld = resolve; })
        .then(() => app.model.query('INSERT INTO kv_store (`key`, value, expires_at) VALUES (?, ?, ?)', { replacements: [ key, 'v', Date.now() + 60_000 ] }));
      outside.catch(() => undefined);
      const started = Date.now();
      await app.transaction(async t => {
        await insertUser(t, `${key}-t`);
        lockHeld();
        await new Promise(resolve => setTimeout(resolve, 30));
        await one('SELECT COUNT(*) AS n FROM `user`');
        // The direct read most requests make (the session, the user row): lib/rawQuery.ts.
        await selectRows(app.model as any, 'SELECT COUNT(*) AS n FROM `user`', []);
        await insertUser(t, `${key}-u`);
      });
      const tookMs = Date.now() - started;
      await outside;
      assert.strictEqual(Number((await one<{ n: number }>('SELECT COUNT(*) AS n FROM kv_store WHERE `key` = ?', undefined, [ key ])).n), 1);
      assert.strictEqual(await otherProcessCount(`${key}-u`), 1);
      assert.ok(tookMs < 4000, `the transaction took ${tookMs} ms`);
    });

    it('a read is not held behind a write that waits for another process\'s lock', async () => {
      // Another worker's transaction holds the write lock (a connection of its own, as another process has).
      const holder = new sqlite3.Database((app.model as any).options.storage);
      await new Promise<void>((resolve, reject) => holder.exec('BEGIN IMMEDIATE', err => (err ? reject(err) : resolve())));
      const key = `plain-write-${Date.now()}`;
      let released = false;
      try {
        const write = app.model.query('INSERT INTO kv_store (`key`, value, expires_at) VALUES (?, ?, ?)', { replacements: [ key, 'v', Date.now() + 60_000 ] });
        write.catch(() => undefined);
        await new Promise(resolve => setTimeout(resolve, 50));
        const started = Date.now();
        await one('SELECT COUNT(*) AS n FROM `user`');
        await selectRows(app.model as any, 'SELECT 1 AS one', []);
        const readMs = Date.now() - started;
        // Before: the reads waited on the shared connection until the lock was let go (1.5 s below).
        assert.ok(readMs < 1000, `the reads took ${readMs} ms`);
        await new Promise(resolve => setTimeout(resolve, 1500 - readMs));
        await new Promise<void>(resolve => holder.exec('ROLLBACK', () => resolve()));
        released = true;
        await write;
        assert.strictEqual(Number((await one<{ n: number }>('SELECT COUNT(*) AS n FROM kv_store WHERE `key` = ?', undefined, [ key ])).n), 1);
      } finally {
        if (!released) await new Promise<void>(resolve => holder.exec('ROLLBACK', () => resolve()));
        await new Promise<void>(resolve => holder.close(() => resolve()));
      }
    });

    it('a connection whose COMMIT failed is closed and never handed out again', async () => {
      let broken: any;
      // The transaction is ended behind Sequelize's back, so its own COMMIT fails: Sequelize gives up on the connection.
      await assert.rejects(app.transaction(async t => {
        broken = connectionOf(t);
        await app.model.query('COMMIT', { transaction: t });
      }));
      const after: any[] = [];
      for (let i = 0; i < 3; i++) await app.transaction(async t => { after.push(connectionOf(t)); await one('SELECT 1 AS one', t); });
      assert.ok(!after.includes(broken), 'not reused');
      await assert.rejects(new Promise((resolve, reject) => broken.get('SELECT 1', (err: Error | null) => (err ? reject(err) : resolve(null)))), /closed|SQLITE_MISUSE/i);
    });
  });
});
