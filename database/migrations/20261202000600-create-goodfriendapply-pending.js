'use strict';
const { createTableUnlessExists } = require('../lib/schema');
const { recountPendingApplications } = require('../lib/applyCounter');

// Each user's number of pending friend applications sent to them (issue 16): listapplyfriend's
// pendingCount read by primary key instead of `COUNT(*) … WHERE friend_id = ? AND status = 'pending'`,
// which read every pending entry of the user's index range (800 rows in the bench). Kept by
// app/repository/friendApply.ts in the transactions that add, handle or remove applications;
// backfilled here from the applications already stored.
//
// From this migration on, the count is read from this table: run it with every instance stopped or
// upgraded at once (an instance still running the previous code would change applications without
// changing the count; database/lib/applyCounter.js recountPendingApplications puts it right).
module.exports = {
  async up(queryInterface, Sequelize) {
    const { INTEGER } = Sequelize;
    await createTableUnlessExists(queryInterface, 'goodfriendapply_pending', {
      user_id: { type: INTEGER.UNSIGNED, primaryKey: true, allowNull: false, comment: 'the target of the applications' },
      n: { type: INTEGER, allowNull: false, defaultValue: 0, comment: 'how many of them are pending' },
    });
    await recountPendingApplications(queryInterface.sequelize);
  },

  async down(queryInterface) {
    await queryInterface.dropTable('goodfriendapply_pending');
  },
};
