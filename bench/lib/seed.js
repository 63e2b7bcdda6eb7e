'use strict';
const { randomUUID } = require('node:crypto');
const cliProgress = require('cli-progress');
const { QueryTypes, hasPendingCounts } = require('./db');
const { recountPendingApplications } = require('../../database/lib/applyCounter');
const { prng, sampleDistinct } = require('./util');

/**
 * The data set. Ids below CROWD_START belong to the actors the load is driven as; everyone from
 * CROWD_START up is "the crowd": friends, applicants, login and search targets.
 *
 *   1..5    users with 100, 200, 500, 2,000 and 5,000 friends (growth curve; 200 and 2,000 in the table)
 *   6       "inbox": 1,000 applications sent to them (800 pending), for listapplyfriend
 *   7       "searcher": the caller of searchUser
 *   8..57   writers: applyfriend in the write mix
 *   58..107 handlers: each has pending applications to agree to in the write mix
 *
 * Usernames are `u` + the id on 7 digits (u0000001 … u1000000), so an exact hit is any id and a prefix
 * like u00123 matches a hundred users; nicknames are Chinese or Latin, about half each.
 */
const PASSWORD = 'bench-Passw0rd';
const ACTORS = { f100: 1, f200: 2, f500: 3, f2000: 4, f5000: 5, inbox: 6, searcher: 7 };
const FRIEND_COUNTS = { 1: 100, 2: 200, 3: 500, 4: 2000, 5: 5000 };
const WRITERS = Array.from({ length: 50 }, (_, i) => 8 + i);
const HANDLERS = Array.from({ length: 50 }, (_, i) => 58 + i);
const CROWD_START = 1000;
const INBOX_APPLICATIONS = 1000;

const username = id => 'u' + String(id).padStart(7, '0');

const SURNAMES = Array.from('王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单');
const GIVEN = Array.from('伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文晓东海波宇浩然子涵欣怡梓萱一诺雨泽俊熙思远嘉怡佳琪宏亮春梅秋菊冬雪长乐');
const FIRST = [ 'Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Elijah', 'Sophia', 'James', 'Mia', 'Lucas', 'Amelia', 'Mateo', 'Chloé', 'Zoë', 'Émile', 'Isabella', 'Henry', 'Grace', 'Jack', 'Luna', 'anna', 'bob', 'Kenji', 'Yuki', 'Ömer' ];
const LAST = [ 'Smith', 'Brown', 'Garcia', 'Miller', 'Davis', 'Martin', 'Lee', 'Walker', 'Young', 'King', 'Wright', 'Lopez', 'Hill', 'Scott', 'Green', 'Adams', 'Baker', 'Nelson', 'Carter', 'Roberts' ];

function nickname(random) {
  const roll = random();
  if (roll < 0.48) return random.pick(SURNAMES) + random.pick(GIVEN) + (random() < 0.6 ? random.pick(GIVEN) : '');
  if (roll < 0.94) return `${random.pick(FIRST)} ${random.pick(LAST)}`;
  if (roll < 0.97) return '';
  return random.pick([ '🍀', '_', '9', '＃' ]) + random.pick(GIVEN) + random.pick(FIRST);
}

function remark(random) {
  const roll = random();
  if (roll < 0.7) return '';
  if (roll < 0.88) return random.pick(SURNAMES) + random.pick([ '总', '老师', '经理', '哥', '姐' ]);
  return random.pick(FIRST);
}

class Seeder {
  constructor(sequelize, { passwordHash, progress = true }) {
    this.sequelize = sequelize;
    this.passwordHash = passwordHash;
    this.mysql = sequelize.getDialect() === 'mysql';
    this.now = sequelize.escape(new Date());
    this.progress = progress;
    this.users = 0;
    this.handlerApplications = [];
  }

  bar(title, total) {
    const bar = new cliProgress.SingleBar({
      format: `  ${title.padEnd(22)} [{bar}] {percentage}% | {value}/{total} | {duration}s`,
      noTTYOutput: !!this.progress,
      notTTYSchedule: 5000,
      hideCursor: true,
    }, cliProgress.Presets.shades_classic);
    if (this.progress) bar.start(total, 0);
    return {
      increment: n => this.progress && bar.increment(n),
      stop: () => this.progress && bar.stop(),
    };
  }

  /** Multi-row INSERTs of `rows(from, to)`, `batch` rows a statement, `lanes` statements in flight (MySQL). */
  async bulk(title, total, batch, makeStatement, lanes = 1) {
    const bar = this.bar(title, total);
    let next = 0;
    const lane = async () => {
      while (next < total) {
        const from = next;
        const to = Math.min(total, from + batch);
        next = to;
        await this.execute(makeStatement(from, to));
        bar.increment(to - from);
      }
    };
    try {
      await Promise.all(Array.from({ length: this.mysql ? lanes : 1 }, lane));
    } finally {
      bar.stop();
    }
  }

