'use strict';
// Demo data: users demo_000001 … demo_N with Chinese and Latin nicknames, friendships (both goodfriend
// directions) and pending friend applications. Deterministic and idempotent: a re-run (with the same or
// another N) only adds what is missing, never a duplicate.
//   npm run seed:demo -- --users 500                     (scripts/seed.js demo, with a progress bar)
//   DEMO_USERS=500 npx sequelize-cli db:seed --seed 20250701000200-demo-data.js
//
// Graph: user i is a friend of i+1 and i+2, and has a pending application to i+3 when i % 3 !== 0.
// All demo users share one password (DEMO_PASSWORD, default demo1234), hashed once per run: scrypt is
// deliberately slow and hashing thousands of demo rows one by one would take minutes.
const { Op } = require('sequelize');
const { hashPassword, select, newUserRow } = require('../lib/accounts');
const { recountPendingApplications } = require('../lib/applyCounter');

const CHINESE = [ '张伟', '王芳', '李娜', '刘洋', '陈静', '杨磊', '赵敏', '黄丽', '周杰', '吴昊', '徐婷', '孙强', '马超',
  '朱琳', '胡军', '郭鹏', '何欢', '高翔', '林峰', '罗晓', '梁雪', '宋佳', '郑爽', '谢娜', '韩梅', '唐宁', '冯源', '董卿' ];
const LATIN = [ 'Alice', 'Bob', 'Carol', 'David', 'Emma', 'Frank', 'Grace', 'Henry', 'Ivy', 'Jack', 'Kate', 'Leo', 'Mia',
  'Noah', 'Olivia', 'Peter', 'Quinn', 'Rose', 'Sam', 'Tina', 'Uma', 'Victor', 'Wendy', 'Xavier', 'Yuki', 'Zoe' ];
const DEMO_PREFIX = 'demo_';
const DEFAULT_PASSWORD = 'demo1234';

function demoUsername(i) {
  return `${DEMO_PREFIX}${String(i).padStart(6, '0')}`;
}

/** Every tenth user starts with a digit (contact group "#"), the others alternate Chinese and Latin. */
function demoNickname(i) {
  if (i % 10 === 0) return `${i % 1000}号`;
  return i % 2 === 0 ? CHINESE[(i / 2) % CHINESE.length] : `${LATIN[((i - 1) / 2) % LATIN.length]} ${Math.ceil(i / 52)}`;
}

function friendPairs(i, users) {
  return [ i + 1, i + 2 ].filter(j => j <= users).map(j => [ i, j ]);
}

function applicationTarget(i, users) {
  return i % 3 !== 0 && i + 3 <= users ? i + 3 : null;
}

function chunks(from, to, size) {
  const out = [];
  for (let start = from; start <= to; start += size) out.push([ start, Math.min(to, start + size - 1) ]);
  return out;
}

function range([ start, end ]) {
  return Array.from({ length: end - start + 1 }, (_, k) => start + k);
}

/**
 * Loads the demo data in batches.
 * @param {object} queryInterface sequelize's QueryInterface
 * @param {object} options what to load
 * @param {number} options.users how many demo users (N)
 * @param {string} [options.password] the password of every demo user
 * @param {number} [options.batchSize] rows per INSERT
 * @param {Function} [options.onProgress] (phase, count) after each batch
 * @param {Date} [options.now] create_time / update_time of the new rows
 * @return {Promise<{ users: number, friendships: number, applications: number }>} rows inserted by this run
 */
