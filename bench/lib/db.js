'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('./profile');
const { log } = require('./util');

const { Sequelize, QueryTypes } = require(require.resolve('sequelize', { paths: [ ROOT ] }));

const TIMEZONE = process.env.DB_TIMEZONE || '+08:00';

function removeSqlite(file) {
  for (const suffix of [ '', '-wal', '-shm', '-journal' ]) fs.rmSync(file + suffix, { force: true });
}

/** A fresh, empty bench database (MySQL: CREATE DATABASE; SQLite: a new file). */
async function createDatabase(profile) {
  if (profile.mysql) {
    const { host, port, user, password, database } = profile.mysql;
    const admin = new Sequelize('', user, password, { dialect: 'mysql', host, port, logging: false });
    try {
      await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    } finally {
      await admin.close();
    }
  } else {
    fs.mkdirSync(path.dirname(profile.sqliteFile), { recursive: true });
    removeSqlite(profile.sqliteFile);
  }
}

async function dropDatabase(profile) {
  if (profile.mysql) {
    const { host, port, user, password, database } = profile.mysql;
    const admin = new Sequelize('', user, password, { dialect: 'mysql', host, port, logging: false });
    try {
      await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    } finally {
      await admin.close();
    }
  } else {
    removeSqlite(profile.sqliteFile);
  }
}

/**
 * The bench's own connection for seeding. On MySQL the bulk loads skip the per-row unique and foreign
 * key checks (the generated data is unique by construction); on SQLite it uses WAL like the server.
 */
function connect(profile) {
  if (profile.mysql) {
    const { host, port, user, password, database } = profile.mysql;
    return new Sequelize(database, user, password, {
      dialect: 'mysql', host, port, timezone: TIMEZONE, logging: false,
      dialectOptions: { charset: 'utf8mb4' },
      pool: { max: 2, min: 0 },
      hooks: {
        afterConnect: connection => connection.promise().query('SET SESSION unique_checks = 0, foreign_key_checks = 0'),
      },
    });
  }
  const sequelize = new Sequelize({ dialect: 'sqlite', storage: profile.sqliteFile, logging: false, pool: { max: 1 } });
  return sequelize;
}

async function tuneSqliteForLoad(sequelize) {
  if (sequelize.getDialect() !== 'sqlite') return;
  await sequelize.query('PRAGMA journal_mode=WAL');
  await sequelize.query('PRAGMA synchronous=NORMAL');
}

/**
 * How the database answers the search statement (app/service/userSearch.ts), for a whole username (the
 * exact hit) and for its first six characters (a prefix): the index it uses, from EXPLAIN.
 */
async function explainSearch(sequelize, keyword) {
  const statement = text => 'SELECT id, username, avatar, role, uuid, nickname FROM `user` WHERE username LIKE ' +
    `${sequelize.escape(text.replace(/[!%_]/g, m => '!' + m) + '%')} ESCAPE '!' AND status = 1 AND is_deleted = 0 AND id <> 7 ORDER BY username LIMIT 50`;
  const queries = { exact: statement(keyword), prefix: statement(keyword.slice(0, 6)) };
  const plans = {};
  for (const [ name, sql ] of Object.entries(queries)) {
    if (sequelize.getDialect() === 'mysql') {
      const [ row ] = await sequelize.query(`EXPLAIN ${sql}`, { type: QueryTypes.SELECT });
      plans[name] = `type=${row.type} key=${row.key} rows=${row.rows} extra=${row.Extra || ''}`;
    } else {
      const rows = await sequelize.query(`EXPLAIN QUERY PLAN ${sql}`, { type: QueryTypes.SELECT });
      plans[name] = rows.map(row => row.detail).join('; ');
    }
  }
  return plans;
}

async function explainFriendList(sequelize, userId) {
  const sql = 'SELECT g.id, g.nickname AS beizhu, u.username, u.avatar, u.nickname AS friend_nickname, g.friend_id, u.uuid ' +
    `FROM goodfriend g JOIN \`user\` u ON u.id = g.friend_id WHERE g.user_id = ${Number(userId)} ORDER BY g.id LIMIT 2000 OFFSET 0`;
  return queryPlan(sequelize, sql);
}

