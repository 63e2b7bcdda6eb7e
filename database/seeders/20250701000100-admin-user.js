'use strict';
// The admin account: created, or updated (password, role='admin', enabled) when the username exists.
// Idempotent: run it as often as you like. Credentials come from ADMIN_USERNAME / ADMIN_PASSWORD.
//   npm run seed:admin                                   (scripts/seed.js admin: any number of runs)
//   npx sequelize-cli db:seed --seed 20250701000100-admin-user.js   (recorded once in SequelizeData)
const { hashPassword, adminCredentialProblem, select, newUserRow } = require('../lib/accounts');

class CredentialError extends Error {}

/**
 * Creates or updates the admin user and makes sure it has its user_info row.
 * @return {Promise<{ id: number, username: string, created: boolean, promoted: boolean }>} what was done
 */
async function seedAdmin(queryInterface, { username, password, now = new Date() }) {
  const problem = adminCredentialProblem(username, password);
  if (problem) throw new CredentialError(problem);
  const hash = await hashPassword(password);

  // username is case-insensitive on both databases (NOCASE on SQLite, a _ci collation on MySQL).
  const [ existing ] = await select(queryInterface, 'SELECT id, username, role FROM `user` WHERE username = :username', { username });
  let result;
  if (existing) {
    // Replacements, not bulkUpdate: bulkUpdate binds parameters, and node-sqlite3 stores a bound Date as a
    // number, which Sequelize then fails to read back as a DATE. Replacements format it like bulkInsert does.
    await queryInterface.sequelize.query(
      'UPDATE `user` SET password = :hash, role = \'admin\', status = 1, is_deleted = 0, update_time = :now WHERE id = :id',
      { replacements: { hash, now, id: existing.id } });
    result = { id: Number(existing.id), username: existing.username, created: false, promoted: existing.role !== 'admin' };
  } else {
    await queryInterface.bulkInsert('user', [ newUserRow({ username, password: hash, role: 'admin' }, now) ]);
    const [ row ] = await select(queryInterface, 'SELECT id FROM `user` WHERE username = :username', { username });
    result = { id: Number(row.id), username, created: true, promoted: true };
  }

  const [ info ] = await select(queryInterface, 'SELECT id FROM user_info WHERE user_id = :id', { id: result.id });
  if (!info) {
    await queryInterface.bulkInsert('user_info', [{ user_id: result.id, gender: 'unknown', order: 50, create_time: now, update_time: now }]);
  }
  return result;
}

module.exports = {
  async up(queryInterface) {
    const done = await seedAdmin(queryInterface, { username: process.env.ADMIN_USERNAME, password: process.env.ADMIN_PASSWORD });
    console.log(`admin "${done.username}" ${done.created ? 'created' : 'updated'} (id ${done.id})`);
  },

  /** Undo = take the admin role away (the account and its data stay). */
  async down(queryInterface) {
    const username = process.env.ADMIN_USERNAME;
    if (!username) return;
    await queryInterface.sequelize.query('UPDATE `user` SET role = \'user\', update_time = :now WHERE username = :username AND role = \'admin\'',
      { replacements: { username, now: new Date() } });
  },

  seedAdmin,
  CredentialError,
};
