import { QueryTypes, Sequelize, Transaction } from 'sequelize';
import { ReadOptions, selectOne, selectRows, selectRowsIn, txRows, txRun } from '../lib/rawQuery';
import { inTransaction, Statement } from '../lib/transaction';

/** One entry of a recipient's inbox: its sequence number and the frame data, serialized. */
export interface InboxEntry { seq: number; payload: string }

const READ_SQL = 'SELECT seq, payload FROM chat_inbox WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?';
const CURSOR_SQL = 'SELECT delivered_seq FROM chat_cursor WHERE user_id = ?';
/**
 * The reads below feed socket delivery: always the primary, never a read replica (lib/readRouting.ts). The
 * cursors are written outside any request (delivery/cursorWriter.ts), so no writer marker covers them: a lagging
 * replica's older cursor, or an inbox without its newest entries, would push again what was delivered or
 * late what was not.
 */
const PRIMARY: ReadOptions = { primary: true };

const NEXT_SEQ_MYSQL = 'INSERT INTO chat_inbox_seq (user_id, last_seq) VALUES (?, 1) ON DUPLICATE KEY UPDATE last_seq = LAST_INSERT_ID(last_seq + 1)';
const NEXT_SEQ_SQLITE = 'INSERT INTO chat_inbox_seq (user_id, last_seq) VALUES (?, 1) ON CONFLICT(user_id) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq';
const INSERT_ENTRY_SQL = 'INSERT INTO chat_inbox (user_id, seq, message_id, payload, create_time) VALUES (?, ?, ?, ?, ?)';

/**
 * Takes the recipient's next inbox sequence number inside the caller's transaction: one statement that
 * bumps (or creates) their row of `chat_inbox_seq`. That row stays locked until the transaction ends, so
 * the next append for the same user waits for this one's commit (or rollback, which gives the number
 * back): sequence numbers are dense and follow commit order — a reader that sees seq N sees every lower
 * one. Only that row is locked (MySQL: a record lock on the primary key, no gap lock, so appends for
 * neighbouring user ids never collide; SQLite transactions are serial anyway).
 *
 * A user whose counter row does not exist yet gets one; if they already have entries (written before
 * the counter existed and not backfilled), numbering continues after their last one. Reading that
 * without a lock is safe: every entry written since the counter exists holds the counter row's lock.
 */
export async function nextInboxSeq(sequelize: Sequelize, transaction: Transaction, userId: number): Promise<number> {
  if (sequelize.getDialect() === 'mysql') {
    const { sql, values } = nextInboxSeqStatement(userId);
    return inboxSeqOf(sequelize, transaction, userId, await txRun(sequelize, transaction, sql, values));
  }
  const [ row ] = await txRows<{ last_seq: number | string }>(sequelize, transaction, NEXT_SEQ_SQLITE, [ userId ]);
  const seq = Number(row.last_seq);
  return seq === 1 ? continueNumbering(sequelize, transaction, userId) : seq;
}

/** MySQL: nextInboxSeq's statement, for a batch (lib/transaction.ts inBatchedTransaction); its result goes to inboxSeqOf. */
export function nextInboxSeqStatement(userId: number): Statement {
  return { sql: NEXT_SEQ_MYSQL, values: [ userId ] };
}

/** MySQL: the sequence number nextInboxSeqStatement took, from its result (`affectedRows`, `insertId`). */
export function inboxSeqOf(sequelize: Sequelize, transaction: unknown, userId: number, result: { affectedRows: number | string; insertId: number | string }): Promise<number> | number {
  // 1 row affected: inserted (seq 1); 2: updated, and LAST_INSERT_ID(expr) put the new value in the OK packet.
  return Number(result.affectedRows) === 1 ? continueNumbering(sequelize, transaction, userId) : Number(result.insertId);
}

/** A counter row just created: numbering continues after the user's last entry, if any (see nextInboxSeq). */
async function continueNumbering(sequelize: Sequelize, transaction: unknown, userId: number): Promise<number> {
  const [ last ] = await txRows<{ seq: number | string | null }>(sequelize, transaction, 'SELECT MAX(seq) AS seq FROM chat_inbox WHERE user_id = ?', [ userId ]);
  const previous = Number(last?.seq ?? 0);
  if (previous === 0) return 1;
  await txRun(sequelize, transaction, 'UPDATE chat_inbox_seq SET last_seq = ? WHERE user_id = ?', [ previous + 1, userId ]);
  return previous + 1;
}

