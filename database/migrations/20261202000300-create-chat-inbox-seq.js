'use strict';
const { createTableUnlessExists, isSqlite } = require('../lib/schema');

// Each recipient's last inbox sequence number, one row per user (issue 12's send path). An append
// takes the next number by bumping this row (app/repository/chatInbox.ts appendToInbox), which locks
// that one row only. Reading `MAX(seq) … FOR UPDATE` from chat_inbox instead took InnoDB next-key
// locks on the gap after the user's last entry, which collided with neighbouring users' inserts
// (hundreds of deadlocks per benchmark run). Backfilled from the entries already stored, so numbering
// continues where it was.
//
// From this migration on, appends rely on this table: run it with every instance stopped or upgraded
// at once (an instance still running the previous code would number from MAX(seq), and the unique
// (user_id, seq) index would refuse one of two colliding appends: an error, never a wrong order).
module.exports = {
  async up(queryInterface, Sequelize) {
    const { INTEGER, BIGINT } = Sequelize;
    await createTableUnlessExists(queryInterface, 'chat_inbox_seq', {
      user_id: { type: INTEGER.UNSIGNED, primaryKey: true, allowNull: false, comment: 'the recipient' },
      last_seq: { type: BIGINT.UNSIGNED, allowNull: false, defaultValue: 0, comment: 'the seq of their last chat_inbox entry' },
    });
    const backfill = 'INSERT INTO chat_inbox_seq (user_id, last_seq) SELECT user_id, MAX(seq) FROM chat_inbox WHERE 1 = 1 GROUP BY user_id';
    await queryInterface.sequelize.query(isSqlite(queryInterface)
      // (The WHERE clause resolves SQLite's parsing ambiguity of INSERT … SELECT … ON CONFLICT.)
      ? `${backfill} ON CONFLICT(user_id) DO UPDATE SET last_seq = MAX(last_seq, excluded.last_seq)`
      : `${backfill} ON DUPLICATE KEY UPDATE last_seq = GREATEST(last_seq, VALUES(last_seq))`);
  },

  async down(queryInterface) {
    await queryInterface.dropTable('chat_inbox_seq');
  },
};
