import { randomUUID } from 'node:crypto';
import { Sequelize, Transaction } from 'sequelize';
import { sqliteWriteTurns } from './sqliteTuning';
import { MultiStatementPool } from './multiStatementPool';

const RETRYABLE = new Set([ 'ER_LOCK_DEADLOCK', 'SQLITE_BUSY' ]);
/** A SQLITE_BUSY that took this long came after the busy timeout (app.ts), not at once: not retried. */
const SQLITE_BUSY_GIVE_UP_MS = 1000;

/**
 * SQLite allows one writer at a time, and node-sqlite3 waits for its lock on a libuv thread: a few
 * waiting transactions would take every thread and starve the one holding the lock. So within a
 * process, SQLite write transactions queue here; across processes they take turns (lib/sqliteWriteTurns),
 * and the busy timeout arbitrates what is left (another program, the agent unreachable).
 */
const sqliteQueues = new WeakMap<Sequelize, Promise<unknown>>();

function queued<T>(sequelize: Sequelize, work: () => Promise<T>): Promise<T> {
  const previous = sqliteQueues.get(sequelize) ?? Promise.resolve();
  const turns = sqliteWriteTurns(sequelize);
  const inTurn = turns ? () => turns.run(work) : work;
  const run = previous.then(inTurn, inTurn);
  sqliteQueues.set(sequelize, run.catch(() => undefined));
  return run;
}

/** What to undo outside the database when a transaction does not commit (see onRollback). */
const undoLists = new WeakMap<Transaction, Array<() => Promise<void>>>();

/**
 * Registers `undo` for a change made outside the database inside `transaction` (a session written to
 * Redis): it runs if the transaction does not commit — `work` threw, or the COMMIT itself failed — so a
 * request that answers an error leaves nothing behind there either.
 */
export function onRollback(transaction: Transaction, undo: () => Promise<void>): void {
  const list = undoLists.get(transaction) ?? [];
  list.push(undo);
  undoLists.set(transaction, list);
}

async function undoAll(transaction: Transaction | undefined): Promise<void> {
  const list = transaction && undoLists.get(transaction);
  if (!list) return;
  undoLists.delete(transaction!);
  // Latest first; best effort: the error the caller sees is the transaction's, not an undo's.
  for (const undo of list.reverse()) await undo().catch(() => undefined);
}

/** The driver's code of a failed transaction's error (Sequelize wraps the driver's error). */
function errorCode(err: any): string | undefined {
  return err?.parent?.code ?? err?.original?.code ?? err?.code;
}

/** Before the next attempt of a deadlock victim (or a busy SQLite file): a short random wait. Otherwise, or after the last attempt, `err` is thrown. */
async function backOffOrThrow(err: unknown, attempt: number, attempts: number): Promise<void> {
  if (attempt >= attempts || !RETRYABLE.has(errorCode(err) as string)) throw err;
  await new Promise(resolve => setTimeout(resolve, 10 * attempt + Math.random() * 20));
}

/**
 * Runs `work` in one transaction. On SQLite the transaction takes the write lock up front
 * (IMMEDIATE) so two writers never deadlock on a lock upgrade; on MySQL a deadlock victim is retried.
 */
export async function inTransaction<T>(sequelize: Sequelize, work: (t: Transaction) => Promise<T>, attempts = 3): Promise<T> {
  const sqlite = sequelize.getDialect() === 'sqlite';
  let current: Transaction | undefined;
  const tracked = (transaction: Transaction) => {
    current = transaction;
    return work(transaction);
  };
  const once = () => (sqlite
    ? queued(sequelize, () => sequelize.transaction({ type: Transaction.TYPES.IMMEDIATE }, tracked))
    : sequelize.transaction(tracked));
  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    current = undefined;
    try {
      return await once();
    } catch (err: any) {
      await undoAll(current);
      // SQLITE_BUSY after the whole busy timeout: another process holds the lock for long (a backup, an
      // open sqlite3 shell). Waiting that long again would only delay the 503.
      if (errorCode(err) === 'SQLITE_BUSY' && Date.now() - started >= SQLITE_BUSY_GIVE_UP_MS) throw err;
      await backOffOrThrow(err, attempt, attempts);
    }
  }
}

/** One MySQL statement on a connection, outside any pipeline (BEGIN, COMMIT, ROLLBACK). */
function controlStatement(connection: any, sql: string): Promise<void> {
  return new Promise((resolve, reject) => connection.query({ sql }, (err: Error | null) => (err ? reject(err) : resolve())));
}

/**
 * The few things of a Sequelize Transaction that the raw statement helpers use (lib/rawQuery.ts txRows /
 * txRun read `connection` and `id`; services register `afterCommit` hooks). Nothing else may be asked
 * of it: it is only for work written with those helpers.
 */
class DirectTransaction {
  readonly id = randomUUID();
  finished?: 'commit' | 'rollback';
  private readonly hooks: Array<(t: unknown) => unknown> = [];

  constructor(readonly connection: any) {}

  afterCommit(hook: (t: unknown) => unknown): void {
    this.hooks.push(hook);
  }

  async runHooks(): Promise<void> {
    for (const hook of this.hooks) await hook(this);
  }
}

/**
 * inTransaction for work made only of raw statements (lib/rawQuery.ts txRows/txRun) and afterCommit
 * hooks — the send path. On MySQL, BEGIN and COMMIT go straight to the pooled connection instead of
 * through Sequelize's Transaction and query pipeline (two statements of a send's six; in the messaging
 * profile that pipeline was about a tenth of a worker's JavaScript time: docs/BENCHMARKS.md). The same
 * guarantees as inTransaction: the connection comes from Sequelize's pool (its `beforePoolAcquire` hook,
 * read routing, runs), a deadlock victim is retried, a failed COMMIT leaves the connection destroyed (its
 * state is unknown), the hooks run only after a COMMIT that succeeded. Other dialects: inTransaction.
 */
