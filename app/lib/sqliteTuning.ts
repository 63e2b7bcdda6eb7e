import { Sequelize } from 'sequelize';

/**
 * SQLite is shared by several egg workers and by concurrent transactions inside one worker (Sequelize
 * opens one connection per transaction). Each new connection gets a busy timeout so writers wait for
 * each other instead of failing with SQLITE_BUSY; the file uses WAL so readers never block writers.
 */
export function tuneSqlite(sequelize: Sequelize, busyTimeoutMs: number): void {
  if (sequelize.getDialect() !== 'sqlite') return;
  const manager = (sequelize as any).connectionManager;
  if (manager.__eggchatTuned) return;
  const getConnection = manager.getConnection.bind(manager);
  const tuned = new WeakSet<object>();
  manager.getConnection = async (options: unknown) => {
    const connection = await getConnection(options);
    if (!tuned.has(connection)) {
      tuned.add(connection);
      connection.configure('busyTimeout', busyTimeoutMs);
      connection.run('PRAGMA journal_mode=WAL');
      connection.run('PRAGMA synchronous=NORMAL');
    }
    return connection;
  };
  manager.__eggchatTuned = true;
}
