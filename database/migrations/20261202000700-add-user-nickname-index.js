'use strict';
const { ensureIndex } = require('../lib/schema');

// The admin console's user search by nickname prefix (issue 20; app/repository/user.ts searchUsers):
// `nickname LIKE 'x%'` without an index walked the whole `user` table for a keyword that matches few
// nicknames — at 100k users under the bench's 50 connections, past the 2 s query deadline (503s). With
// this index it reads the matching range only, as the username search does on its unique index.
module.exports = {
  async up(queryInterface) {
    await ensureIndex(queryInterface, 'user', [ 'nickname' ], { name: 'user_nickname' });
  },

  async down(queryInterface) {
    await queryInterface.removeIndex('user', 'user_nickname');
  },
};
