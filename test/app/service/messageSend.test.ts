import * as assert from 'node:assert';
import { randomUUID } from 'node:crypto';
import { app, mock } from 'egg-mock/bootstrap';
import { QueryTypes } from 'sequelize';
import { resetDatabase, isMysql } from '../../helpers/db';
import { AuthenticatedUser } from '../../../app/extend/context';
import { MSG } from '../../../app/lib/messages';

/**
 * The single-chat send path (app/service/message.ts sendOnce / sendBatched, repository/chatInbox.ts nextInboxSeq):
 * concurrent sends between many pairs of neighbouring user ids never deadlock (MariaDB: the only lock
 * a send takes is the recipient's counter row; `SELECT MAX(seq) … FOR UPDATE` took gap locks that
 * collided with the neighbours' inserts), every send succeeds, and each user's inbox numbers stay dense
 * and in commit order. Also: how many statements a send costs.
 */

async function rows<T = any>(sql: string, replacements: unknown[] = []): Promise<T[]> {
  return app.model.query(sql, { replacements, type: QueryTypes.SELECT }) as unknown as Promise<T[]>;
}

/** `count` users with consecutive ids (inserted directly: no scrypt), as the auth middleware hands them to services. */
async function users(count: number): Promise<AuthenticatedUser[]> {
  const tag = randomUUID().slice(0, 8);
  const now = new Date();
  const created: AuthenticatedUser[] = [];
  for (let i = 0; i < count; i++) {
    const uuid = randomUUID();
    await app.model.query('INSERT INTO `user` (uuid, username, password, nickname, status, is_deleted, role, create_time, update_time) VALUES (?, ?, ?, ?, 1, 0, ?, ?, ?)', {
      replacements: [ uuid, `s${tag}${i}`, 'x', `N${i}`, 'user', now, now ],
    });
    const [ row ] = await rows<{ id: number }>('SELECT id FROM `user` WHERE uuid = ?', [ uuid ]);
    created.push({ id: Number(row.id), uuid, role: 'user', nickname: `N${i}`, sid: 'test' });
  }
  for (let i = 1; i < created.length; i++) assert.strictEqual(created[i].id, created[i - 1].id + 1, 'consecutive ids');
  return created;
}

async function befriend(a: AuthenticatedUser, b: AuthenticatedUser, extra: { isblack?: number } = {}) {
  const now = new Date();
  for (const [ owner, friend ] of [[ a, b ], [ b, a ]]) {
    await app.model.query('INSERT INTO goodfriend (user_id, friend_id, nickname, isblack, status, create_time, update_time) VALUES (?, ?, ?, ?, 1, ?, ?)', {
      replacements: [ owner.id, friend.id, '', owner === a ? 0 : extra.isblack ?? 0, now, now ],
    });
  }
}

function send(from: AuthenticatedUser, to: AuthenticatedUser, data: string) {
  const ctx = app.mockContext();
  return ctx.service.message.send(from, { sendto_id: to.id, chatType: 'single', type: 'text', data, options: {} });
}

/** Counts the transactions a send starts (app.batchedTransaction / directTransaction), retries included (a deadlock victim is retried). */
function countAttempts(): { attempts: number } {
  const counter = { attempts: 0 };
  for (const method of [ 'transaction', 'directTransaction', 'batchedTransaction' ] as const) {
    const original = app[method] as (work: (t: any) => Promise<unknown>) => Promise<unknown> | null;
    mock(app, method, function(this: unknown, work: (t: any) => Promise<unknown>) {
      return original.call(app, (t: any) => {
        counter.attempts += 1;
        return work(t);
      });
    });
  }
  return counter;
}

async function innodbDeadlocks(): Promise<number> {
  const [ row ] = await rows<{ Value: string }>("SHOW GLOBAL STATUS LIKE 'Innodb_deadlocks'");
  return Number(row?.Value ?? 0);
}

