'use strict';
const { createTableUnlessExists, ensureIndex, deleteDuplicates, timestamps } = require('../lib/schema');

module.exports = {
  async up(queryInterface, Sequelize) {
    const { INTEGER, STRING, TINYINT } = Sequelize;
    const userRef = { model: 'user', key: 'id' };
    const created = await createTableUnlessExists(queryInterface, 'goodfriend', {
      id: { type: INTEGER.UNSIGNED, primaryKey: true, autoIncrement: true },
      user_id: { type: INTEGER.UNSIGNED, allowNull: false, references: userRef, onDelete: 'CASCADE', onUpdate: 'CASCADE', comment: 'owner' },
      friend_id: { type: INTEGER.UNSIGNED, allowNull: false, references: userRef, onDelete: 'CASCADE', onUpdate: 'CASCADE' },
      nickname: { type: STRING(50), allowNull: false, defaultValue: '', comment: "the owner's remark for the friend" },
      friendlookme: { type: TINYINT, allowNull: false, defaultValue: 1 },
      melookfriend: { type: TINYINT, allowNull: false, defaultValue: 1 },
      ismystarfriend: { type: TINYINT, allowNull: false, defaultValue: 0 },
      isblack: { type: TINYINT, allowNull: false, defaultValue: 0 },
      status: { type: TINYINT, allowNull: false, defaultValue: 1 },
      ...timestamps(Sequelize),
    });
    // One row per direction, never two: concurrent agrees rely on this constraint.
    if (!created) await deleteDuplicates(queryInterface, 'goodfriend', [ 'user_id', 'friend_id' ]);
    await ensureIndex(queryInterface, 'goodfriend', [ 'user_id', 'friend_id' ], { name: 'goodfriend_user_friend_unique', unique: true });
    await ensureIndex(queryInterface, 'goodfriend', [ 'friend_id' ], { name: 'goodfriend_friend_id' });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('goodfriend');
  },
};
