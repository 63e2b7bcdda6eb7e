'use strict';
// Accounts of the admin console (issue 20), in `admin_users` (not chat users).
//   npm run admin:create                  the first owner (or any admin): name and password from
//                                         ADMIN_CONSOLE_USERNAME / ADMIN_CONSOLE_PASSWORD or asked for
//   npx sequelize-cli db:seed --seed 20261202000510-admin-console-owner.js
//                                         development only: the known owner `owner` / `DevConsole2026`
//                                         (refused when NODE_ENV=production or EGG_SERVER_ENV=prod)
const { hashPassword, select } = require('../lib/accounts');

const ROLES = [ 'owner', 'operator', 'viewer' ];
const DEV_OWNER = { username: 'owner', password: 'DevConsole2026' };

class ConsoleCredentialError extends Error {}

/** Why these console credentials are refused, or null. */
function consoleCredentialProblem(username, password, role) {
  if (!username || !/^[A-Za-z0-9_.-]{3,50}$/.test(username)) return 'the admin username must be 3-50 letters, digits, "_", "." or "-"';
  if (!ROLES.includes(role)) return `the role must be one of ${ROLES.join(', ')}`;
  if (!password) return 'no password given (ADMIN_CONSOLE_PASSWORD, or type it at the prompt)';
  const length = [ ...password ].length;
  if (length < 10 || length > 64) return 'the password must be 10-64 characters';
  if (!/[A-Za-z]/.test(password) || !/[0-9]/.test(password)) return 'the password must contain both letters and digits';
  if (password.toLowerCase().includes(username.toLowerCase())) return 'the password must not contain the username';
  return null;
}

/** Creates the console account, or sets its password, role and status (enabled) when the name exists. */
async function seedConsoleAdmin(queryInterface, { username, password, role = 'owner', now = new Date() }) {
  const problem = consoleCredentialProblem(username, password, role);
  if (problem) throw new ConsoleCredentialError(problem);
  const hash = await hashPassword(password);
  const [ existing ] = await select(queryInterface, 'SELECT id FROM admin_users WHERE username = :username', { username });
  if (existing) {
    await queryInterface.sequelize.query('UPDATE admin_users SET password = :hash, role = :role, status = 1, update_time = :now WHERE id = :id',
      { replacements: { hash, role, now, id: existing.id } });
    return { id: Number(existing.id), username, role, created: false };
  }
  await queryInterface.bulkInsert('admin_users', [{ username, password: hash, role, status: 1, create_time: now, update_time: now }]);
  const [ row ] = await select(queryInterface, 'SELECT id FROM admin_users WHERE username = :username', { username });
  return { id: Number(row.id), username, role, created: true };
}

function isProduction() {
  return process.env.NODE_ENV === 'production' || process.env.EGG_SERVER_ENV === 'prod';
}

module.exports = {
  async up(queryInterface) {
    if (isProduction()) throw new ConsoleCredentialError('the development owner is never created in production: use npm run admin:create');
    const done = await seedConsoleAdmin(queryInterface, { ...DEV_OWNER, role: 'owner' });
    console.log(`admin console owner "${done.username}" ${done.created ? 'created' : 'updated'} (id ${done.id}; development password ${DEV_OWNER.password})`);
  },

  async down(queryInterface) {
    await queryInterface.bulkDelete('admin_users', { username: DEV_OWNER.username });
  },

  seedConsoleAdmin,
  consoleCredentialProblem,
  ConsoleCredentialError,
  DEV_OWNER,
  ROLES,
  isProduction,
};
