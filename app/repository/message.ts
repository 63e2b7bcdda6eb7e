import { QueryTypes, Sequelize, Transaction, UniqueConstraintError } from 'sequelize';
import { isUniqueViolation, selectOne, txRows, txRun } from '../lib/rawQuery';

/** A `message` row as the services read it. */
export interface StoredMessage { id: number; uuid: string; from_id: number; to_id: number; chat_type: 'single' | 'group'; isremove: number; create_time: Date | string }

export interface NewMessage {
  uuid: string; from_id: number; to_id: number; chat_type: 'single' | 'group'; type: string; data: string;
  options: string; client_msg_id: string | null; create_time: Date;
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
export async function insertMessage(sequelize: Sequelize, transaction: Transaction, message: NewMessage): Promise<number> {
  try {
    const { insertId } = await txRun(sequelize, transaction, INSERT_SQL, [
      message.uuid, message.from_id, message.to_id, message.chat_type, message.type, message.data, message.options, message.client_msg_id, message.create_time, message.create_time,
    ]);
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
export async function countSent(sequelize: Sequelize, fromId: number, toId: number, transaction: Transaction): Promise<number> {
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
