'use strict';
// goodfriendapply_pending: each user's number of pending applications sent to them (issue 16), kept by
// app/repository/friendApply.ts in the same transactions that add, handle or remove applications, so
// that listapplyfriend reads one row instead of counting the user's pending entries of an index.
// Whatever writes goodfriendapply without those functions (the migration's backfill, the seeders, the
// bench's seeder, a test that stores its own rows) recounts here afterwards.

/**
 * Sets the kept counts from the applications themselves: for `userIds` (targets of applications), or for
 * everyone when none are given. `sequelize`: a Sequelize instance (or a queryInterface's).
 */
async function recountPendingApplications(sequelize, userIds) {
  const ids = userIds ? [ ...new Set(userIds.map(Number)) ] : null;
  if (ids && !ids.length) return;
  const sqlite = sequelize.getDialect() === 'sqlite';
  const chunks = [];
  if (ids) for (let k = 0; k < ids.length; k += 500) chunks.push(ids.slice(k, k + 500));
  else chunks.push(null);
  for (const chunk of chunks) {
    const only = chunk ? ` AND friend_id IN (${chunk.map(() => '?').join(', ')})` : '';
    const replacements = chunk || [];
    await sequelize.query(`UPDATE goodfriendapply_pending SET n = 0 WHERE 1 = 1${chunk ? ` AND user_id IN (${chunk.map(() => '?').join(', ')})` : ''}`, { replacements });
    const counted = `INSERT INTO goodfriendapply_pending (user_id, n) SELECT friend_id, COUNT(*) FROM goodfriendapply WHERE status = 'pending'${only} GROUP BY friend_id`;
    await sequelize.query(sqlite
      ? `${counted} ON CONFLICT(user_id) DO UPDATE SET n = excluded.n`
      : `${counted} ON DUPLICATE KEY UPDATE n = VALUES(n)`, { replacements });
  }
}

module.exports = { recountPendingApplications };
