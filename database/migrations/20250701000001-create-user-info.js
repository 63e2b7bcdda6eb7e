'use strict';
const { createTableUnlessExists, ensureIndex, enumColumn, timestamps } = require('../lib/schema');

module.exports = {
  async up(queryInterface, Sequelize) {
    const { INTEGER, STRING, DATEONLY } = Sequelize;
    await createTableUnlessExists(queryInterface, 'user_info', {
      id: { type: INTEGER.UNSIGNED, primaryKey: true, autoIncrement: true },
      user_id: {
        type: INTEGER.UNSIGNED,
        allowNull: false,
        references: { model: 'user', key: 'id' },
        onDelete: 'CASCADE',
        onUpdate: 'CASCADE',
      },
      gender: { type: enumColumn(queryInterface, Sequelize, 'gender', [ 'male', 'female', 'unknown' ]), allowNull: false, defaultValue: 'unknown' },
      birthday: { type: DATEONLY, allowNull: true },
      bio: { type: STRING(200), allowNull: true },
      location: { type: STRING(100), allowNull: true },
      website: { type: STRING(255), allowNull: true },
      ...timestamps(Sequelize),
    });
    await ensureIndex(queryInterface, 'user_info', [ 'user_id' ], { name: 'user_info_user_id_unique', unique: true });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('user_info');
  },
};
