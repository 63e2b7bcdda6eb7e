import { Application } from 'egg';

/** Kept by resetDatabase: the migrations' own bookkeeping. */
const KEEP = new Set([ 'SequelizeMeta', 'sqlite_sequence' ]);

/**
 * Empties every table the migrations made (and the Redis database in the production profile): each test
 * file starts clean. The tables are listed from the database, so a new migration's tables are included.
 */
export async function resetDatabase(app: Application): Promise<void> {
  const listed: Array<string | { tableName: string }> = await app.model.getQueryInterface().showAllTables();
  const tables = listed.map(table => (typeof table === 'string' ? table : table.tableName)).filter(table => !KEEP.has(table));
  // `user` last: the tables that reference it go first.
  tables.sort((a, b) => Number(a === 'user') - Number(b === 'user'));
  for (const table of tables) await app.model.query(`DELETE FROM \`${table}\``);
  const redis = (app as any).redis;
  // A Redis Cluster (the ensemble, npm run test:cluster): FLUSHDB on every master, not on one node.
  if (redis?.isCluster) await Promise.all(redis.nodes('master').map((node: any) => node.flushdb()));
  else if (redis) await redis.flushdb();
}

export function isMysql(app: Application): boolean {
  return app.model.getDialect() === 'mysql';
}
