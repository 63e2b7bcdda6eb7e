'use strict';
const { ensureIndex, isSqlite } = require('../lib/schema');

// Columns the original's final version added to `user` for visitors (a device fingerprint and the device's
// statistics) and for the settings routes (`userset`, `invite_confirm`). A database made by the original
// may have some of them already: only the missing ones are added.
function columns(Sequelize) {
  const { STRING, TEXT, TINYINT } = Sequelize;
  return {
    devicefingeruuid: { type: STRING(200), allowNull: true, defaultValue: null, comment: "a visitor's device id" },
    uniplatform: { type: STRING(50), allowNull: true, defaultValue: '' },
    devicemodel: { type: STRING(50), allowNull: true, defaultValue: '' },
    deviceos: { type: STRING(50), allowNull: true, defaultValue: '' },
    devicebrand: { type: STRING(50), allowNull: true, defaultValue: '' },
    userset: { type: TEXT, allowNull: true, comment: 'JSON settings, e.g. {"chatset":…}' },
    invite_confirm: { type: TINYINT, allowNull: false, defaultValue: 1, comment: '1: adding me needs my approval, 0: no' },
  };
}

module.exports = {
  async up(queryInterface, Sequelize) {
    const existing = await queryInterface.describeTable('user');
    for (const [ name, definition ] of Object.entries(columns(Sequelize))) {
      if (!existing[name]) await queryInterface.addColumn('user', name, definition);
    }
    // One visitor account per device: the unique index decides between concurrent first launches. A
    // database written by the original may hold a device id twice: only its newest account keeps it.
    await queryInterface.sequelize.query(
      'UPDATE `user` SET devicefingeruuid = NULL WHERE devicefingeruuid IS NOT NULL AND id NOT IN ' +
      '(SELECT keep_id FROM (SELECT MAX(id) AS keep_id FROM `user` WHERE devicefingeruuid IS NOT NULL GROUP BY devicefingeruuid) AS keep_rows)',
    );
    await ensureIndex(queryInterface, 'user', [ 'devicefingeruuid' ], { name: 'user_devicefingeruuid_unique', unique: true });
  },

  async down(queryInterface, Sequelize) {
    const existing = await queryInterface.showIndex('user');
    if (existing.some(index => index.name === 'user_devicefingeruuid_unique')) {
      await queryInterface.removeIndex('user', 'user_devicefingeruuid_unique');
    }
    const present = await queryInterface.describeTable('user');
    for (const name of Object.keys(columns(Sequelize))) {
      if (!present[name]) continue;
      // SQLite rebuilds the table for each dropped column; the names are fixed above.
      if (isSqlite(queryInterface)) await queryInterface.sequelize.query(`ALTER TABLE \`user\` DROP COLUMN \`${name}\``);
      else await queryInterface.removeColumn('user', name);
    }
  },
};
