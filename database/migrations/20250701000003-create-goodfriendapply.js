'use strict';
const { createTableUnlessExists, ensureIndex, enumColumn, timestamps } = require('../lib/schema');

module.exports = {
  async up(queryInterface, Sequelize) {
    const { INTEGER, STRING, TINYINT } = Sequelize;
    const userRef = { model: 'user', key: 'id' };
    await createTableUnlessExists(queryInterface, 'goodfriendapply', {
      id: { type: INTEGER.UNSIGNED, primaryKey: true, autoIncrement: true },
      user_id: { type: INTEGER.UNSIGNED, allowNull: false, references: userRef, onDelete: 'CASCADE', onUpdate: 'CASCADE', comment: 'applicant' },
      friend_id: { type: INTEGER.UNSIGNED, allowNull: false, references: userRef, onDelete: 'CASCADE', onUpdate: 'CASCADE', comment: 'target' },
      nickname: { type: STRING(50), allowNull: false, defaultValue: '', comment: "applicant's note" },
      friendlookme: { type: TINYINT, allowNull: false, defaultValue: 1 },
      melookfriend: { type: TINYINT, allowNull: false, defaultValue: 1 },
      ismystarfriend: { type: TINYINT, allowNull: false, defaultValue: 0 },
      isblack: { type: TINYINT, allowNull: false, defaultValue: 0 },
      status: { type: enumColumn(queryInterface, Sequelize, 'status', [ 'pending', 'refuse', 'agree', 'ignore' ]), allowNull: false, defaultValue: 'pending' },
      ...timestamps(Sequelize),
    });
    // "Applications sent to me, newest first" and "my pending count".
    await ensureIndex(queryInterface, 'goodfriendapply', [ 'friend_id', 'id' ], { name: 'goodfriendapply_friend_id_id' });
    await ensureIndex(queryInterface, 'goodfriendapply', [ 'friend_id', 'status' ], { name: 'goodfriendapply_friend_id_status' });
    // "Do I already have a pending application to them?"
    await ensureIndex(queryInterface, 'goodfriendapply', [ 'user_id', 'friend_id', 'status' ], { name: 'goodfriendapply_user_friend_status' });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('goodfriendapply');
  },
};
