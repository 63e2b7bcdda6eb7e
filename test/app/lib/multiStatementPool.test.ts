import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { QueryTypes } from 'sequelize';
import { resetDatabase, isMysql } from '../../helpers/db';
import { BatchedTransaction } from '../../../app/lib/transaction';

/**
 * app/lib/multiStatementPool.ts and lib/transaction.ts inBatchedTransaction, on MariaDB (the embedded
 * profile has no such pool: app.batchedTransaction answers null there, and the send path uses
 * directTransaction). A counter row of a user id nobody has is the scratch row: chat_inbox_seq has no
 * foreign key.
 */
const NOBODY = 4_000_000_001;

async function counterRows(userId: number): Promise<number> {
  const rows = await app.model.query('SELECT last_seq FROM chat_inbox_seq WHERE user_id = ?', { replacements: [ userId ], type: QueryTypes.SELECT });
  return rows.length;
}

const insertCounter = (userId: number) => ({ sql: 'INSERT INTO chat_inbox_seq (user_id, last_seq) VALUES (?, 1)', values: [ userId ] });

function batched<T>(work: (t: BatchedTransaction) => Promise<T>): Promise<T> {
  const run = app.batchedTransaction(work);
  assert.ok(run, 'MariaDB: the multi-statement pool exists');
  return run;
}

describe('test/app/lib/multiStatementPool.test.ts', () => {
  before(async function() {
    await app.ready();
    if (!isMysql(app)) {
      assert.strictEqual(app.batchedTransaction(async () => undefined), null, 'embedded profile: no multi-statement pool');
      this.skip();
    }
    await resetDatabase(app);
  });

  afterEach(async () => {
    await app.model.query('DELETE FROM chat_inbox_seq WHERE user_id >= ?', { replacements: [ NOBODY ] });
  });

  it('Sequelize\'s own connections still refuse two statements in one query; the pool\'s take them', async () => {
    await assert.rejects(app.model.query('SELECT 1; SELECT 2'), (err: any) => /syntax/i.test(err.message));
    const results = await batched(async t => {
      const answered = await t.begin([{ sql: 'SELECT ? AS a', values: [ 1 ] }, { sql: 'SELECT ? AS b', values: [ 'x;y' ] }]);
      await t.commit([]);
      return answered;
    });
    assert.deepStrictEqual(JSON.parse(JSON.stringify(results)), [[{ a: 1 }], [{ b: 'x;y' }]]);
  });

  it('begin and commit are one round trip each; the change is committed and the hooks run after it', async () => {
    let roundTrips = 0;
    let seenByHook = -1;
    await batched(async t => {
      const query = t.connection.query;
      t.connection.query = function(this: unknown, ...args: unknown[]) {
        roundTrips += 1;
        return query.apply(this, args);
      };
      try {
        await t.begin([ insertCounter(NOBODY), { sql: 'SELECT 1', values: [] }]);
        t.afterCommit(async () => { seenByHook = await counterRows(NOBODY); });
        await t.commit([{ sql: 'UPDATE chat_inbox_seq SET last_seq = 2 WHERE user_id = ?', values: [ NOBODY ] }]);
      } finally {
        t.connection.query = query;
      }
    });
    assert.strictEqual(roundTrips, 2);
    assert.strictEqual(seenByHook, 1, 'the hook ran after the COMMIT: another connection sees the row');
    const [ row ] = await app.model.query('SELECT last_seq FROM chat_inbox_seq WHERE user_id = ?', { replacements: [ NOBODY ], type: QueryTypes.SELECT }) as any[];
    assert.strictEqual(Number(row.last_seq), 2);
  });

  it('a statement of the last batch failing rolls back the first batch\'s changes, and the connection serves again', async () => {
    let hookRan = false;
    await assert.rejects(batched(async t => {
      await t.begin([ insertCounter(NOBODY) ]);
      t.afterCommit(() => { hookRan = true; });
      // The duplicate stops the batch before its COMMIT: the transaction is left open, then rolled back.
      await t.commit([ insertCounter(NOBODY + 1), insertCounter(NOBODY) ]);
    }), (err: any) => err.code === 'ER_DUP_ENTRY');
    assert.strictEqual(await counterRows(NOBODY), 0);
    assert.strictEqual(await counterRows(NOBODY + 1), 0);
    assert.strictEqual(hookRan, false);
    // Every connection of the pool (10 by default) after that one: none is left inside a transaction.
    await Promise.all(Array.from({ length: 12 }, (_, i) => batched(async t => {
      await t.begin([ insertCounter(NOBODY + 10 + i) ]);
      await t.commit([]);
    })));
    for (let i = 0; i < 12; i++) assert.strictEqual(await counterRows(NOBODY + 10 + i), 1);
    // A connection handed back inside the open transaction would have committed it with its next START TRANSACTION.
    assert.strictEqual(await counterRows(NOBODY), 0);
  });

  it('work that throws after its first batch, or returns without committing, leaves nothing; commit needs a begin', async () => {
    await assert.rejects(batched(t => t.commit([ insertCounter(NOBODY + 2) ])), /commit before begin/);
    assert.strictEqual(await counterRows(NOBODY + 2), 0);
    await assert.rejects(batched(async t => {
      await t.begin([ insertCounter(NOBODY) ]);
      throw new Error('refused');
    }), /refused/);
    await assert.rejects(batched(async t => {
      await t.begin([ insertCounter(NOBODY + 1) ]);
    }), /did not commit/);
    assert.strictEqual(await counterRows(NOBODY), 0);
    assert.strictEqual(await counterRows(NOBODY + 1), 0);
  });

  it('a batch past the query deadline (DB_QUERY_TIMEOUT_MS) fails with the timeout and its connection is not reused', async () => {
    let first: any;
    await assert.rejects(batched(async t => {
      first = t.connection;
      await t.begin([ insertCounter(NOBODY), { sql: 'SELECT SLEEP(?)', values: [ app.config.chat.dbQueryTimeoutMs / 1000 + 1 ] }]);
      await t.commit([]);
    }), (err: any) => err.code === 'PROTOCOL_SEQUENCE_TIMEOUT');
    const seen = new Set<unknown>();
    await Promise.all(Array.from({ length: 10 }, () => batched(async t => {
      seen.add(t.connection);
      await t.begin([]);
      await t.commit([]);
    })));
    assert.ok(!seen.has(first), 'the timed-out connection was destroyed');
    // The server rolled the abandoned transaction back when its connection closed.
    for (let i = 0; i < 50 && await counterRows(NOBODY) > 0; i++) await new Promise(resolve => setTimeout(resolve, 100));
    assert.strictEqual(await counterRows(NOBODY), 0);
  });
});