export async function inDirectTransaction<T>(sequelize: Sequelize, work: (t: Transaction) => Promise<T>, attempts = 3): Promise<T> {
  if (sequelize.getDialect() !== 'mysql') return inTransaction(sequelize, work, attempts);
  const manager = (sequelize as any).connectionManager;
  for (let attempt = 1; ; attempt++) {
    const transaction = new DirectTransaction(null);
    const connection = await manager.getConnection({ uuid: transaction.id });
    (transaction as { connection: any }).connection = connection;
    // A connection whose state is unknown (a failed ROLLBACK or COMMIT) is destroyed, never handed out again.
    let broken = false;
    let result: T;
    try {
      await controlStatement(connection, 'START TRANSACTION');
      log(sequelize, transaction.id, 'START TRANSACTION');
      try {
        result = await work(transaction as unknown as Transaction);
      } catch (err) {
        transaction.finished = 'rollback';
        await controlStatement(connection, 'ROLLBACK').catch(() => { broken = true; });
        throw err;
      }
      try {
        await controlStatement(connection, 'COMMIT');
      } catch (err) {
        transaction.finished = 'rollback';
        broken = true;
        throw err;
      }
      log(sequelize, transaction.id, 'COMMIT');
      transaction.finished = 'commit';
    } catch (err: any) {
      await (broken ? manager.destroyConnection(connection).catch(() => undefined) : manager.releaseConnection(connection));
      await undoAll(transaction as unknown as Transaction);
      await backOffOrThrow(err, attempt, attempts);
      continue;
    }
    await manager.releaseConnection(connection);
    await transaction.runHooks();
    return result;
  }
}

/** A statement of a batch: SQL with `?` placeholders and its values. */
export interface Statement { sql: string; values: unknown[] }

/**
 * A transaction sent in batches of statements, one round trip each (lib/multiStatementPool.ts): `begin`
 * opens it with its first statements, `commit` closes it after its last ones; `txRows`/`txRun`
 * (lib/rawQuery.ts) send single statements in between. Each batch answers its statements' results in order.
 */
export interface BatchedTransaction {
  readonly id: string;
  readonly connection: any;
  begin(statements: Statement[]): Promise<any[]>;
  commit(statements: Statement[]): Promise<any[]>;
  afterCommit(hook: (t: unknown) => unknown): void;
}

class MultiStatementTransaction extends DirectTransaction implements BatchedTransaction {
  /** Something was sent, so a transaction may be open on the connection. */
  started = false;

  constructor(connection: any, private readonly sequelize: Sequelize) {
    super(connection);
  }

  begin(statements: Statement[]): Promise<any[]> {
    this.started = true;
    return this.send([{ sql: 'START TRANSACTION', values: [] }, ...statements ]).then(results => results.slice(1));
  }

  async commit(statements: Statement[]): Promise<any[]> {
    // Without START TRANSACTION the statements would each commit on their own.
    if (!this.started) throw new Error('inBatchedTransaction: commit before begin');
    const results = await this.send([ ...statements, { sql: 'COMMIT', values: [] }]);
    this.finished = 'commit';
    return results.slice(0, -1);
  }

  private send(statements: Statement[]): Promise<any[]> {
    const texts = statements.map(({ sql, values }) => this.connection.format(sql, values));
    for (const text of texts) log(this.sequelize, this.id, text);
    return new Promise((resolve, reject) => {
      this.connection.query({ sql: texts.join(';\n') }, (err: Error | null, results: any) => (err ? reject(err) : resolve(statements.length > 1 ? results : [ results ])));
    });
  }
}

/**
 * A MySQL transaction in as few round trips as its work allows: `work` gets a BatchedTransaction on a
 * connection of `pool` (START TRANSACTION rides with its first statements, COMMIT with its last). The
 * guarantees of inDirectTransaction: a deadlock victim is retried, hooks run only after the COMMIT
 * succeeded. When anything fails after the first batch was sent (a statement of a batch, COMMIT itself,
 * or `work`), ROLLBACK follows: a server that stopped at a failed statement left the transaction open, and
 * one that failed the COMMIT has already rolled back (ROLLBACK then does nothing). A ROLLBACK that fails
 * leaves the connection in an unknown state: it is destroyed.
 */
export async function inBatchedTransaction<T>(sequelize: Sequelize, pool: MultiStatementPool, work: (t: BatchedTransaction) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const connection = await pool.acquire();
    const transaction = new MultiStatementTransaction(connection, sequelize);
    let result: T;
    try {
      result = await work(transaction);
      if (transaction.finished !== 'commit') throw new Error('inBatchedTransaction: the work did not commit');
    } catch (err: any) {
      transaction.finished = 'rollback';
      let broken = false;
      if (transaction.started) {
        await controlStatement(connection, 'ROLLBACK').then(() => log(sequelize, transaction.id, 'ROLLBACK'), () => { broken = true; });
      }
      if (broken) await pool.destroy(connection).catch(() => undefined);
      else pool.release(connection);
      await undoAll(transaction as unknown as Transaction);
      await backOffOrThrow(err, attempt, attempts);
      continue;
    }
    pool.release(connection);
    await transaction.runHooks();
    return result;
  }
}

/** Sequelize's logging sees BEGIN and COMMIT as it does for its own transactions (the statement-count tests read it). */
function log(sequelize: Sequelize, id: string, sql: string): void {
  const logging = (sequelize as any).options.logging;
  if (typeof logging === 'function') logging(`Executing (${id}): ${sql}`);
}
