'use strict';
const { createTableUnlessExists, deleteDuplicates, ensureIndex, isSqlite, tableExists, timestamps } = require('../lib/schema');

// Group chat (issue 13; docs/design/groups.md §1 and §7). `group` and `group_user` are the original's
// tables (their definition is not in the reference material: reconstructed from its answers); a database
// made by the original may hold them already, so missing columns are added and duplicate member rows
// (the original's invite race) removed before the unique index. `group` is an SQL reserved word: every
// raw statement quotes it.
//
// Delivery (§7): a group message or notice is stored once, as one `group_log` row with the group's next
// sequence number (`group.last_seq`, taken under the group row's lock). A member receives the entries
// with `joined_seq < seq <= left_seq` (NULL = unbounded) and `seq <= group.closed_seq` (the dissolve
// notice), above its own `delivered_seq`. `member_version` changes with every membership change.

/** Adds the columns a table made by the original lacks (nothing when this migration created it). */
async function addMissingColumns(queryInterface, table, columns) {
  const described = await queryInterface.describeTable(table);
  const added = [];
  for (const [ name, definition ] of Object.entries(columns)) {
    if (described[name]) continue;
    await queryInterface.addColumn(table, name, definition);
    added.push(name);
  }
  return added;
}

module.exports = {
  async up(queryInterface, Sequelize) {
    const { INTEGER, BIGINT, STRING, CHAR, TEXT, TINYINT, DATE } = Sequelize;
    // A group payload holds a message of up to MESSAGE_MAX_LENGTH characters and its envelope (see
    // 20261202000100-create-messaging.js).
    const longText = isSqlite(queryInterface) ? TEXT : TEXT('medium');
    const groupColumns = {
      id: { type: INTEGER.UNSIGNED, primaryKey: true, autoIncrement: true },
      uuid: { type: CHAR(36), allowNull: false },
      user_id: { type: INTEGER.UNSIGNED, allowNull: false, comment: 'the owner (群主)' },
      name: { type: STRING(50), allowNull: false, defaultValue: '' },
      // Up to 9 avatar URLs (each up to 1000 characters) joined by ','.
      avatar: { type: TEXT, allowNull: true },
      remark: { type: STRING(500), allowNull: false, defaultValue: '', comment: 'the group notice (群公告)' },
      invite_confirm: { type: TINYINT, allowNull: false, defaultValue: 0, comment: '0 anyone joins, 1 owner approves, 2 log in first' },
      status: { type: TINYINT, allowNull: false, defaultValue: 1, comment: '1 active, 2 locked, 0 dissolved' },
      last_seq: { type: BIGINT.UNSIGNED, allowNull: false, defaultValue: 0, comment: 'the last group_log sequence number' },
      member_version: { type: INTEGER.UNSIGNED, allowNull: false, defaultValue: 0, comment: 'bumped by every membership change' },
      closed_seq: { type: BIGINT.UNSIGNED, allowNull: true, comment: 'the sequence number of the dissolve notice' },
      ...timestamps(Sequelize),
    };
    if (!await createTableUnlessExists(queryInterface, 'group', groupColumns)) {
      await addMissingColumns(queryInterface, 'group', groupColumns);
    }
    await ensureIndex(queryInterface, 'group', [ 'uuid' ], { name: 'group_uuid_unique', unique: true });
    // The groups a user owns.
    await ensureIndex(queryInterface, 'group', [ 'user_id' ], { name: 'group_owner' });

    const memberColumns = {
      id: { type: INTEGER.UNSIGNED, primaryKey: true, autoIncrement: true },
      group_id: { type: INTEGER.UNSIGNED, allowNull: false },
      user_id: { type: INTEGER.UNSIGNED, allowNull: false },
      nickname: { type: STRING(50), allowNull: false, defaultValue: '', comment: 'my name in this group' },
      avatar: { type: STRING(1000), allowNull: false, defaultValue: '' },
      status: { type: TINYINT, allowNull: false, defaultValue: 1, comment: '1 member, 2 waiting for the owner' },
      joined_seq: { type: BIGINT.UNSIGNED, allowNull: true, comment: 'group.last_seq when the member became active' },
      left_seq: { type: BIGINT.UNSIGNED, allowNull: true, comment: 'group.last_seq when the member left or was removed' },
      delivered_seq: { type: BIGINT.UNSIGNED, allowNull: false, defaultValue: 0, comment: "how far the member's devices confirmed" },
      ...timestamps(Sequelize),
    };
    if (!await createTableUnlessExists(queryInterface, 'group_user', memberColumns)) {
      const added = await addMissingColumns(queryInterface, 'group_user', memberColumns);
      // The original's active members receive everything from now on (their rows had no position).
      if (added.includes('joined_seq')) {
        await queryInterface.sequelize.query('UPDATE group_user SET joined_seq = 0 WHERE status = 1 AND joined_seq IS NULL');
      }
      await deleteDuplicates(queryInterface, 'group_user', [ 'group_id', 'user_id' ]);
    }
    // "Is X in group G" (every permission check); no second row for a member under concurrent joins.
    await ensureIndex(queryInterface, 'group_user', [ 'group_id', 'user_id' ], { name: 'group_user_member_unique', unique: true });
    // My groups (grouplist, the groups-per-user limit, the socket's membership load).
    await ensureIndex(queryInterface, 'group_user', [ 'user_id', 'status', 'group_id' ], { name: 'group_user_user_status' });
    // A group's members in join order (groupinfo, the avatar of the first 9, the member count).
    await ensureIndex(queryInterface, 'group_user', [ 'group_id', 'status', 'id' ], { name: 'group_user_group_status' });

    await createTableUnlessExists(queryInterface, 'group_log', {
      id: { type: BIGINT.UNSIGNED, primaryKey: true, autoIncrement: true },
      group_id: { type: INTEGER.UNSIGNED, allowNull: false },
      seq: { type: BIGINT.UNSIGNED, allowNull: false, comment: "the group's own order" },
      message_id: { type: BIGINT.UNSIGNED, allowNull: true, comment: 'the message row of a chat message or a recall' },
      skip_user_id: { type: INTEGER.UNSIGNED, allowNull: true, comment: 'not pushed to this member (the sender)' },
      payload: { type: longText, allowNull: false, comment: 'the JSON pushed as the frame data' },
      create_time: { type: DATE, allowNull: true },
    });
    await ensureIndex(queryInterface, 'group_log', [ 'group_id', 'seq' ], { name: 'group_log_group_seq_unique', unique: true });
    await ensureIndex(queryInterface, 'group_log', [ 'message_id' ], { name: 'group_log_message' });
  },

  async down(queryInterface) {
    for (const table of [ 'group_log', 'group_user', 'group' ]) {
      if (await tableExists(queryInterface, table)) await queryInterface.dropTable(table);
    }
  },
};
