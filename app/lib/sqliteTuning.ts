import { QueryTypes, Sequelize } from 'sequelize';
import { WriteTurns } from './sqliteWriteTurns/client';

/** Transaction connections kept open per process, idle, for the next transactions (see tuneSqlite). */
const KEPT_TRANSACTION_CONNECTIONS = 2;
/** Sequelize's name for the connection of the writes made outside any transaction (see tuneSqlite). */
const PLAIN_WRITES = 'plain-writes';

const writeTurns = new WeakMap<Sequelize, WriteTurns>();

/** The write turns this process takes with the other workers on `sequelize`'s file (none: SQLite's busy timeout alone). */
export function sqliteWriteTurns(sequelize: Sequelize): WriteTurns | undefined {
  return writeTurns.get(sequelize);
}

/**
 * SQLite is shared by several egg workers and by concurrent transactions inside one worker (Sequelize
 * opens one connection per transaction). Each new connection gets a busy timeout so writers wait for
 * each other instead of failing with SQLITE_BUSY; the file uses WAL so readers never block writers.
 *
 * Sequelize's SQLite dialect opens a new connection for every transaction and closes it afterwards: the
 * file opened again, the schema parsed again, the PRAGMAs above run again — about 3 ms of CPU per
 * transaction against 0.2 ms on a connection kept open (docs/BENCHMARKS.md, "Messaging"). So a
 * transaction's connection, once the transaction has committed or rolled back cleanly, is kept open
 * (up to KEPT_TRANSACTION_CONNECTIONS idle ones) and handed to the next transaction. lib/transaction.ts
 * queues a process's write transactions one at a time, so one connection serves them all; a
 * transaction started while another runs still gets a connection of its own. A connection Sequelize
 * gives up on (a COMMIT or ROLLBACK that failed: its state is unknown) is closed, never reused.
 */
export function tuneSqlite(sequelize: Sequelize, busyTimeoutMs: number, turns?: WriteTurns): void {
  if (sequelize.getDialect() !== 'sqlite') return;
  const manager = (sequelize as any).connectionManager;
  if (manager.__eggchatTuned) return;
  // lib/sqliteWriteTurns/client.ts: every write of this process, in a transaction (lib/transaction.ts) or not (below).
  if (turns) writeTurns.set(sequelize, turns);
  const getConnection = manager.getConnection.bind(manager);
  const releaseConnection = manager.releaseConnection.bind(manager);
  const destroyConnection = manager.destroyConnection.bind(manager);
  const onProcessExit = manager._onProcessExit.bind(manager);
  const tuned = new WeakSet<object>();
  // Connections opened for a transaction (the shared non-transaction one is Sequelize's 'default').
  const forTransactions = new WeakSet<object>();
  const idle: any[] = [];
  let closing = false;
  const closeQuietly = (connection: any) => connection.close(() => undefined);

  manager.getConnection = async (options: { uuid?: string } | undefined) => {
    const transactional = Boolean(options?.uuid && options.uuid !== 'default' && options.uuid !== PLAIN_WRITES && (sequelize as any).options.storage !== ':memory:');
    if (transactional && idle.length) return idle.pop();
    const connection = await getConnection(options);
    if (transactional) forTransactions.add(connection);
    if (!tuned.has(connection)) {
      tuned.add(connection);
      connection.configure('busyTimeout', busyTimeoutMs);
      connection.run('PRAGMA journal_mode=WAL');
      connection.run('PRAGMA synchronous=NORMAL');
    }
    return connection;
  };

  // Called after a clean COMMIT or ROLLBACK, with connection.uuid still the finished transaction's id.
  manager.releaseConnection = (connection: any, force?: boolean) => {
    if (forTransactions.has(connection) && force !== true && !closing && idle.length < KEPT_TRANSACTION_CONNECTIONS) {
      // Sequelize's own map still names it under its first transaction's id: it is ours now.
      for (const [ uuid, known ] of Object.entries(manager.connections)) if (known === connection) delete manager.connections[uuid];
      idle.push(connection);
      return;
    }
    forTransactions.delete(connection);
    return releaseConnection(connection, force);
  };

  manager.destroyConnection = async (connection: any) => {
    if (!forTransactions.has(connection)) return destroyConnection(connection);
    forTransactions.delete(connection);
    const at = idle.indexOf(connection);
    if (at !== -1) idle.splice(at, 1);
    for (const [ uuid, known ] of Object.entries(manager.connections)) if (known === connection) delete manager.connections[uuid];
    closeQuietly(connection);
  };

  // node-sqlite3 runs one statement at a time per connection, and a write waits for SQLite's lock (held by
  // another worker's transaction, or this one's) on its connection. On the shared connection every read of
  // the worker waited behind it: the health check's SELECT 1 timed out, and a read this worker's own
  // transaction made there without passing the transaction waited for the write, which waited for the
  // transaction — nothing moved until the busy timeout failed the write. So writes outside a transaction
  // have a connection of their own, and the shared one (lib/rawQuery.ts selectRows too) only reads: in WAL
  // mode reads never wait.
  const query = sequelize.query.bind(sequelize) as (sql: unknown, options?: any) => Promise<unknown>;
  const plainWrite = (sql: unknown, options?: any) => query(sql, { ...options, uuid: PLAIN_WRITES });
  (sequelize as any).query = (sql: unknown, options?: any) => {
    if (options?.transaction || !isWrite(sql, options)) return query(sql, options);
    return turns ? turns.run(() => plainWrite(sql, options)) : plainWrite(sql, options);
  };

  // sequelize.close(): the kept connections close with Sequelize's own.
  manager._onProcessExit = async () => {
    closing = true;
    await Promise.all(idle.splice(0).map(connection => new Promise<void>(resolve => connection.close(() => resolve()))));
    return onProcessExit();
  };
  manager.__eggchatTuned = true;
}

const WRITE_TYPES = new Set<string>([ QueryTypes.INSERT, QueryTypes.UPDATE, QueryTypes.BULKUPDATE, QueryTypes.BULKDELETE, QueryTypes.DELETE, QueryTypes.UPSERT ]);
const WRITE_SQL = /^\s*(?:INSERT|UPDATE|DELETE|REPLACE)\b/i;

/** A statement that takes SQLite's write lock: by its query type, or for a raw one by its first word. */
function isWrite(sql: unknown, options?: { type?: string }): boolean {
  if (options?.type && WRITE_TYPES.has(options.type)) return true;
  const text = typeof sql === 'string' ? sql : (sql as { query?: unknown } | undefined)?.query;
  return typeof text === 'string' && WRITE_SQL.test(text);
}
