'use strict';
// Account helpers for the seeders (plain JS: seeders run under sequelize-cli and plain node, without
// TypeScript). The password string has exactly the format app/lib/password.ts writes and verifies:
//   scrypt$<N>$<r>$<p>$<salt base64>$<key base64>   (N=16384, r=8, p=1, 16-byte salt, 64-byte key)
// test/database/seeders.test.ts proves it by logging a seeded admin in through /api/loginChat.
const crypto = require('node:crypto');
const { QueryTypes } = require('sequelize');

const SCRYPT = { N: 16384, r: 8, p: 1, keyLength: 64, saltBytes: 16 };

/** The API's username rule (POST /api/regChat, /api/loginChat): 4–20 letters, digits or underscores. */
const USERNAME_RULE = /^[A-Za-z0-9_]{4,20}$/;
/** The API accepts passwords of 6–20 characters: a longer admin password could never log in. */
const PASSWORD_MAX = 20;
const ADMIN_PASSWORD_MIN = 8;

function hashPassword(password) {
  const salt = crypto.randomBytes(SCRYPT.saltBytes);
  const { N, r, p, keyLength } = SCRYPT;
  return new Promise((resolve, reject) => {
    crypto.scrypt(password, salt, keyLength, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) => {
      if (err) return reject(err);
      resolve(`scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`);
    });
  });
}

/** Why these admin credentials are refused, or null when they are acceptable. */
function adminCredentialProblem(username, password) {
  if (!username) return 'ADMIN_USERNAME is not set';
  if (!USERNAME_RULE.test(username)) {
    return `ADMIN_USERNAME "${username}" must be 4-20 letters, digits or underscores (the API's username rule)`;
  }
  if (!password) return 'ADMIN_PASSWORD is not set';
  const length = [ ...password ].length;
  if (length < ADMIN_PASSWORD_MIN) return `ADMIN_PASSWORD is too weak: use at least ${ADMIN_PASSWORD_MIN} characters`;
  if (length > PASSWORD_MAX) return `ADMIN_PASSWORD is too long: the login API accepts at most ${PASSWORD_MAX} characters`;
  if (!/[A-Za-z]/.test(password) || !/[0-9]/.test(password)) {
    return 'ADMIN_PASSWORD is too weak: it must contain both letters and digits';
  }
  if (password.toLowerCase() === username.toLowerCase()) return 'ADMIN_PASSWORD is too weak: it must not equal the username';
  return null;
}

/** Rows of a SELECT, on any dialect. */
async function select(queryInterface, sql, replacements = {}) {
  return queryInterface.sequelize.query(sql, { replacements, type: QueryTypes.SELECT });
}

/** A `user` row for bulkInsert with the columns' defaults spelled out (bulkInsert applies no model defaults). */
function newUserRow({ username, password, nickname = '', role = 'user' }, now) {
  return {
    uuid: crypto.randomUUID(),
    username,
    password,
    nickname,
    status: 1,
    is_deleted: 0,
    role,
    is_email_verified: 0,
    is_mobile_verified: 0,
    register_time: now,
    order: 50,
    create_time: now,
    update_time: now,
  };
}

module.exports = { SCRYPT, USERNAME_RULE, hashPassword, adminCredentialProblem, select, newUserRow };