async function seedDemo(queryInterface, { users, password = DEFAULT_PASSWORD, batchSize = 500, onProgress = () => {}, now = new Date() }) {
  if (!Number.isInteger(users) || users < 1 || users > 999999) throw new Error('--users must be an integer between 1 and 999999');
  const inserted = { users: 0, friendships: 0, applications: 0 };
  const hash = await hashPassword(password);
  const ids = new Map(); // index → user id
  const batches = chunks(1, users, batchSize);

  // 1. users and their user_info rows
  for (const batch of batches) {
    const indexes = range(batch);
    const names = indexes.map(demoUsername);
    const present = new Set((await select(queryInterface, 'SELECT username FROM `user` WHERE username IN (:names)', { names }))
      .map(row => row.username.toLowerCase()));
    const missing = indexes.filter(i => !present.has(demoUsername(i)));
    if (missing.length) {
      await queryInterface.bulkInsert('user', missing.map(i => newUserRow({ username: demoUsername(i), password: hash, nickname: demoNickname(i) }, now)));
      inserted.users += missing.length;
    }
    const rows = await select(queryInterface, 'SELECT id, username FROM `user` WHERE username IN (:names)', { names });
    const byName = new Map(rows.map(row => [ row.username.toLowerCase(), Number(row.id) ]));
    for (const i of indexes) ids.set(i, byName.get(demoUsername(i)));
    const batchIds = indexes.map(i => ids.get(i));
    const withInfo = new Set((await select(queryInterface, 'SELECT user_id FROM user_info WHERE user_id IN (:batchIds)', { batchIds }))
      .map(row => Number(row.user_id)));
    const infoRows = batchIds.filter(id => !withInfo.has(id))
      .map(id => ({ user_id: id, gender: [ 'male', 'female', 'unknown' ][id % 3], order: 50, create_time: now, update_time: now }));
    if (infoRows.length) await queryInterface.bulkInsert('user_info', infoRows);
    onProgress('users', indexes.length);
  }

  // 2. friendships, one goodfriend row per direction
  for (const batch of batches) {
    const wanted = [];
    for (const i of range(batch)) {
      for (const [ a, b ] of friendPairs(i, users)) {
        const remark = (a + b) % 5 === 0 ? `好友${demoNickname(b)}` : '';
        wanted.push({ owner: a, friend: b, remark }, { owner: b, friend: a, remark: '' });
      }
    }
    if (wanted.length) {
      const owners = [ ...new Set(wanted.map(w => ids.get(w.owner))) ];
      const existing = new Set((await select(queryInterface, 'SELECT user_id, friend_id FROM goodfriend WHERE user_id IN (:owners)', { owners }))
        .map(row => `${row.user_id}:${row.friend_id}`));
      const rows = wanted
        .filter(w => !existing.has(`${ids.get(w.owner)}:${ids.get(w.friend)}`))
        .map(w => ({
          user_id: ids.get(w.owner),
          friend_id: ids.get(w.friend),
          nickname: w.remark,
          friendlookme: 1,
          melookfriend: 1,
          ismystarfriend: 0,
          isblack: 0,
          status: 1,
          order: 50,
          create_time: now,
          update_time: now,
        }));
      if (rows.length) await queryInterface.bulkInsert('goodfriend', rows);
      inserted.friendships += rows.length;
    }
    onProgress('friendships', batch[1] - batch[0] + 1);
  }

  // 3. pending applications (skipped when any application between the two already exists)
  for (const batch of batches) {
    const wanted = range(batch).map(i => [ i, applicationTarget(i, users) ]).filter(([ , j ]) => j !== null);
    if (wanted.length) {
      const applicants = wanted.map(([ i ]) => ids.get(i));
      const existing = new Set((await select(queryInterface, 'SELECT user_id, friend_id FROM goodfriendapply WHERE user_id IN (:applicants)', { applicants }))
        .map(row => `${row.user_id}:${row.friend_id}`));
      const rows = wanted
        .filter(([ i, j ]) => !existing.has(`${ids.get(i)}:${ids.get(j)}`))
        .map(([ i, j ]) => ({
          user_id: ids.get(i),
          friend_id: ids.get(j),
          nickname: `我是${demoNickname(i)}`,
          friendlookme: 1,
          melookfriend: 1,
          ismystarfriend: 0,
          isblack: 0,
          status: 'pending',
          order: 50,
          create_time: now,
          update_time: now,
        }));
      if (rows.length) await queryInterface.bulkInsert('goodfriendapply', rows);
      // Written here rather than by the app: the targets' kept pending counts follow (issue 16).
      if (rows.length) await recountPendingApplications(queryInterface.sequelize, rows.map(row => row.friend_id));
      inserted.applications += rows.length;
    }
    onProgress('applications', batch[1] - batch[0] + 1);
  }
  return inserted;
}

/** Deletes every demo user (username demo_ + digits) with its friendships, applications and user_info. */
async function removeDemo(queryInterface) {
  const rows = await select(queryInterface, "SELECT id, username FROM `user` WHERE username LIKE 'demo%'");
  const demoIds = rows.filter(row => /^demo_\d{6}$/i.test(row.username)).map(row => Number(row.id));
  for (let k = 0; k < demoIds.length; k += 500) {
    const batchIds = demoIds.slice(k, k + 500);
    await queryInterface.bulkDelete('goodfriendapply', { [Op.or]: [{ user_id: batchIds }, { friend_id: batchIds }] });
    await queryInterface.bulkDelete('goodfriendapply_pending', { user_id: batchIds });
    await queryInterface.bulkDelete('goodfriend', { [Op.or]: [{ user_id: batchIds }, { friend_id: batchIds }] });
    await queryInterface.bulkDelete('user_info', { user_id: batchIds });
    await queryInterface.bulkDelete('user', { id: batchIds });
  }
  // Other users lose the applications demo users had sent them.
  if (demoIds.length) await recountPendingApplications(queryInterface.sequelize);
  return demoIds.length;
}

module.exports = {
  async up(queryInterface) {
    const users = Number(process.env.DEMO_USERS || 50);
    const done = await seedDemo(queryInterface, { users, password: process.env.DEMO_PASSWORD || DEFAULT_PASSWORD });
    console.log(`demo data: ${done.users} users, ${done.friendships} friendship rows, ${done.applications} applications added`);
  },

  async down(queryInterface) {
    await removeDemo(queryInterface);
  },

  seedDemo,
  removeDemo,
  demoUsername,
  demoNickname,
  DEFAULT_PASSWORD,
};
