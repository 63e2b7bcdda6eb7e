import { QueryTypes, Sequelize, Transaction } from 'sequelize';
import { selectOne, selectRows } from '../lib/rawQuery';
import { inTransaction } from '../lib/transaction';

/** One entry of a recipient's inbox: its sequence number and the frame data, serialized. */
export interface InboxEntry { seq: number; payload: string }

const READ_SQL = 'SELECT seq, payload FROM chat_inbox WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?';
const CURSOR_SQL = 'SELECT delivered_seq FROM chat_cursor WHERE user_id = ?';

/**
 * Appends `payload` to the recipient's inbox inside the caller's transaction and answers its sequence
 * number. The recipient's last entry is read locked (MySQL: FOR UPDATE; SQLite transactions are
 * serial), so sequence numbers follow commit order: an entry that is visible means every lower one of
 * that recipient is visible too — a reader never skips one.
 */
export async function appendToInbox(sequelize: Sequelize, transaction: Transaction, userId: number, payload: string, messageId: number | null): Promise<number> {
  const mysql = sequelize.getDialect() === 'mysql';
  const [ last ] = await sequelize.query<{ seq: number | string | null }>(
    `SELECT MAX(seq) AS seq FROM chat_inbox WHERE user_id = ?${mysql ? ' FOR UPDATE' : ''}`,
    { replacements: [ userId ], type: QueryTypes.SELECT, transaction },
  );
  const seq = Number(last?.seq ?? 0) + 1;
  await sequelize.query(
    'INSERT INTO chat_inbox (user_id, seq, message_id, payload, create_time) VALUES (?, ?, ?, ?, ?)',
    { replacements: [ userId, seq, messageId, payload, new Date() ], type: QueryTypes.INSERT, transaction },
  );
  return seq;
}

/** Entries after `afterSeq`, in order. */
export function readInbox(sequelize: Sequelize, userId: number, afterSeq: number, limit: number): Promise<InboxEntry[]> {
  return selectRows<InboxEntry>(sequelize, READ_SQL, [ userId, afterSeq, limit ]).then(rows => rows.map(row => ({ seq: Number(row.seq), payload: row.payload })));
}

/** The last sequence number of each user's inbox (users with none are left out). */
export async function lastSeqs(sequelize: Sequelize, userIds: number[]): Promise<Map<number, number>> {
  if (!userIds.length) return new Map();
  const rows = await selectRows<{ user_id: number; seq: number | string }>(sequelize,
    `SELECT user_id, MAX(seq) AS seq FROM chat_inbox WHERE user_id IN (${userIds.map(() => '?').join(', ')}) GROUP BY user_id`, userIds);
  return new Map(rows.map(row => [ Number(row.user_id), Number(row.seq) ]));
}

/** How far the user's device confirmed receipt (0: nothing yet). */
export async function deliveredSeq(sequelize: Sequelize, userId: number): Promise<number> {
  const row = await selectOne<{ delivered_seq: number | string }>(sequelize, CURSOR_SQL, [ userId ]);
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
