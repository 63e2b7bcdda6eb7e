import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { Sequelize, Transaction } from 'sequelize';
import { selectOne, selectRows, txRows, txRun } from '../../../app/lib/rawQuery';
import { inDirectTransaction, onRollback } from '../../../app/lib/transaction';
import { isMysql, resetDatabase } from '../../helpers/db';

// The send path's transaction (lib/transaction.ts inDirectTransaction): BEGIN/COMMIT straight on a pooled
// connection on MySQL, inTransaction elsewhere. Rows of chat_inbox_seq for user ids no account has.
const A = 900_001;
const B = 900_002;
const sequelize = () => app.model as unknown as Sequelize;
const counterOf = async (userId: number) => Number((await selectOne<{ last_seq: number }>(sequelize(), 'SELECT last_seq FROM chat_inbox_seq WHERE user_id = ?', [ userId ]))?.last_seq ?? 0);
const bump = (t: Transaction, userId: number) => txRun(sequelize(), t, 'UPDATE chat_inbox_seq SET last_seq = last_seq + 1 WHERE user_id = ?', [ userId ]);

describe('test/app/lib/transaction.test.ts', () => {
  before(async () => {
    await app.ready();
    await resetDatabase(app);
  });

  beforeEach(async () => {
    await app.model.query('DELETE FROM chat_inbox_seq WHERE user_id IN (?, ?)', { replacements: [ A, B ] });
    await app.model.query('INSERT INTO chat_inbox_seq (user_id, last_seq) VALUES (?, 0), (?, 0)', { replacements: [ A, B ] });
  });

  it('commits the work, then runs the afterCommit hooks, which see the committed row from another connection', async () => {
    const seen: number[] = [];
    const answer = await inDirectTransaction(sequelize(), async t => {
      await bump(t, A);
      t.afterCommit(async () => {
        seen.push(await counterOf(A));
      });
      return 'done';
    });
    assert.strictEqual(answer, 'done');
    assert.deepStrictEqual(seen, [ 1 ]);
    assert.strictEqual(await counterOf(A), 1);
  });

  it('work that throws: nothing written, no hook run, the undo registered with onRollback runs, the error reaches the caller', async () => {
    let hooks = 0;
    let undone = 0;
    await assert.rejects(inDirectTransaction(sequelize(), async t => {
      await bump(t, A);
      t.afterCommit(() => { hooks += 1; });
      onRollback(t, async () => { undone += 1; });
      throw new Error('refused half-way');
    }), /refused half-way/);
    assert.strictEqual(await counterOf(A), 0);
    assert.strictEqual(hooks, 0);
    assert.strictEqual(undone, 1);
    // The connection went back to the pool in a clean state: the next transaction commits.
    await inDirectTransaction(sequelize(), t => bump(t, A));
    assert.strictEqual(await counterOf(A), 1);
  });

  it('MySQL: a deadlock victim is retried, and both transactions commit once', async function() {
    if (!isMysql(app)) return this.skip();
    let attempts = 0;
    let firstLocks = 0;
    let release!: () => void;
    const bothHoldOne = new Promise<void>(resolve => { release = resolve; });
    // Each takes its first row, waits until the other holds its own, then asks for the other's: InnoDB
    // picks a victim, which lib/transaction.ts retries after the survivor commits.
    const crossing = (first: number, second: number) => inDirectTransaction(sequelize(), async t => {
      attempts += 1;
      await bump(t, first);
      if (attempts <= 2) {
        firstLocks += 1;
        if (firstLocks === 2) release();
        await bothHoldOne;
      }
      await bump(t, second);
    });
    const deadlocksBefore = Number((await selectRows<{ Value: string }>(sequelize(), "SHOW GLOBAL STATUS LIKE 'Innodb_deadlocks'", []))[0]?.Value ?? 0);
    await Promise.all([ crossing(A, B), crossing(B, A) ]);
    const deadlocksAfter = Number((await selectRows<{ Value: string }>(sequelize(), "SHOW GLOBAL STATUS LIKE 'Innodb_deadlocks'", []))[0]?.Value ?? 0);
    assert.ok(deadlocksAfter > deadlocksBefore, 'InnoDB reported the deadlock');
    assert.strictEqual(attempts, 3, 'two first attempts and one retry');
    assert.strictEqual(await counterOf(A), 2);
    assert.strictEqual(await counterOf(B), 2);
  });

  it('MySQL: a COMMIT on a connection that died fails, nothing is written, and that connection is never handed out again', async function() {
    if (!isMysql(app)) return this.skip();
    let killedId = 0;
    let hooks = 0;
    await assert.rejects(inDirectTransaction(sequelize(), async t => {
      await bump(t, A);
      const [ row ] = await txRows<{ id: number }>(sequelize(), t, 'SELECT CONNECTION_ID() AS id', []);
      killedId = Number(row.id);
      t.afterCommit(() => { hooks += 1; });
      // Another connection ends this one's session before the COMMIT.
      await app.model.query(`KILL ${killedId}`);
    }));
    assert.ok(killedId > 0);
    assert.strictEqual(hooks, 0, 'no hook after a failed COMMIT');
    assert.strictEqual(await counterOf(A), 0, 'the killed session rolled back');
    // Every later transaction gets a live connection (never the killed one) and commits.
    const killed = killedId;
    for (let i = 0; i < 12; i++) {
      await inDirectTransaction(sequelize(), async t => {
        const [ row ] = await txRows<{ id: number }>(sequelize(), t, 'SELECT CONNECTION_ID() AS id', []);
        assert.notStrictEqual(Number(row.id), killed);
        await bump(t, B);
      });
    }
    assert.strictEqual(await counterOf(B), 12);
  });
});
