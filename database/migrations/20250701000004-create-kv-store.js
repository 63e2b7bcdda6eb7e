'use strict';
// Key/value store with expiry used by the embedded profile for sessions (and counters)
// where the production profile uses Redis.
const { createTableUnlessExists, ensureIndex } = require('../lib/schema');

module.exports = {
  async up(queryInterface, Sequelize) {
    const { STRING, BIGINT } = Sequelize;
    await createTableUnlessExists(queryInterface, 'kv_store', {
      key: { type: STRING(191), primaryKey: true, allowNull: false },
      value: { type: STRING(1000), allowNull: false },
      expires_at: { type: BIGINT, allowNull: true, comment: 'epoch milliseconds; NULL = never' },
    });
    await ensureIndex(queryInterface, 'kv_store', [ 'expires_at' ], { name: 'kv_store_expires_at' });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('kv_store');
  },
};
