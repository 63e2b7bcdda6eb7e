import { Pool } from 'sequelize-pool';
import { Sequelize } from 'sequelize';
import { limitConnectionQueryTime } from './mysqlTuning';

/**
 * MySQL connections that accept several statements in one query, for the send path alone
 * (lib/transaction.ts inBatchedTransaction): a send's transaction in two round trips instead of six.
 * On this kind of machine every round trip costs a write and a read system call on each side, and those
 * were the largest share of a worker's time per message (docs/BENCHMARKS.md).
 *
 * A pool of its own, so that Sequelize's connections — every other query of the server — keep mysql2's
 * default of one statement per query (a stacked statement cannot ride on an injection there). Only the
 * send path's fixed SQL, with values escaped by mysql2, runs here. The connections are made by
 * Sequelize's own connection manager from the primary's configuration (the same type casting, time zone,
 * flags, TLS options) and get the same per-query deadline (lib/mysqlTuning.ts); acquiring one runs
 * Sequelize's `beforePoolAcquire` hook as a write would (lib/readRouting.ts marks the writer).
 */
export class MultiStatementPool {
  private readonly pool: Pool<any>;
  private closed = false;

  constructor(private readonly sequelize: Sequelize, queryTimeoutMs: number) {
    const manager = (sequelize as any).connectionManager;
    const primary = manager.config.replication?.write ?? manager.config;
    const config = { ...primary, dialectOptions: { ...primary.dialectOptions, multipleStatements: true } };
    const { pool } = manager.config;
    this.pool = new Pool({
      name: 'eggchat:multi-statement',
      create: async () => {
        const connection = await manager._connect(config);
        // Sequelize's error listener (connection lost) hands the connection to its pool's destroy, which
        // ignores one it does not hold; with replicas it picks that pool by this property.
        connection.queryType = 'write';
        limitConnectionQueryTime(connection, queryTimeoutMs);
        return connection;
      },
      destroy: (connection: any) => manager._disconnect(connection),
      validate: (connection: any) => manager.validate(connection),
      max: pool.max,
      min: 0,
      acquireTimeoutMillis: pool.acquire,
      idleTimeoutMillis: pool.idle,
      reapIntervalMillis: pool.evict,
    });
  }

  async acquire(): Promise<any> {
    await (this.sequelize as any).runHooks('beforePoolAcquire', { type: 'INSERT' });
    return this.pool.acquire();
  }

  release(connection: any): void {
    this.pool.release(connection);
  }

  destroy(connection: any): Promise<void> {
    return this.pool.destroy(connection);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.drain();
    await this.pool.destroyAllNow();
  }
}
