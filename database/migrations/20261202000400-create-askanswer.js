'use strict';
const { createTableUnlessExists, ensureIndex, enumColumn, timestamps } = require('../lib/schema');

// Auto-answers (issue 19): the questions and answers a user, or a group's owner for the group, keeps;
// a message sent with `options.askanswer` to that user or group is answered from them. The original
// kept them in JSON files under the app directory (one per owner): lost on redeploy, racy under several
// workers, not shared between instances. `owner_type` + `owner_id` name the owner: a user ('single') or
// a group ('group'); one question text once per owner (a second create of it updates the answer, as the
// original). Matching (app/lib/askMatch.ts) reads an owner's entries, a few hundred at most.
module.exports = {
  async up(queryInterface, Sequelize) {
    const { INTEGER, STRING, TEXT } = Sequelize;
    await createTableUnlessExists(queryInterface, 'askanswer', {
      id: { type: INTEGER.UNSIGNED, primaryKey: true, autoIncrement: true },
      owner_type: { type: enumColumn(queryInterface, Sequelize, 'owner_type', [ 'single', 'group' ]), allowNull: false },
      owner_id: { type: INTEGER.UNSIGNED, allowNull: false, comment: 'a user id (single) or a group id (group)' },
      ask: { type: STRING(200), allowNull: false },
      answer: { type: TEXT, allowNull: false },
      like_count: { type: INTEGER.UNSIGNED, allowNull: false, defaultValue: 0 },
      ...timestamps(Sequelize),
    });
    await ensureIndex(queryInterface, 'askanswer', [ 'owner_type', 'owner_id', 'ask' ], { name: 'askanswer_owner_ask_unique', unique: true });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('askanswer');
  },
};