/**
 * MySQL: insertInboxEntry's statement for a batch whose previous statement inserted the message: its id
 * is taken from LAST_INSERT_ID() on the server, so both inserts go in one round trip.
 */
export function inboxEntryAfterMessageStatement(userId: number, seq: number, payload: string): Statement {
  return { sql: 'INSERT INTO chat_inbox (user_id, seq, message_id, payload, create_time) VALUES (?, ?, LAST_INSERT_ID(), ?, ?)', values: [ userId, seq, payload, new Date() ] };
}

/** Stores the entry numbered `seq` (from nextInboxSeq, in the same transaction). */
export async function insertInboxEntry(sequelize: Sequelize, transaction: Transaction, userId: number, seq: number, payload: string, messageId: number | null): Promise<void> {
  await txRun(sequelize, transaction, INSERT_ENTRY_SQL, [ userId, seq, messageId, payload, new Date() ]);
}

/**
 * Appends `payload` to the recipient's inbox inside the caller's transaction and answers its sequence
 * number (nextInboxSeq, then the entry). Locks: the recipient's counter row only. A transaction that
 * appends for several users may deadlock with another doing the same in the other order; the
 * transaction helper retries the victim (lib/transaction.ts).
 */
export async function appendToInbox(sequelize: Sequelize, transaction: Transaction, userId: number, payload: string, messageId: number | null): Promise<number> {
  const seq = await nextInboxSeq(sequelize, transaction, userId);
  await insertInboxEntry(sequelize, transaction, userId, seq, payload, messageId);
  return seq;
}

/** Entries after `afterSeq`, in order. */
export function readInbox(sequelize: Sequelize, userId: number, afterSeq: number, limit: number): Promise<InboxEntry[]> {
  return selectRows<InboxEntry>(sequelize, READ_SQL, [ userId, afterSeq, limit ], PRIMARY).then(rows => rows.map(row => ({ seq: Number(row.seq), payload: row.payload })));
}

/** The last sequence number of each user's inbox (users with none are left out). */
export async function lastSeqs(sequelize: Sequelize, userIds: number[]): Promise<Map<number, number>> {
  if (!userIds.length) return new Map();
  const rows = await selectRowsIn<{ user_id: number; seq: number | string }>(sequelize,
    placeholders => `SELECT user_id, MAX(seq) AS seq FROM chat_inbox WHERE user_id IN (${placeholders}) GROUP BY user_id`, userIds, PRIMARY);
  return new Map(rows.map(row => [ Number(row.user_id), Number(row.seq) ]));
}

/** How far the user's device confirmed receipt (0: nothing yet). */
export async function deliveredSeq(sequelize: Sequelize, userId: number): Promise<number> {
  const row = await selectOne<{ delivered_seq: number | string }>(sequelize, CURSOR_SQL, [ userId ], PRIMARY);
  return Number(row?.delivered_seq ?? 0);
}

/**
 * Moves the cursors of several users forward in one statement (never back: a late write of an older
 * confirmation keeps the higher cursor). In a transaction of its own so that, on SQLite, it queues
 * with this process's other writes.
 */
export async function advanceCursors(sequelize: Sequelize, cursors: Array<[ userId: number, seq: number ]>): Promise<void> {
  if (!cursors.length) return;
  const mysql = sequelize.getDialect() === 'mysql';
  const sql = 'INSERT INTO chat_cursor (user_id, delivered_seq, update_time) VALUES ' + cursors.map(() => '(?, ?, ?)').join(', ') +
    (mysql
      ? ' ON DUPLICATE KEY UPDATE delivered_seq = GREATEST(delivered_seq, VALUES(delivered_seq)), update_time = VALUES(update_time)'
      : ' ON CONFLICT(user_id) DO UPDATE SET delivered_seq = MAX(delivered_seq, excluded.delivered_seq), update_time = excluded.update_time');
  const now = new Date();
  await inTransaction(sequelize, transaction => sequelize.query(sql, {
    replacements: cursors.flatMap(([ userId, seq ]) => [ userId, seq, now ]), type: QueryTypes.INSERT, transaction,
  }));
}
