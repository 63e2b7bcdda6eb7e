'use strict';
// Helpers shared by the migrations. They make every migration safe to run on a database that the
// original course's migrations already created (tables present, indexes maybe missing).

async function tableExists(queryInterface, table) {
  const tables = await queryInterface.showAllTables();
  return tables
    .map(t => (typeof t === 'string' ? t : t.tableName || t.name))
    .some(name => String(name).toLowerCase() === table.toLowerCase());
}

async function ensureIndex(queryInterface, table, fields, options) {
  const existing = await queryInterface.showIndex(table);
  const wanted = fields.join(',');
  const present = existing.some(index => {
    if (index.name === options.name) return true;
    const columns = (index.fields || []).map(f => f.attribute || f.name).join(',');
    return columns === wanted && (!options.unique || index.unique);
  });
  if (!present) await queryInterface.addIndex(table, fields, options);
}

async function createTableUnlessExists(queryInterface, table, columns) {
  if (await tableExists(queryInterface, table)) return false;
  const options = queryInterface.sequelize.getDialect() === 'mysql'
    ? { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci', engine: 'InnoDB' }
    : {};
  await queryInterface.createTable(table, columns, options);
  return true;
}

function isSqlite(queryInterface) {
  return queryInterface.sequelize.getDialect() === 'sqlite';
}

/** Case-insensitive text on both databases, like MySQL's default collation (SQLite: NOCASE). */
function caseInsensitiveString(queryInterface, Sequelize, length) {
  return isSqlite(queryInterface) ? `VARCHAR(${length}) COLLATE NOCASE` : Sequelize.STRING(length);
}

/**
 * ENUM on MySQL; on SQLite (where ENUM is plain TEXT) the same values are enforced by a CHECK.
 */
function enumColumn(queryInterface, Sequelize, column, values) {
  if (!isSqlite(queryInterface)) return Sequelize.ENUM(...values);
  return `TEXT CHECK (\`${column}\` IN (${values.map(v => `'${v}'`).join(', ')}))`;
}

/**
 * Keeps the oldest of rows that share `columns`, so a unique index can be added to a table written by
 * the original system (its race could store the same friendship twice).
 */
async function deleteDuplicates(queryInterface, table, columns) {
  const list = columns.map(c => `\`${c}\``).join(', ');
  await queryInterface.sequelize.query(
    `DELETE FROM \`${table}\` WHERE id NOT IN (SELECT keep_id FROM (SELECT MIN(id) AS keep_id FROM \`${table}\` GROUP BY ${list}) AS keep_rows)`,
  );
}

function timestamps(Sequelize) {
  return {
    order: { type: Sequelize.INTEGER, allowNull: true, defaultValue: 50 },
    create_time: { type: Sequelize.DATE, allowNull: true },
    update_time: { type: Sequelize.DATE, allowNull: true },
  };
}

module.exports = { tableExists, ensureIndex, createTableUnlessExists, caseInsensitiveString, enumColumn, deleteDuplicates, timestamps, isSqlite };