  /**
   * One statement, retried a few times on a deadlock (1213) or MariaDB's sporadic "Failed to read
   * auto-increment value from storage engine" (1467) under concurrent inserts: a failed INSERT is rolled
   * back whole, so a retry inserts nothing twice.
   */
  async execute(sql) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.sequelize.query(sql);
      } catch (err) {
        const errno = err && err.parent && err.parent.errno;
        if (![ 1213, 1467 ].includes(errno) || attempt >= 5) throw err;
        await new Promise(resolve => setTimeout(resolve, 50 * attempt));
      }
    }
  }

  /** Users with ids (this.users, upTo], each with a user_info row unless `withInfo` is false. */
  async addUsers(upTo, { withInfo = true } = {}) {
    const first = this.users + 1;
    if (upTo < first) return;
    const esc = value => this.sequelize.escape(value);
    const password = esc(this.passwordHash);
    const now = this.now;
    await this.bulk(`users ${first}..${upTo}`, upTo - first + 1, 2000, (from, to) => {
      const values = [];
      for (let id = first + from; id < first + to; id++) {
        const random = prng(id * 7919);
        values.push(`(${id},'${randomUUID()}','${username(id)}',${password},${esc(nickname(random))},${now},${now},${now})`);
      }
      return 'INSERT INTO `user` (id, uuid, username, password, nickname, register_time, create_time, update_time) VALUES ' + values.join(',');
    }, 2);
    if (withInfo) {
      await this.bulk('user_info', upTo - first + 1, 20000, (from, to) =>
        'INSERT INTO user_info (user_id, gender, bio, create_time, update_time) ' +
        'SELECT id, CASE id % 3 WHEN 0 THEN \'male\' WHEN 1 THEN \'female\' ELSE \'unknown\' END, ' +
        `CASE WHEN id % 5 = 0 THEN 'bench bio' ELSE NULL END, ${now}, ${now} FROM \`user\` WHERE id BETWEEN ${first + from} AND ${first + to - 1}`);
    }
    this.users = upTo;
  }

  /** Both directions of every friendship of the actors 1..5, my remark on about 30% of my rows. */
  async friends() {
    const rows = [];
    for (const [ owner, count ] of Object.entries(FRIEND_COUNTS)) {
      const random = prng(Number(owner) * 104729);
      for (const friend of sampleDistinct(random, count, CROWD_START, this.users)) {
        rows.push([ Number(owner), friend, remark(random) ], [ friend, Number(owner), '' ]);
      }
    }
    this.friendIds = {};
    for (const [ owner ] of Object.entries(FRIEND_COUNTS)) this.friendIds[owner] = [];
    for (const [ owner, friend ] of rows) if (FRIEND_COUNTS[owner]) this.friendIds[owner].push(friend);
    const esc = value => this.sequelize.escape(value);
    await this.bulk('goodfriend', rows.length, 2000, (from, to) =>
      'INSERT INTO goodfriend (user_id, friend_id, nickname, create_time, update_time) VALUES ' +
      rows.slice(from, to).map(([ u, f, n ]) => `(${u},${f},${esc(n)},${this.now},${this.now})`).join(','));
  }

  /**
   * Applications: 1,000 to the inbox actor (80% pending, the rest refused), and `perHandler` pending
   * ones to each handler of the write mix, from distinct applicants.
   */
  async applications(perHandler) {
    const rows = [];
    const random = prng(15485863);
    const inboxFrom = sampleDistinct(random, INBOX_APPLICATIONS, CROWD_START, this.users);
    inboxFrom.forEach((from, i) => rows.push([ from, ACTORS.inbox, i % 5 === 4 ? 'refuse' : 'pending', `我是${from}` ]));
    const applicants = this.users - CROWD_START + 1;
    if (applicants < perHandler) throw new Error('not enough users for the handlers\' applications');
    HANDLERS.forEach((handler, h) => {
      for (let k = 0; k < perHandler; k++) {
        rows.push([ CROWD_START + ((h * perHandler + k) % applicants), handler, 'pending', '' ]);
      }
    });
    const esc = value => this.sequelize.escape(value);
    await this.bulk('goodfriendapply', rows.length, 2000, (from, to) =>
      'INSERT INTO goodfriendapply (user_id, friend_id, nickname, status, create_time, update_time) VALUES ' +
      rows.slice(from, to).map(([ u, f, s, n ]) => `(${u},${f},${esc(n)},'${s}',${this.now},${this.now})`).join(','));
    // The targets' kept pending counts (issue 16), when the measured build has them.
    if (await hasPendingCounts(this.sequelize)) await recountPendingApplications(this.sequelize, [ ACTORS.inbox, ...HANDLERS ]);
    this.handlerApplications = await this.sequelize.query(
      `SELECT id, friend_id AS handler FROM goodfriendapply WHERE friend_id BETWEEN ${HANDLERS[0]} AND ${HANDLERS[HANDLERS.length - 1]} AND status = 'pending' ORDER BY id`,
      { type: QueryTypes.SELECT });
  }
}

module.exports = { Seeder, PASSWORD, ACTORS, FRIEND_COUNTS, WRITERS, HANDLERS, CROWD_START, username };
