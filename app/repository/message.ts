import { QueryTypes, Sequelize, Transaction, UniqueConstraintError } from 'sequelize';
import { isUniqueViolation, selectOne, txRows, txRun } from '../lib/rawQuery';
import { Statement } from '../lib/transaction';

/** A `message` row as the services read it. */
export interface StoredMessage { id: number; uuid: string; from_id: number; to_id: number; chat_type: 'single' | 'group'; isremove: number; create_time: Date | string }

export interface NewMessage {
  uuid: string; from_id: number; to_id: number; chat_type: 'single' | 'group'; type: string; data: string;
  options: string; client_msg_id: string | null; create_time: Date;
}

/**
 * Everything a send reads, in one statement: the sender's row (s), the recipient's (r), the recipient's
 * friendship row for the sender (t: "their row for me", remark, blacklist) and the sender's for the
 * recipient (m). The one-row derived table keeps a row whichever of them is missing. Parameters: the
 * sender, the recipient, then the pairs (recipient, sender) and (sender, recipient). Primary-key and
 * unique-index lookups only (goodfriend_user_friend_unique).
 */
const SEND_READ_SQL = 'SELECT s.id AS s_id, s.uuid AS s_uuid, s.username AS s_username, s.nickname AS s_nickname, s.avatar AS s_avatar, ' +
  'r.id AS r_id, r.username AS r_username, r.nickname AS r_nickname, r.avatar AS r_avatar, r.status AS r_status, r.is_deleted AS r_deleted, r.userset AS r_userset, ' +
  't.id AS t_id, t.nickname AS t_nickname, t.isblack AS t_isblack, t.status AS t_status, m.id AS m_id, m.nickname AS m_nickname ' +
  'FROM (SELECT 1 AS one) d LEFT JOIN `user` s ON s.id = ? LEFT JOIN `user` r ON r.id = ? ' +
  'LEFT JOIN goodfriend t ON t.user_id = ? AND t.friend_id = ? LEFT JOIN goodfriend m ON m.user_id = ? AND m.friend_id = ?';

export interface SendRead {
  s_id: number | null; s_uuid: string; s_username: string; s_nickname: string | null; s_avatar: string;
  r_id: number | null; r_username: string; r_nickname: string | null; r_avatar: string; r_status: number | string; r_deleted: number | string; r_userset: string | null;
  t_id: number | null; t_nickname: string | null; t_isblack: number | string; t_status: number | string; m_id: number | null; m_nickname: string | null;
}

/** Everything a send reads (above), inside its transaction. */
export async function readForSend(sequelize: Sequelize, transaction: unknown, fromId: number, toId: number): Promise<SendRead | null> {
  const { sql, values } = readForSendStatement(fromId, toId);
  const [ row ] = await txRows<SendRead>(sequelize, transaction, sql, values);
  return row ?? null;
}

/** readForSend's statement, for a batch (lib/transaction.ts inBatchedTransaction). */
export function readForSendStatement(fromId: number, toId: number): Statement {
  return { sql: SEND_READ_SQL, values: [ fromId, toId, toId, fromId, fromId, toId ] };
}

const COLUMNS = 'id, uuid, from_id, to_id, chat_type, isremove, create_time';

function normalize(row: any): StoredMessage | null {
  if (!row) return null;
  return { ...row, id: Number(row.id), from_id: Number(row.from_id), to_id: Number(row.to_id), isremove: Number(row.isremove) };
}

async function one(sequelize: Sequelize, sql: string, replacements: unknown[], transaction?: Transaction): Promise<any> {
  const [ row ] = await sequelize.query<any>(sql, { replacements, type: QueryTypes.SELECT, transaction });
  return row ?? null;
}

const INSERT_SQL = 'INSERT INTO message (uuid, from_id, to_id, chat_type, type, data, options, client_msg_id, isremove, `order`, create_time, update_time) ' +
  'VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 50, ?, ?)';

/**
 * Stores a message and answers its row id (straight on the transaction's connection: lib/rawQuery.ts
 * txRun). A key already used (uuid, or the sender's idempotency key) throws Sequelize's
 * UniqueConstraintError, as it did through Sequelize: the services answer the first message then.
 */
/** insertMessage's statement, for a batch: the row's id is then the server's LAST_INSERT_ID(). */
export function insertMessageStatement(message: NewMessage): Statement {
  return { sql: INSERT_SQL, values: messageValues(message) };
}

function messageValues(message: NewMessage): unknown[] {
  return [ message.uuid, message.from_id, message.to_id, message.chat_type, message.type, message.data, message.options, message.client_msg_id, message.create_time, message.create_time ];
}

export async function insertMessage(sequelize: Sequelize, transaction: Transaction, message: NewMessage): Promise<number> {
  try {
    const { insertId } = await txRun(sequelize, transaction, INSERT_SQL, messageValues(message));
    return insertId;
  } catch (err: any) {
    if (isUniqueViolation(err)) throw new UniqueConstraintError({ message: err.message, parent: err, original: err } as any);
    throw err;
  }
}

export async function findByUuid(sequelize: Sequelize, uuid: string, transaction?: Transaction): Promise<StoredMessage | null> {
  const lock = transaction && sequelize.getDialect() === 'mysql' ? ' FOR UPDATE' : '';
  return normalize(await one(sequelize, `SELECT ${COLUMNS} FROM message WHERE uuid = ?${lock}`, [ uuid ], transaction));
}

export async function findByClientId(sequelize: Sequelize, fromId: number, clientMsgId: string, transaction?: Transaction): Promise<StoredMessage | null> {
  const sql = `SELECT ${COLUMNS} FROM message WHERE from_id = ? AND client_msg_id = ?`;
  return normalize(transaction ? await one(sequelize, sql, [ fromId, clientMsgId ], transaction) : await selectOne(sequelize, sql, [ fromId, clientMsgId ]));
}

/** Messages I sent that user (single chat): the stranger limit counts them, inside the send's transaction. */
export async function countSent(sequelize: Sequelize, fromId: number, toId: number, transaction: unknown): Promise<number> {
  const [ row ] = await txRows<{ n: number | string }>(sequelize, transaction, 'SELECT COUNT(*) AS n FROM message WHERE from_id = ? AND to_id = ? AND chat_type = \'single\'', [ fromId, toId ]);
  return Number(row?.n ?? 0);
}

/** The object the recipient got for that message (its first inbox entry). */
export async function payloadOf(sequelize: Sequelize, messageId: number, recipientId: number, transaction?: Transaction): Promise<string | null> {
  const row = await one(sequelize, 'SELECT payload FROM chat_inbox WHERE message_id = ? AND user_id = ? ORDER BY seq LIMIT 1', [ messageId, recipientId ], transaction);
  return row?.payload ?? null;
}

/** Marks it recalled; false when it was already. */
export async function markRecalled(sequelize: Sequelize, id: number, transaction: Transaction): Promise<boolean> {
  const before = await one(sequelize, 'SELECT isremove FROM message WHERE id = ?', [ id ], transaction);
  if (!before || Number(before.isremove) === 1) return false;
  await sequelize.query('UPDATE message SET isremove = 1, update_time = ? WHERE id = ?', { replacements: [ new Date(), id ], transaction });
  return true;
}