describe('test/app/service/messageSend.test.ts', () => {
  before(async () => {
    await app.ready();
    await resetDatabase(app);
  });

  afterEach(() => mock.restore());

  it('concurrent sends between 40 pairs of neighbouring ids: no retry, no deadlock, all delivered, seqs dense in commit order', async () => {
    const people = await users(80);
    // Pairs of neighbours (1,2), (3,4) … so that every recipient's inbox rows sit next to another's.
    const pairs: Array<[ AuthenticatedUser, AuthenticatedUser ]> = [];
    for (let i = 0; i < people.length; i += 2) pairs.push([ people[i], people[i + 1] ]);
    for (const [ a, b ] of pairs) await befriend(a, b);
    const perDirection = 4;
    const counter = countAttempts();
    const deadlocksBefore = isMysql(app) ? await innodbDeadlocks() : 0;
    const sends = pairs.flatMap(([ a, b ]) => Array.from({ length: perDirection }, (_, k) => [
      send(a, b, `a${k}`), send(b, a, `b${k}`),
    ]).flat());
    const results = await Promise.allSettled(sends);
    const failed = results.filter(result => result.status === 'rejected').map(result => String((result as PromiseRejectedResult).reason?.stack || (result as PromiseRejectedResult).reason));
    assert.deepStrictEqual(failed, [], 'every send succeeds');
    assert.strictEqual(counter.attempts, sends.length, 'one transaction per send: no deadlock or busy retry');
    if (isMysql(app)) {
      // Global counter: another client of the same server could move it, this test's sends must not.
      assert.strictEqual(await innodbDeadlocks() - deadlocksBefore, 0, 'InnoDB reported no deadlock');
    }
    for (const person of people) {
      const inbox = await rows<{ seq: number | string; message_id: number | string }>('SELECT seq, message_id FROM chat_inbox WHERE user_id = ? ORDER BY seq', [ person.id ]);
      assert.deepStrictEqual(inbox.map(entry => Number(entry.seq)), Array.from({ length: perDirection }, (_, i) => i + 1), `dense seqs for user ${person.id}`);
      // The message row is inserted while the recipient's counter row is held: ids follow the seqs (commit order).
      const ids = inbox.map(entry => Number(entry.message_id));
      assert.deepStrictEqual(ids, [ ...ids ].sort((x, y) => x - y), `message ids in seq order for user ${person.id}`);
      const [ head ] = await rows<{ last_seq: number | string }>('SELECT last_seq FROM chat_inbox_seq WHERE user_id = ?', [ person.id ]);
      assert.strictEqual(Number(head.last_seq), perDirection);
    }
  });

  it('a refused send gives its number back; entries stored before the counter existed are continued', async () => {
    const [ a, b, c ] = await users(3);
    await befriend(a, b);
    await befriend(a, c, { isblack: 1 });
    assert.strictEqual((await send(a, b, 'one')).to_id, b.id);
    await assert.rejects(send(a, c, 'blocked'), (err: any) => err.message === MSG.blockedByRecipient);
    assert.deepStrictEqual(await rows('SELECT last_seq FROM chat_inbox_seq WHERE user_id = ?', [ c.id ]), [], 'rolled back with the refusal');
    assert.strictEqual((await send(a, b, 'two')).to_id, b.id);
    // b's inbox, as an older version left it: entries 3 and 4 stored without a counter row.
    await app.model.query('DELETE FROM chat_inbox_seq WHERE user_id = ?', { replacements: [ b.id ] });
    for (const seq of [ 3, 4 ]) {
      await app.model.query('INSERT INTO chat_inbox (user_id, seq, message_id, payload, create_time) VALUES (?, ?, NULL, ?, ?)', { replacements: [ b.id, seq, '{}', new Date() ] });
    }
    await send(a, b, 'three');
    const inbox = await rows<{ seq: number | string }>('SELECT seq FROM chat_inbox WHERE user_id = ? ORDER BY seq', [ b.id ]);
    assert.deepStrictEqual(inbox.map(entry => Number(entry.seq)), [ 1, 2, 3, 4, 5 ]);
    const [ head ] = await rows<{ last_seq: number | string }>('SELECT last_seq FROM chat_inbox_seq WHERE user_id = ?', [ b.id ]);
    assert.strictEqual(Number(head.last_seq), 5);
  });

  it('a send between friends: BEGIN, the inbox number, one read, the message, the entry, COMMIT', async () => {
    const [ a, b ] = await users(2);
    await befriend(a, b);
    await send(a, b, 'warm-up');
    const statements: string[] = [];
    const sequelize = app.model as any;
    const previous = sequelize.options.logging;
    sequelize.options.logging = (message: string) => statements.push(String(message).replace(/^Execut(?:ing|ed) \([^)]*\):\s*/, ''));
    try {
      await send(a, b, 'counted');
    } finally {
      sequelize.options.logging = previous;
    }
    const kinds = statements.map(sql => sql.trim().split(/\s+/).slice(0, 3)
      .join(' ')
      .toUpperCase());
    const expected = [ /^(START TRANSACTION|BEGIN)/, /^INSERT INTO CHAT_INBOX_SEQ/, /^SELECT /, /^INSERT INTO MESSAGE/, /^INSERT INTO CHAT_INBOX /, /^COMMIT/ ];
    assert.strictEqual(kinds.length, expected.length, statements.join('\n'));
    kinds.forEach((kind, i) => assert.match(`${kind} `, expected[i], statements.join('\n')));
  });

  it('MariaDB: that send is two round trips to the database (START TRANSACTION … read; the inserts … COMMIT)', async function() {
    // Not on SQLite, nor with DB_BATCHED_SEND=0 (the six statements one by one).
    if (!app.multiStatementPool) this.skip();
    const [ a, b ] = await users(2);
    await befriend(a, b);
    await send(a, b, 'warm-up');
    const pool = app.multiStatementPool!;
    let roundTrips = 0;
    const acquire = pool.acquire.bind(pool);
    mock(pool, 'acquire', async () => {
      const connection = await acquire();
      const query = connection.query;
      mock(connection, 'query', function(this: unknown, ...args: unknown[]) {
        roundTrips += 1;
        return query.apply(this, args);
      });
      return connection;
    });
    const sent = await send(a, b, 'counted');
    mock.restore();
    assert.strictEqual(roundTrips, 2);
    const [ stored ] = await rows<{ data: string }>('SELECT m.data FROM message m JOIN chat_inbox i ON i.message_id = m.id WHERE m.uuid = ? AND i.user_id = ?', [ sent.id, b.id ]);
    assert.strictEqual(stored?.data, 'counted', 'the inbox entry points at its message (LAST_INSERT_ID on the server)');
  });
});
