import { Application } from 'egg';

const TABLES_CHILD_FIRST = [ 'chat_inbox', 'chat_cursor', 'message', 'goodfriendapply', 'goodfriend', 'user_info', 'user', 'kv_store' ];

/** Empties every table (and the Redis database in the production profile): each test file starts clean. */
export async function resetDatabase(app: Application): Promise<void> {
  for (const table of TABLES_CHILD_FIRST) {
    await app.model.query(`DELETE FROM \`${table}\``);
  }
  const redis = (app as any).redis;
  if (redis) await redis.flushdb();
}

export function isMysql(app: Application): boolean {
  return app.model.getDialect() === 'mysql';
}