/** EXPLAIN (MySQL: every table's access type, key, rows, Extra) or EXPLAIN QUERY PLAN (SQLite) of `sql`, on one line. */
async function queryPlan(sequelize, sql) {
  if (sequelize.getDialect() === 'mysql') {
    const rows = await sequelize.query(`EXPLAIN ${sql}`, { type: QueryTypes.SELECT });
    return rows.map(row => `${row.table}: type=${row.type} key=${row.key} rows=${row.rows} extra=${row.Extra || ''}`).join('; ');
  }
  const rows = await sequelize.query(`EXPLAIN QUERY PLAN ${sql}`, { type: QueryTypes.SELECT });
  return rows.map(row => row.detail).join('; ');
}

/**
 * How the database answers listapplyfriend's two statements (app/service/friendApply.ts listToMe) for
 * page 5 of `userId`'s applications: the page, newest first, and the pending count.
 */
async function explainApplyList(sequelize, userId) {
  const id = Number(userId);
  const hint = sequelize.getDialect() === 'mysql' ? 'FORCE INDEX (goodfriendapply_friend_id_id)' : 'INDEXED BY goodfriendapply_friend_id_id';
  const queries = {
    applyList: 'SELECT a.id, a.user_id, a.status, u.username ' +
      `FROM (SELECT id FROM goodfriendapply ${hint} WHERE friend_id = ${id} ORDER BY id DESC LIMIT 10 OFFSET 40) p ` +
      'JOIN goodfriendapply a ON a.id = p.id LEFT JOIN `user` u ON u.id = a.user_id ORDER BY a.id DESC',
    // The statement the measured build runs: the kept count (issue 16) or, before it, the count of the index range.
    applyCount: await hasPendingCounts(sequelize)
      ? `SELECT n FROM goodfriendapply_pending WHERE user_id = ${id}`
      : `SELECT COUNT(*) AS n FROM goodfriendapply WHERE friend_id = ${id} AND status = 'pending'`,
  };
  return { applyList: await queryPlan(sequelize, queries.applyList), applyCount: await queryPlan(sequelize, queries.applyCount) };
}

/** Whether the database has goodfriendapply_pending (migration 20261202000600; a build from before has not). */
async function hasPendingCounts(sequelize) {
  const tables = await sequelize.getQueryInterface().showAllTables();
  return tables.map(t => (typeof t === 'string' ? t : t.tableName || t.name)).includes('goodfriendapply_pending');
}

async function analyze(sequelize) {
  if (sequelize.getDialect() === 'mysql') {
    await sequelize.query('ANALYZE TABLE `user`, user_info, goodfriend, goodfriendapply');
  } else {
    await sequelize.query('ANALYZE');
  }
}

async function serverVersion(sequelize) {
  try {
    if (sequelize.getDialect() === 'mysql') {
      const [ row ] = await sequelize.query('SELECT VERSION() AS v', { type: QueryTypes.SELECT });
      const [ pool ] = await sequelize.query("SHOW VARIABLES LIKE 'innodb_buffer_pool_size'", { type: QueryTypes.SELECT });
      const [ flush ] = await sequelize.query("SHOW VARIABLES LIKE 'innodb_flush_log_at_trx_commit'", { type: QueryTypes.SELECT });
      return `MariaDB/MySQL ${row.v} (innodb_buffer_pool_size ${Math.round(Number(pool.Value) / 1048576)} MB, innodb_flush_log_at_trx_commit ${flush.Value})`;
    }
    const [ row ] = await sequelize.query('SELECT sqlite_version() AS v', { type: QueryTypes.SELECT });
    return `SQLite ${row.v}`;
  } catch (err) {
    log(`could not read the database version: ${err.message}`);
    return 'unknown';
  }
}

module.exports = { Sequelize, QueryTypes, createDatabase, dropDatabase, connect, tuneSqliteForLoad, explainSearch, explainFriendList, explainApplyList, hasPendingCounts, analyze, serverVersion };
