import { QueryTypes, Sequelize } from 'sequelize';

/**
 * `primary`: read the primary even when read replicas are in use and lib/readRouting.ts would pick one (the
 * reads that feed socket delivery: a lagging replica's older cursor would push again what was delivered).
 */
export interface ReadOptions { primary?: boolean }

/**
 * A read-only statement with `?` placeholders, sent straight to one of Sequelize's pooled connections.
 * For the few statements that run on nearly every request (the session's user row, the session itself
 * in the embedded profile, the contact-list version, a friend's profile, search): Sequelize's own query
 * pipeline (replacements, hooks, result formatting) cost about 50 µs of CPU per query on MySQL, as much
 * as the rest of the query (measured: 100–114 µs against 57 µs per primary-key read). The connection is
 * the pool's, so it has the same type casting, time zone and deadline (lib/mysqlTuning.ts) as every
 * other query; its errors are mysql2's, which lib/errors/toHttpError.ts maps like Sequelize's.
 *
 * SQLite: the same, on Sequelize's shared (non-transaction) connection, tuned like every other one
 * (lib/sqliteTuning.ts). Sequelize answers a query without a model with the rows exactly as
 * node-sqlite3 gives them, so nothing changes for callers; what it costs there is skipped: a
 * `PRAGMA table_info` statement before every SELECT whose SQL names a table as FROM `x`, and a stack
 * trace formatted for every statement (with source maps on, the largest share of a worker's time).
 */
export async function selectRows<T extends object>(sequelize: Sequelize, sql: string, values: unknown[], options: ReadOptions = {}): Promise<T[]> {
  const dialect = sequelize.getDialect();
  const useMaster = options.primary ? true : undefined;
  if (dialect !== 'mysql' && dialect !== 'sqlite') {
    return sequelize.query<T>(sql, { replacements: values, type: QueryTypes.SELECT, useMaster });
  }
  const manager = (sequelize as any).connectionManager;
  const connection = await manager.getConnection({ type: 'SELECT', useMaster });
  try {
    logStatement(sequelize, { connection }, sql, [ ...values ]);
    if (dialect === 'sqlite') {
      return await new Promise<T[]>((resolve, reject) => {
        connection.all(sql, values.map(sqliteValue), (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows)));
      });
    }
    return await new Promise<T[]>((resolve, reject) => {
      connection.query({ sql, values }, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows)));
    });
  } finally {
    manager.releaseConnection(connection);
  }
}

/** The first row of `selectRows`, or null. */
/** Bound values per `IN (…)` list: far below SQLite's and MySQL's limits, and a plan either engine keeps cheap. */
const IN_CHUNK = 500;

/**
 * `selectRows` for a query over a list of ids, one statement per chunk of `IN_CHUNK` ids: `sqlFor` gets the
 * placeholders (`?, ?, …`) to put between the parentheses of its `IN (…)`.
 */
export async function selectRowsIn<T extends object>(sequelize: Sequelize, sqlFor: (placeholders: string) => string, ids: unknown[], options: ReadOptions = {}): Promise<T[]> {
  const rows: T[] = [];
  for (let start = 0; start < ids.length; start += IN_CHUNK) {
    const chunk = ids.slice(start, start + IN_CHUNK);
    rows.push(...await selectRows<T>(sequelize, sqlFor(chunk.map(() => '?').join(', ')), chunk, options));
  }
  return rows;
}

export async function selectOne<T extends object>(sequelize: Sequelize, sql: string, values: unknown[], options: ReadOptions = {}): Promise<T | null> {
  const rows = await selectRows<T>(sequelize, sql, values, options);
  return rows[0] ?? null;
}

/** What a write sent by `txRun` did. `insertId`: the AUTO_INCREMENT id (MySQL) or the rowid (SQLite). */
export interface RunResult { insertId: number; affectedRows: number }

/**
 * SQLite stores dates as Sequelize writes them ('YYYY-MM-DD HH:mm:ss.SSS +00:00', UTC), so rows written
 * here read back like every other row; node-sqlite3 would bind a Date as a number of milliseconds.
 */
function sqliteValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().replace('T', ' ').replace('Z', ' +00:00');
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value === undefined ? null : value;
}

/** Sequelize's logging sees the statement, as it does for rawQuery's reads (the query-count tests read it there). */
function logStatement(sequelize: Sequelize, transaction: { id?: string; connection?: any }, sql: string, values: unknown[]): void {
  const logging = (sequelize as any).options.logging;
  if (typeof logging !== 'function') return;
  const text = sequelize.getDialect() === 'mysql'
    ? transaction.connection.format(sql, values)
    : sql.replace(/\?/g, () => (sequelize as any).escape(sqliteValue(values.shift())));
  (logging as (sql: string) => void)(`Executing (${transaction.id ?? 'default'}): ${text}`);
}

function sendRaw(sequelize: Sequelize, transaction: any, sql: string, values: unknown[], rows: boolean): Promise<any> {
  const connection = transaction.connection;
  if (!connection) throw new Error('rawQuery: the transaction has no connection yet');
  logStatement(sequelize, transaction, sql, [ ...values ]);
  if (sequelize.getDialect() === 'mysql') {
    return new Promise((resolve, reject) => {
      connection.query({ sql, values }, (err: Error | null, result: any) => (err ? reject(err) : resolve(rows ? result : { insertId: Number(result.insertId), affectedRows: Number(result.affectedRows) })));
    });
  }
  const params = values.map(sqliteValue);
  return new Promise((resolve, reject) => {
    if (rows) connection.all(sql, params, (err: Error | null, result: any[]) => (err ? reject(err) : resolve(result)));
    else connection.run(sql, params, function(this: { lastID: number; changes: number }, err: Error | null) { return err ? reject(err) : resolve({ insertId: Number(this.lastID), affectedRows: Number(this.changes) }); });
  });
}

/**
 * A statement inside `transaction`, sent straight to the transaction's own connection (mysql2's, or
 * node-sqlite3's Database): the hot writes of a send skip Sequelize's pipeline too (on SQLite that
 * pipeline also formats a stack trace for every statement). Only for transactions run by
 * app.transaction / inTransaction, whose connection is acquired before `work` starts. Errors are the
 * driver's own (`code` ER_DUP_ENTRY, SQLITE_CONSTRAINT, ER_LOCK_DEADLOCK, SQLITE_BUSY …: see
 * isUniqueViolation; lib/transaction.ts and lib/errors/toHttpError.ts read `code` as they read Sequelize's).
 */
export function txRows<T extends object>(sequelize: Sequelize, transaction: unknown, sql: string, values: unknown[]): Promise<T[]> {
  return sendRaw(sequelize, transaction, sql, values, true);
}

/** A write inside `transaction` (see txRows): its insert id and the number of rows it changed. */
export function txRun(sequelize: Sequelize, transaction: unknown, sql: string, values: unknown[]): Promise<RunResult> {
  return sendRaw(sequelize, transaction, sql, values, false);
}

/** A duplicate key refused by a unique index: Sequelize's UniqueConstraintError or the driver's own error. */
export function isUniqueViolation(err: any): boolean {
  if (err?.name === 'SequelizeUniqueConstraintError') return true;
  const code = err?.code ?? err?.parent?.code ?? err?.original?.code;
  return code === 'ER_DUP_ENTRY' || (code === 'SQLITE_CONSTRAINT' && /UNIQUE/i.test(String(err?.message)));
}
