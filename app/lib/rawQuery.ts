import { QueryTypes, Sequelize } from 'sequelize';

/**
 * A read-only statement with `?` placeholders, sent straight to one of Sequelize's pooled mysql2
 * connections. For the few statements that run on nearly every request (the session's user row, the
 * contact-list version, a friend's profile, search): Sequelize's own query pipeline (replacements,
 * hooks, result formatting) cost about 50 µs of CPU per query here, as much as the rest of the query
 * (measured: 100–114 µs against 57 µs per primary-key read). The connection is the pool's, so it
 * has the same type casting, time zone and deadline (lib/mysqlTuning.ts) as every other query; its
 * errors are mysql2's, which lib/errors/toHttpError.ts maps like Sequelize's. Any other dialect goes
 * through Sequelize as usual.
 */
export async function selectRows<T extends object>(sequelize: Sequelize, sql: string, values: unknown[]): Promise<T[]> {
  if (sequelize.getDialect() !== 'mysql') {
    return sequelize.query<T>(sql, { replacements: values, type: QueryTypes.SELECT });
  }
  const manager = (sequelize as any).connectionManager;
  const connection = await manager.getConnection({ type: 'SELECT' });
  try {
    // Sequelize's logging still sees the statement (the query-count tests read it there).
    const logging = (sequelize as any).options.logging;
    if (typeof logging === 'function') (logging as (sql: string) => void)(`Executing (default): ${connection.format(sql, values)}`);
    return await new Promise<T[]>((resolve, reject) => {
      connection.query({ sql, values }, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows)));
    });
  } finally {
    manager.releaseConnection(connection);
  }
}

/** The first row of `selectRows`, or null. */
export async function selectOne<T extends object>(sequelize: Sequelize, sql: string, values: unknown[]): Promise<T | null> {
  const rows = await selectRows<T>(sequelize, sql, values);
  return rows[0] ?? null;
}
