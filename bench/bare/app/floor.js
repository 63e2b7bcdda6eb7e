'use strict';

/**
 * What the contract makes every authenticated read pay, with nothing of eggchat around it: the bench's
 * `floor` row (issue 16). The same steps as eggchat's getgoodfriendinfo, written as directly as the
 * libraries allow — verify the JWT (HS256, a KeyObject built once), read the stored session in Redis and
 * the user row by primary key side by side (the guarantees: a logout, a new login, a disabled account or
 * a changed password refuse the token at once, on every worker and instance), then the route's own
 * statement (the friend's profile, one joined read) — on the bare Egg app, so the row's CPU minus the
 * bare row's is what those three round trips cost, and eggchat's getgoodfriendinfo minus the floor is
 * what eggchat adds (middleware, validation, layers).
 *
 * Uses the server's own DATABASE_URL/REDIS_URL and JWT_SECRET (the bench gives both servers the same
 * secret): mysql2 and ioredis resolve from the project's node_modules.
 */
const { createSecretKey, createHash } = require('node:crypto');

const USER_SQL = 'SELECT id, uuid, role, nickname, password, status, is_deleted FROM `user` WHERE id = ? LIMIT 1';
const PROFILE_SQL = 'SELECT g.id, g.user_id, g.friend_id, g.nickname, ' +
  'u.id AS u_id, u.username AS u_username, u.avatar AS u_avatar, u.nickname AS u_nickname, u.role AS u_role, u.status AS u_status, ' +
  'i.id AS i_id, i.gender AS i_gender, i.birthday AS i_birthday, i.bio AS i_bio, i.location AS i_location, i.website AS i_website ' +
  'FROM goodfriend g LEFT JOIN `user` u ON u.id = g.friend_id LEFT JOIN user_info i ON i.user_id = u.id ' +
  'WHERE g.user_id = ? AND g.friend_id = ? LIMIT 1';

let clients;

function available() {
  return /^mysql:/.test(process.env.DATABASE_URL || '') && /^redis:/.test(process.env.REDIS_URL || '') && !!process.env.JWT_SECRET;
}

function connect() {
  if (!clients) {
    const mysql = require('mysql2');
    const Redis = require('ioredis');
    const url = new URL(process.env.DATABASE_URL);
    clients = {
      pool: mysql.createPool({
        host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password), database: url.pathname.slice(1), connectionLimit: 10,
      }),
      redis: new Redis(process.env.REDIS_URL),
      key: createSecretKey(Buffer.from(process.env.JWT_SECRET, 'utf8')),
      jwt: require('jsonwebtoken'),
    };
  }
  return clients;
}

const query = (pool, sql, values) => new Promise((resolve, reject) => {
  pool.query({ sql, values }, (err, rows) => (err ? reject(err) : resolve(rows)));
});

// eggchat's passwordFingerprint (app/lib/password.ts): the stored session names the hash it was issued for.
const fingerprint = hash => createHash('sha256').update(hash).digest('base64url')
  .slice(0, 16);

async function handler(ctx) {
  const { pool, redis, key, jwt } = connect();
  let payload;
  try {
    payload = jwt.verify(ctx.get('token'), key, { algorithms: [ 'HS256' ] });
  } catch {
    ctx.status = 401;
    ctx.body = { msg: 'fail', data: 'token' };
    return;
  }
  const [ stored, users ] = await Promise.all([
    redis.get(`chat_user_${payload.id}`),
    query(pool, USER_SQL, [ payload.id ]),
  ]);
  const user = users[0];
  const [ sid, storedFingerprint ] = (stored || '').split('.');
  if (!user || Number(user.status) !== 1 || sid !== payload.sid || storedFingerprint !== fingerprint(user.password)) {
    ctx.status = 401;
    ctx.body = { msg: 'fail', data: 'session' };
    return;
  }
  const rows = await query(pool, PROFILE_SQL, [ payload.id, Number(ctx.params.id) ]);
  ctx.body = { msg: 'ok', data: rows[0] || null };
}

module.exports = { available, handler };
