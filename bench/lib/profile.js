'use strict';
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const DATA_DIR = path.join(ROOT, 'bench', '.data');

/**
 * The profile comes from the environment, like the server's: MariaDB/MySQL when DATABASE_URL is set,
 * Redis sessions when REDIS_URL is set, the embedded SQLite file otherwise. The bench never touches the
 * databases those URLs name: it keeps their host and credentials and works in its own database
 * (BENCH_DATABASE, default eggchat_bench, created and dropped by the run) and its own Redis db index
 * (BENCH_REDIS_DB, default 5, flushed before and after the run).
 */
function profileFromEnv(env = process.env) {
  const profile = { mysql: null, redis: null, sqliteFile: null };
  if (env.DATABASE_URL) {
    const url = new URL(env.DATABASE_URL);
    url.pathname = '/' + (env.BENCH_DATABASE || 'eggchat_bench');
    profile.mysql = {
      url: url.toString(),
      host: url.hostname,
      port: Number(url.port || 3306),
      user: decodeURIComponent(url.username || 'root'),
      password: decodeURIComponent(url.password || ''),
      database: decodeURIComponent(url.pathname.slice(1)),
    };
  } else {
    profile.sqliteFile = path.resolve(env.BENCH_SQLITE_FILE || path.join(DATA_DIR, 'bench.sqlite'));
  }
  if (env.REDIS_URL) {
    const url = new URL(env.REDIS_URL);
    url.pathname = '/' + (env.BENCH_REDIS_DB || '5');
    profile.redis = {
      url: url.toString(),
      host: url.hostname,
      port: Number(url.port || 6379),
      password: decodeURIComponent(url.password || ''),
      db: Number(url.pathname.slice(1)),
    };
  }
  profile.name = profile.mysql ? (profile.redis ? 'mariadb-redis' : 'mariadb') : (profile.redis ? 'sqlite-redis' : 'embedded');
  profile.label = profile.mysql
    ? `MariaDB/MySQL (${profile.mysql.database})${profile.redis ? ` + Redis db ${profile.redis.db}` : ', sessions in the database'}`
    : `embedded SQLite (${path.relative(ROOT, profile.sqliteFile)})${profile.redis ? ` + Redis db ${profile.redis.db}` : ', sessions in kv_store'}`;
  return profile;
}

module.exports = { ROOT, DATA_DIR, profileFromEnv };
