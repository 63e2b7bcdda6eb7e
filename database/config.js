'use strict';
// Database settings derived from the environment, shared by the app (config/config.default.ts),
// the start-up migrator and sequelize-cli (`npm run migrate`).
//   DATABASE_URL=mysql://user:pass@host:3306/db  → MySQL/MariaDB (production profile)
//   no DATABASE_URL                             → SQLite file (embedded profile), SQLITE_FILE overrides the path
const path = require('node:path');

const DEFAULT_TIMEZONE = '+08:00';

function databaseFromEnv(env = process.env) {
  const timezone = env.DB_TIMEZONE || DEFAULT_TIMEZONE;
  const url = env.DATABASE_URL;
  if (url) {
    const parsed = new URL(url);
    if (![ 'mysql:', 'mariadb:' ].includes(parsed.protocol)) {
      throw new Error(`DATABASE_URL must start with mysql:// (got ${parsed.protocol}//)`);
    }
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    if (!database) throw new Error('DATABASE_URL must name a database, e.g. mysql://root@127.0.0.1:3306/eggchat');
    return {
      dialect: 'mysql',
      host: parsed.hostname,
      port: Number(parsed.port || 3306),
      username: decodeURIComponent(parsed.username || 'root'),
      password: decodeURIComponent(parsed.password || ''),
      database,
      timezone,
      dialectOptions: { charset: 'utf8mb4', connectTimeout: Number(env.DB_CONNECT_TIMEOUT_MS || 3000) },
      pool: { max: Number(env.DB_POOL_MAX || 10), min: 0, acquire: Number(env.DB_ACQUIRE_TIMEOUT_MS || 5000), idle: 10000 },
      migrationStorageTableName: 'SequelizeMeta',
      seederStorage: 'sequelize',
      seederStorageTableName: 'SequelizeData',
      logging: false,
    };
  }
  const testing = env.EGG_SERVER_ENV === 'unittest' || env.NODE_ENV === 'test';
  // Each test process gets its own file, created from the migrations: runs never share state.
  const storage = env.SQLITE_FILE
    ? path.resolve(env.SQLITE_FILE)
    : path.join(__dirname, '..', 'data', testing ? `unittest-${process.pid}.sqlite` : 'eggchat.sqlite');
  return {
    dialect: 'sqlite',
    storage,
    // SQLite always stores UTC; the display time zone is applied when formatting create_time.
    migrationStorageTableName: 'SequelizeMeta',
    seederStorage: 'sequelize',
    seederStorageTableName: 'SequelizeData',
    logging: false,
  };
}

const current = databaseFromEnv();
module.exports = {
  development: current,
  test: current,
  production: current,
  databaseFromEnv,
};
