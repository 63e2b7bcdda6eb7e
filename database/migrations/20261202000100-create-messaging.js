'use strict';
const { createTableUnlessExists, ensureIndex, enumColumn, isSqlite, timestamps } = require('../lib/schema');

// Messages and their delivery (issue 12). A message is stored once in `message`; what each recipient
// must receive goes to `chat_inbox` with that recipient's own sequence number (1, 2, 3 … in commit
// order), and `chat_cursor` holds how far the recipient's device has confirmed receipt. Whatever is
// above the cursor is pushed again on the next connection: nothing committed is lost.
module.exports = {
  async up(queryInterface, Sequelize) {
    const { INTEGER, BIGINT, STRING, CHAR, TEXT, TINYINT, DATE } = Sequelize;
    // MySQL's TEXT holds 64 KB; a message (up to MESSAGE_MAX_LENGTH characters of 4 bytes) and its
    // envelope may need more.
    const longText = isSqlite(queryInterface) ? TEXT : TEXT('medium');
    await createTableUnlessExists(queryInterface, 'message', {
      id: { type: BIGINT.UNSIGNED, primaryKey: true, autoIncrement: true },
      uuid: { type: CHAR(36), allowNull: false, comment: 'the id the client sees' },
      from_id: { type: INTEGER.UNSIGNED, allowNull: false },
      to_id: { type: INTEGER.UNSIGNED, allowNull: false, comment: 'a user id, or a group id' },
      chat_type: { type: enumColumn(queryInterface, Sequelize, 'chat_type', [ 'single', 'group' ]), allowNull: false, defaultValue: 'single' },
      type: { type: STRING(20), allowNull: false },
      data: { type: longText, allowNull: false },
      options: { type: TEXT, allowNull: true, comment: 'JSON object' },
      client_msg_id: { type: STRING(64), allowNull: true, comment: "the sender's idempotency key" },
      isremove: { type: TINYINT, allowNull: false, defaultValue: 0, comment: '1: recalled' },
      ...timestamps(Sequelize),
    });
    await ensureIndex(queryInterface, 'message', [ 'uuid' ], { name: 'message_uuid_unique', unique: true });
    // A retry of the same send finds the first one (NULL keys never collide).
    await ensureIndex(queryInterface, 'message', [ 'from_id', 'client_msg_id' ], { name: 'message_from_client_unique', unique: true });
    // "How many have I sent this stranger?" and a conversation's history.
    await ensureIndex(queryInterface, 'message', [ 'from_id', 'to_id', 'chat_type', 'id' ], { name: 'message_conversation' });

    await createTableUnlessExists(queryInterface, 'chat_inbox', {
      id: { type: BIGINT.UNSIGNED, primaryKey: true, autoIncrement: true },
      user_id: { type: INTEGER.UNSIGNED, allowNull: false, comment: 'the recipient' },
      seq: { type: BIGINT.UNSIGNED, allowNull: false, comment: "the recipient's own order" },
      message_id: { type: BIGINT.UNSIGNED, allowNull: true },
      payload: { type: longText, allowNull: false, comment: 'the JSON pushed as the frame data' },
      create_time: { type: DATE, allowNull: true },
    });
    await ensureIndex(queryInterface, 'chat_inbox', [ 'user_id', 'seq' ], { name: 'chat_inbox_user_seq_unique', unique: true });
    // A repeated send answers the first message's object; a recall finds what the recipient got.
    await ensureIndex(queryInterface, 'chat_inbox', [ 'message_id' ], { name: 'chat_inbox_message' });

    await createTableUnlessExists(queryInterface, 'chat_cursor', {
      user_id: { type: INTEGER.UNSIGNED, primaryKey: true, allowNull: false },
      delivered_seq: { type: BIGINT.UNSIGNED, allowNull: false, defaultValue: 0 },
      update_time: { type: DATE, allowNull: true },
    });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('chat_cursor');
    await queryInterface.dropTable('chat_inbox');
    await queryInterface.dropTable('message');
  },
};
