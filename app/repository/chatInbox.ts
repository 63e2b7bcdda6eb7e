import { QueryTypes, Sequelize, Transaction, UniqueConstraintError } from 'sequelize';
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

/** How far the user's device confirmed receipt (0: nothing yet). */
export async function deliveredSeq(sequelize: Sequelize, userId: number): Promise<number> {
  const row = await selectOne<{ delivered_seq: number | string }>(sequelize, CURSOR_SQL, [ userId ]);
  return Number(row?.delivered_seq ?? 0);
}

/**
 * Moves the cursor forward to `seq` (never back: a late confirmation of an older push changes nothing).
 * In a transaction of its own so that, on SQLite, it queues with this process's other writes.
 */
export async function markDelivered(sequelize: Sequelize, userId: number, seq: number): Promise<void> {
  await inTransaction(sequelize, async transaction => {
    const lock = sequelize.getDialect() === 'mysql' ? ' FOR UPDATE' : '';
    const [ row ] = await sequelize.query<{ delivered_seq: number | string }>(`SELECT delivered_seq FROM chat_cursor WHERE user_id = ?${lock}`,
      { replacements: [ userId ], type: QueryTypes.SELECT, transaction });
    if (row && Number(row.delivered_seq) >= seq) return;
    await sequelize.query(row
      ? 'UPDATE chat_cursor SET delivered_seq = ?, update_time = ? WHERE user_id = ?'
      : 'INSERT INTO chat_cursor (delivered_seq, update_time, user_id) VALUES (?, ?, ?)',
    { replacements: [ seq, new Date(), userId ], transaction });
  }).catch(err => {
    // Two confirmations made the row at the same moment: the next confirmation moves it on.
    if (!(err instanceof UniqueConstraintError)) throw err;
  });
}
