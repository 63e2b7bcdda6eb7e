import { Sequelize, Transaction } from 'sequelize';

const RETRYABLE = new Set([ 'ER_LOCK_DEADLOCK', 'SQLITE_BUSY' ]);
/** A SQLITE_BUSY that took this long came after the busy timeout (app.ts), not at once: not retried. */
const SQLITE_BUSY_GIVE_UP_MS = 1000;

/**
 * SQLite allows one writer at a time, and node-sqlite3 waits for its lock on a libuv thread: a few
 * waiting transactions would take every thread and starve the one holding the lock. So within a
 * process, SQLite write transactions queue here; across processes the busy timeout arbitrates.
 */
const sqliteQueues = new WeakMap<Sequelize, Promise<unknown>>();

function queued<T>(sequelize: Sequelize, work: () => Promise<T>): Promise<T> {
  const previous = sqliteQueues.get(sequelize) ?? Promise.resolve();
  const run = previous.then(work, work);
  sqliteQueues.set(sequelize, run.catch(() => undefined));
  return run;
}

/**
 * Runs `work` in one transaction. On SQLite the transaction takes the write lock up front
 * (IMMEDIATE) so two writers never deadlock on a lock upgrade; on MySQL a deadlock victim is retried.
 */
export async function inTransaction<T>(sequelize: Sequelize, work: (t: Transaction) => Promise<T>, attempts = 3): Promise<T> {
  const sqlite = sequelize.getDialect() === 'sqlite';
  const once = () => (sqlite
    ? queued(sequelize, () => sequelize.transaction({ type: Transaction.TYPES.IMMEDIATE }, work))
    : sequelize.transaction(work));
  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    try {
      return await once();
    } catch (err: any) {
      const code = err?.parent?.code ?? err?.original?.code ?? err?.code;
      if (attempt >= attempts || !RETRYABLE.has(code)) throw err;
      // SQLITE_BUSY after the whole busy timeout: another process holds the lock for long (a backup, an
      // open sqlite3 shell). Waiting that long again would only delay the 503.
      if (code === 'SQLITE_BUSY' && Date.now() - started >= SQLITE_BUSY_GIVE_UP_MS) throw err;
      await new Promise(resolve => setTimeout(resolve, 10 * attempt + Math.random() * 20));
    }
  }
}
