import { Sequelize, Transaction } from 'sequelize';
import { isUniqueViolation, selectRows, txRows, txRun } from '../lib/rawQuery';
import { escapeLike } from '../lib/like';

// Every statement through lib/rawQuery.ts (the driver's own date handling, as repository/message.ts):
// a Date written here reads back as the same instant on both profiles.

/** Who owns an entry: a user ('single', their id) or a group ('group', its id). */
export interface AskOwner { type: 'single' | 'group'; id: number }

export interface AskRow { id: number; owner_type: 'single' | 'group'; owner_id: number; ask: string; answer: string; like_count: number; create_time: Date | string; update_time: Date | string }

const COLUMNS = 'id, owner_type, owner_id, ask, answer, like_count, create_time, update_time';

function normalize(row: any): AskRow {
  return { ...row, id: Number(row.id), owner_id: Number(row.owner_id), like_count: Number(row.like_count) };
}

async function select(sequelize: Sequelize, sql: string, values: unknown[], transaction?: Transaction): Promise<AskRow[]> {
  const rows = transaction ? await txRows<any>(sequelize, transaction, sql, values) : await selectRows<any>(sequelize, sql, values);
  return rows.map(normalize);
}

async function change(sequelize: Sequelize, transaction: Transaction, sql: string, values: unknown[]): Promise<number> {
  return (await txRun(sequelize, transaction, sql, values)).affectedRows;
}

/** An owner's entries, newest first (the original put a new one at the head of its list). */
export function listOf(sequelize: Sequelize, owner: AskOwner, limit: number, transaction?: Transaction): Promise<AskRow[]> {
  return select(sequelize, `SELECT ${COLUMNS} FROM askanswer WHERE owner_type = ? AND owner_id = ? ORDER BY id DESC LIMIT ?`, [ owner.type, owner.id, limit ], transaction);
}

export async function countOf(sequelize: Sequelize, owner: AskOwner, transaction: Transaction): Promise<number> {
  const [ row ] = await txRows<{ n: number | string }>(sequelize, transaction, 'SELECT COUNT(*) AS n FROM askanswer WHERE owner_type = ? AND owner_id = ?', [ owner.type, owner.id ]);
  return Number(row?.n ?? 0);
}

export async function findById(sequelize: Sequelize, id: number, transaction?: Transaction): Promise<AskRow | null> {
  const [ row ] = await select(sequelize, `SELECT ${COLUMNS} FROM askanswer WHERE id = ?`, [ id ], transaction);
  return row ?? null;
}

export async function findByAsk(sequelize: Sequelize, owner: AskOwner, ask: string, transaction: Transaction): Promise<AskRow | null> {
  const [ row ] = await select(sequelize, `SELECT ${COLUMNS} FROM askanswer WHERE owner_type = ? AND owner_id = ? AND ask = ?`, [ owner.type, owner.id, ask ], transaction);
  return row ?? null;
}

/**
 * Takes the owner's row lock (the user's or the group's row) for a write of their entries: the count
 * limit and the same-question check hold under concurrent creates. SQLite: the write transaction
 * (BEGIN IMMEDIATE) already serializes. False when the owner row is gone.
 */
export async function lockOwner(sequelize: Sequelize, owner: AskOwner, transaction: Transaction): Promise<boolean> {
  const table = owner.type === 'single' ? '`user`' : '`group`';
  const lock = sequelize.getDialect() === 'mysql' ? ' FOR UPDATE' : '';
  const rows = await txRows(sequelize, transaction, `SELECT id FROM ${table} WHERE id = ?${lock}`, [ owner.id ]);
  return rows.length === 1;
}

export async function insertEntry(sequelize: Sequelize, owner: AskOwner, ask: string, answer: string, now: Date, transaction: Transaction): Promise<void> {
  await txRun(sequelize, transaction, 'INSERT INTO askanswer (owner_type, owner_id, ask, answer, like_count, `order`, create_time, update_time) VALUES (?, ?, ?, ?, 0, 50, ?, ?)',
    [ owner.type, owner.id, ask, answer, now, now ]);
}

/** Changes an entry's question and answer; false when it is gone; a question the owner already has throws ('duplicate'). */
export async function updateEntry(sequelize: Sequelize, id: number, ask: string, answer: string, now: Date, transaction: Transaction): Promise<boolean | 'duplicate'> {
  try {
    return await change(sequelize, transaction, 'UPDATE askanswer SET ask = ?, answer = ?, update_time = ? WHERE id = ?', [ ask, answer, now, id ]) === 1;
  } catch (err) {
    if (isUniqueViolation(err)) return 'duplicate';
    throw err;
  }
}

export async function deleteEntry(sequelize: Sequelize, id: number, transaction: Transaction): Promise<boolean> {
  return await change(sequelize, transaction, 'DELETE FROM askanswer WHERE id = ?', [ id ]) === 1;
}

/** What the admin console's auto-answers page filters by: question text (contains), owner, and a keyset cursor. */
export interface AskPageFilter { ask?: string; ownerType?: 'single' | 'group'; ownerId?: number; beforeId?: number }

/** A page of every owner's entries, newest first (keyset on id: as fast on the last page as on the first). */
export function pageEntries(sequelize: Sequelize, filter: AskPageFilter, limit: number): Promise<AskRow[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  if (filter.ask) {
    where.push("ask LIKE ? ESCAPE '!'");
    values.push(`%${escapeLike(filter.ask)}%`);
  }
  if (filter.ownerType) {
    where.push('owner_type = ?');
    values.push(filter.ownerType);
  }
  if (filter.ownerId !== undefined) {
    where.push('owner_id = ?');
    values.push(filter.ownerId);
  }
  if (filter.beforeId !== undefined) {
    where.push('id < ?');
    values.push(filter.beforeId);
  }
  const clause = where.length ? ` WHERE ${where.join(' AND ')}` : '';
  return select(sequelize, `SELECT ${COLUMNS} FROM askanswer${clause} ORDER BY id DESC LIMIT ?`, [ ...values, limit ]);
}
