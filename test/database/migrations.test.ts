import * as assert from 'node:assert';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { app } from 'egg-mock/bootstrap';
import { DataTypes, QueryTypes, Sequelize, UniqueConstraintError } from 'sequelize';
import { MIGRATIONS_DIR, revertAllMigrations, runPendingMigrations } from '../../app/lib/migrator';

const MIGRATE_DB = 'eggchat_migrate_test';
const TABLES = [ 'user', 'user_info', 'goodfriend', 'goodfriendapply', 'kv_store', 'message', 'chat_inbox', 'chat_cursor', 'chat_inbox_seq', 'goodfriendapply_pending', 'group', 'group_user', 'group_log', 'askanswer', 'admin_users', 'admin_audit_log' ];
const AVATAR = 'https://thinkphp-all.oss-cn-hangzhou.aliyuncs.com/public/67b3001b2aedd.png';

/** What the contract (API.md §3) says of a column: kind, length, nullability, default. */
interface ColumnSpec { kind: 'id' | 'bigid' | 'ref' | 'string' | 'char' | 'text' | 'tinyint' | 'int' | 'bigint' | 'date' | 'dateonly' | 'enum'; length?: number; nullable?: boolean; default?: string; values?: string[] }

const TIMESTAMPS: Record<string, ColumnSpec> = {
  order: { kind: 'int', nullable: true, default: '50' },
  create_time: { kind: 'date', nullable: true },
  update_time: { kind: 'date', nullable: true },
};

const SPEC: Record<string, Record<string, ColumnSpec>> = {
  user: {
    id: { kind: 'id' },
    uuid: { kind: 'char', length: 36, nullable: false },
    username: { kind: 'string', length: 50, nullable: false },
    password: { kind: 'string', length: 255, nullable: false },
    nickname: { kind: 'string', length: 50, default: '' },
    avatar: { kind: 'string', length: 1000, default: AVATAR },
    mobile: { kind: 'string', length: 20, nullable: true },
    email: { kind: 'string', length: 100, nullable: true },
    status: { kind: 'tinyint', default: '1' },
    last_login: { kind: 'date', nullable: true },
    last_login_ip: { kind: 'string', nullable: true },
    register_time: { kind: 'date', nullable: true },
    register_ip: { kind: 'string', nullable: true },
    is_deleted: { kind: 'tinyint', default: '0' },
    wechat_openid: { kind: 'string', nullable: true },
    qq_openid: { kind: 'string', nullable: true },
    weibo_uid: { kind: 'string', length: 128, nullable: true },
    role: { kind: 'string', length: 20, default: 'user' },
    is_email_verified: { kind: 'tinyint', default: '0' },
    is_mobile_verified: { kind: 'tinyint', default: '0' },
    // The original's final version: visitors' device and statistics, settings (issue 11).
    devicefingeruuid: { kind: 'string', length: 200, nullable: true },
    uniplatform: { kind: 'string', length: 50, nullable: true, default: '' },
    devicemodel: { kind: 'string', length: 50, nullable: true, default: '' },
    deviceos: { kind: 'string', length: 50, nullable: true, default: '' },
    devicebrand: { kind: 'string', length: 50, nullable: true, default: '' },
    userset: { kind: 'text', nullable: true },
    invite_confirm: { kind: 'tinyint', nullable: false, default: '1' },
    ...TIMESTAMPS,
  },
  user_info: {
    id: { kind: 'id' },
    user_id: { kind: 'ref', nullable: false },
    gender: { kind: 'enum', values: [ 'male', 'female', 'unknown' ], default: 'unknown' },
    birthday: { kind: 'dateonly', nullable: true },
    bio: { kind: 'string', length: 200, nullable: true },
    location: { kind: 'string', length: 100, nullable: true },
    website: { kind: 'string', length: 255, nullable: true },
    ...TIMESTAMPS,
  },
  goodfriend: {
    id: { kind: 'id' },
    user_id: { kind: 'ref', nullable: false },
    friend_id: { kind: 'ref', nullable: false },
    nickname: { kind: 'string', length: 50, default: '' },
    friendlookme: { kind: 'tinyint', default: '1' },
    melookfriend: { kind: 'tinyint', default: '1' },
    ismystarfriend: { kind: 'tinyint', default: '0' },
    isblack: { kind: 'tinyint', default: '0' },
    status: { kind: 'tinyint', default: '1' },
    ...TIMESTAMPS,
  },
  goodfriendapply: {
    id: { kind: 'id' },
    user_id: { kind: 'ref', nullable: false },
    friend_id: { kind: 'ref', nullable: false },
    nickname: { kind: 'string', length: 50, default: '' },
    friendlookme: { kind: 'tinyint', default: '1' },
    melookfriend: { kind: 'tinyint', default: '1' },
    ismystarfriend: { kind: 'tinyint', default: '0' },
    isblack: { kind: 'tinyint', default: '0' },
    status: { kind: 'enum', values: [ 'pending', 'refuse', 'agree', 'ignore' ], default: 'pending' },
    ...TIMESTAMPS,
  },
  // Messaging (issue 12): stored once; each recipient's inbox in its own order; how far each recipient confirmed.
  message: {
    id: { kind: 'bigid' },
    uuid: { kind: 'char', length: 36, nullable: false },
    from_id: { kind: 'ref', nullable: false },
    to_id: { kind: 'ref', nullable: false },
    chat_type: { kind: 'enum', values: [ 'single', 'group' ], default: 'single' },
    type: { kind: 'string', length: 20, nullable: false },
    data: { kind: 'text', nullable: false },
    options: { kind: 'text', nullable: true },
    client_msg_id: { kind: 'string', length: 64, nullable: true },
    isremove: { kind: 'tinyint', default: '0' },
    ...TIMESTAMPS,
  },
  chat_inbox: {
    id: { kind: 'bigid' },
    user_id: { kind: 'ref', nullable: false },
    seq: { kind: 'bigint', nullable: false },
    message_id: { kind: 'bigint', nullable: true },
    payload: { kind: 'text', nullable: false },
    create_time: { kind: 'date', nullable: true },
  },
  chat_cursor: {
    // The primary key (SQLite reports a primary key as nullable).
    user_id: { kind: 'ref' },
    delivered_seq: { kind: 'bigint', nullable: false, default: '0' },
    update_time: { kind: 'date', nullable: true },
  },
  chat_inbox_seq: {
    // One row per recipient: the last inbox sequence number (the primary key; SQLite reports it nullable).
    user_id: { kind: 'ref' },
    last_seq: { kind: 'bigint', nullable: false, default: '0' },
  },
  goodfriendapply_pending: {
    // One row per target of applications: how many are pending (issue 16; the primary key, SQLite reports it nullable).
    user_id: { kind: 'ref' },
    n: { kind: 'int', nullable: false, default: '0' },
  },
  // Groups (issue 13; docs/design/groups.md §1 and §7): the original's two tables plus the delivery columns, and the log.
  group: {
    id: { kind: 'id' },
    uuid: { kind: 'char', length: 36, nullable: false },
    user_id: { kind: 'ref', nullable: false },
    name: { kind: 'string', length: 50, nullable: false, default: '' },
    avatar: { kind: 'text', nullable: true },
    remark: { kind: 'string', length: 500, nullable: false, default: '' },
    invite_confirm: { kind: 'tinyint', nullable: false, default: '0' },
    status: { kind: 'tinyint', nullable: false, default: '1' },
    last_seq: { kind: 'bigint', nullable: false, default: '0' },
    member_version: { kind: 'int', nullable: false, default: '0' },
    closed_seq: { kind: 'bigint', nullable: true },
    ...TIMESTAMPS,
  },
  group_user: {
    id: { kind: 'id' },
    group_id: { kind: 'ref', nullable: false },
    user_id: { kind: 'ref', nullable: false },
    nickname: { kind: 'string', length: 50, nullable: false, default: '' },
    avatar: { kind: 'string', length: 1000, nullable: false, default: '' },
    status: { kind: 'tinyint', nullable: false, default: '1' },
    joined_seq: { kind: 'bigint', nullable: true },
    left_seq: { kind: 'bigint', nullable: true },
    delivered_seq: { kind: 'bigint', nullable: false, default: '0' },
    ...TIMESTAMPS,
  },
  group_log: {
    id: { kind: 'bigid' },
    group_id: { kind: 'ref', nullable: false },
    seq: { kind: 'bigint', nullable: false },
    message_id: { kind: 'bigint', nullable: true },
    skip_user_id: { kind: 'ref', nullable: true },
    payload: { kind: 'text', nullable: false },
    create_time: { kind: 'date', nullable: true },
  },
  // Auto-answers (issue 19; docs/design/askanswer.md): a user's or a group owner's questions and answers.
  askanswer: {
    id: { kind: 'id' },
    owner_type: { kind: 'enum', values: [ 'single', 'group' ] },
    owner_id: { kind: 'ref', nullable: false },
    ask: { kind: 'string', length: 200, nullable: false },
    answer: { kind: 'text', nullable: false },
    like_count: { kind: 'int', nullable: false, default: '0' },
    ...TIMESTAMPS,
  },
  // The admin console (issue 20): operators' accounts and the append-only audit log.
  admin_users: {
    id: { kind: 'id' },
    username: { kind: 'string', length: 50, nullable: false },
    password: { kind: 'string', length: 255, nullable: false },
    role: { kind: 'enum', values: [ 'owner', 'operator', 'viewer' ], default: 'viewer' },
    status: { kind: 'tinyint', nullable: false, default: '1' },
    last_login: { kind: 'date', nullable: true },
    last_login_ip: { kind: 'string', length: 45, nullable: true },
    create_time: { kind: 'date', nullable: true },
    update_time: { kind: 'date', nullable: true },
  },
  admin_audit_log: {
    id: { kind: 'bigid' },
    admin_id: { kind: 'ref', nullable: true },
    admin_username: { kind: 'string', length: 50, nullable: false, default: '' },
    action: { kind: 'string', length: 40, nullable: false },
    target_type: { kind: 'string', length: 20, nullable: false, default: '' },
    target_id: { kind: 'ref', nullable: true },
    outcome: { kind: 'string', length: 10, nullable: false },
    before_json: { kind: 'text', nullable: true },
    after_json: { kind: 'text', nullable: true },
    ip: { kind: 'string', length: 45, nullable: false, default: '' },
    create_time: { kind: 'date', nullable: false },
  },
  kv_store: {
    key: { kind: 'string', length: 191, nullable: false },
    value: { kind: 'string', length: 1000, nullable: false },
    expires_at: { kind: 'bigint', nullable: true },
  },
};

function migrationFiles(): string[] {
  return fs.readdirSync(MIGRATIONS_DIR).filter(file => file.endsWith('.js')).sort();
}

function isMysql(): boolean {
  return app.model.getDialect() === 'mysql';
}

let sqliteFiles = 0;
let currentSqliteFile: string | undefined;

/** An empty database of the current profile, reached through its own Sequelize instance. */
async function freshDatabase(): Promise<Sequelize> {
  if (isMysql()) {
    await app.model.query(`DROP DATABASE IF EXISTS \`${MIGRATE_DB}\``);
    await app.model.query(`CREATE DATABASE \`${MIGRATE_DB}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const { host, port, username, password, timezone, dialectOptions } = app.config.sequelize as any;
    return new Sequelize(MIGRATE_DB, username, password, {
      dialect: 'mysql', host, port, timezone, dialectOptions, logging: false, pool: { max: 3, min: 0 },
    });
  }
  sqliteFiles += 1;
  currentSqliteFile = path.join(os.tmpdir(), `eggchat-migrate-${process.pid}-${Date.now()}-${sqliteFiles}.sqlite`);
  return new Sequelize({ dialect: 'sqlite', storage: currentSqliteFile, logging: false });
}

async function dropDatabase(db: Sequelize | undefined): Promise<void> {
  if (db) await db.close();
  if (isMysql()) {
    await app.model.query(`DROP DATABASE IF EXISTS \`${MIGRATE_DB}\``);
  } else if (currentSqliteFile) {
    for (const suffix of [ '', '-wal', '-shm', '-journal' ]) fs.rmSync(currentSqliteFile + suffix, { force: true });
    currentSqliteFile = undefined;
  }
}

async function tableNames(db: Sequelize): Promise<string[]> {
  const tables = await db.getQueryInterface().showAllTables() as unknown[];
  return tables.map((t: any) => String(typeof t === 'string' ? t : t.tableName || t.name)).sort();
}

interface IndexInfo { name: string; unique: boolean; primary: boolean; fields: string[] }

async function indexes(db: Sequelize, table: string): Promise<IndexInfo[]> {
  const list = await db.getQueryInterface().showIndex(table) as any[];
  return list.map(index => ({
    name: index.name,
    unique: !!index.unique,
    primary: !!index.primary || index.name === 'PRIMARY',
    fields: (index.fields || []).map((f: any) => f.attribute || f.name),
  }));
}

async function uniqueIndexesOn(db: Sequelize, table: string, fields: string[]): Promise<IndexInfo[]> {
  return (await indexes(db, table)).filter(index => index.unique && !index.primary && index.fields.join(',') === fields.join(','));
}

async function metaNames(db: Sequelize): Promise<string[]> {
  const rows = await db.query<{ name: string }>('SELECT name FROM SequelizeMeta ORDER BY name', { type: QueryTypes.SELECT });
  return rows.map(row => row.name);
}

let uuidCounter = 0;
function userRow(username: string, extra: Record<string, unknown> = {}) {
  uuidCounter += 1;
  const now = new Date();
  return {
    uuid: `00000000-0000-4000-8000-${String(uuidCounter).padStart(12, '0')}`,
    username,
    password: 'x'.repeat(64),
    create_time: now,
    update_time: now,
    ...extra,
  };
}

async function insertUser(db: Sequelize, username: string, extra: Record<string, unknown> = {}): Promise<number> {
  await db.getQueryInterface().bulkInsert('user', [ userRow(username, extra) ]);
  const rows = await db.query<{ id: number }>('SELECT id FROM `user` WHERE username = ?', { replacements: [ username ], type: QueryTypes.SELECT });
  assert.strictEqual(rows.length, 1);
  return Number(rows[0].id);
}

async function rejectsAsDuplicate(work: Promise<unknown>, what: string) {
  await assert.rejects(work, (err: any) => {
    assert.ok(err instanceof UniqueConstraintError, `${what}: expected UniqueConstraintError, got ${err?.name}: ${err?.message}`);
    return true;
  });
}

/** Compares a described column with the contract, dialect differences aside. */
function checkColumn(table: string, name: string, described: any, spec: ColumnSpec) {
  const where = `${table}.${name} (${described.type})`;
  const type = String(described.type).toUpperCase();
  const mysql = isMysql();
  switch (spec.kind) {
    case 'id':
      assert.ok(described.primaryKey, `${where} is the primary key`);
      assert.match(type, /^INT/, where);
      if (mysql) {
        assert.match(type, /UNSIGNED/, `${where} unsigned`);
        assert.strictEqual(described.autoIncrement, true, `${where} auto-increment`);
      }
      break;
    case 'bigid':
      // SQLite's auto-increment key is its 64-bit INTEGER rowid; MySQL's a BIGINT UNSIGNED.
      assert.ok(described.primaryKey, `${where} is the primary key`);
      assert.match(type, mysql ? /^BIGINT/ : /^INTEGER$/, where);
      if (mysql) assert.strictEqual(described.autoIncrement, true, `${where} auto-increment`);
      break;
    case 'ref':
      assert.match(type, /^INT/, where);
      if (mysql) assert.match(type, /UNSIGNED/, `${where} unsigned, like user.id`);
      break;
    case 'string':
      assert.match(type, /^VARCHAR\(\d+\)/, where);
      break;
    case 'char':
      assert.match(type, /^CHAR\(\d+\)/, where);
      break;
    case 'text':
      // MEDIUMTEXT on MySQL where a message may need more than 64 KB.
      assert.match(type, /^(MEDIUM)?TEXT/, where);
      break;
    case 'tinyint':
      assert.match(type, /^TINYINT/, where);
      break;
    case 'int':
      assert.match(type, /^INT/, where);
      break;
    case 'bigint':
      assert.match(type, /^BIGINT/, where);
      break;
    case 'date':
      assert.match(type, /^DATETIME/, where);
      break;
    case 'dateonly':
      assert.strictEqual(type, 'DATE', where);
      break;
    case 'enum':
      // MySQL keeps the values in the type; SQLite stores an ENUM as TEXT.
      if (mysql) assert.strictEqual(type, `ENUM(${spec.values!.map(v => `'${v.toUpperCase()}'`).join(',')})`, where);
      else assert.strictEqual(type, 'TEXT', where);
      break;
    default:
      throw new Error(`unknown kind ${spec.kind}`);
  }
  if (spec.length !== undefined) {
    assert.strictEqual(Number(/\((\d+)\)/.exec(type)?.[1]), spec.length, `${where} length`);
  }
  if (spec.nullable !== undefined) {
    assert.strictEqual(described.allowNull, spec.nullable, `${where} nullable`);
  }
  if (spec.default !== undefined) {
    assert.strictEqual(String(described.defaultValue), spec.default, `${where} default`);
  }
}

describe('test/database/migrations.test.ts', () => {
  // DDL on MariaDB is slower than the default 2 s per test.
  const timeout = 30000;

  describe('on an empty database', () => {
    let db: Sequelize;
    let applied: string[];

    before(async function() {
      this.timeout(timeout);
      db = await freshDatabase();
      assert.deepStrictEqual(await tableNames(db), [], 'starts empty');
      applied = await runPendingMigrations(db);
    });

    after(async function() {
      this.timeout(timeout);
      await dropDatabase(db);
    });

    it('runs on the profile\'s database', () => {
      assert.strictEqual(db.getDialect(), process.env.DATABASE_URL ? 'mysql' : 'sqlite');
      if (isMysql()) assert.strictEqual(db.getDatabaseName(), MIGRATE_DB);
    });

    it('applies every migration, in name order, and records each in SequelizeMeta', async () => {
      assert.strictEqual(applied.length, 13);
      assert.deepStrictEqual(applied, migrationFiles());
      assert.deepStrictEqual(await metaNames(db), migrationFiles());
    });

    it('creates user, user_info, goodfriend, goodfriendapply, kv_store, the messaging and the group tables', async () => {
      assert.deepStrictEqual(await tableNames(db), [ 'SequelizeMeta', ...TABLES ].sort());
    });

    TABLES.forEach(table => {
      it(`gives ${table} exactly the contract's columns`, async () => {
        const described = await db.getQueryInterface().describeTable(table) as Record<string, any>;
        assert.deepStrictEqual(Object.keys(described).sort(), Object.keys(SPEC[table]).sort());
        for (const [ name, spec ] of Object.entries(SPEC[table])) checkColumn(table, name, described[name], spec);
      });
    });

    it('has the unique indexes: user.username/uuid/mobile/email/openids, user_info.user_id, goodfriend(user_id, friend_id)', async () => {
      for (const column of [ 'username', 'uuid', 'mobile', 'email', 'wechat_openid', 'qq_openid', 'weibo_uid' ]) {
        assert.strictEqual((await uniqueIndexesOn(db, 'user', [ column ])).length, 1, `unique index on user.${column}`);
      }
      assert.strictEqual((await uniqueIndexesOn(db, 'user_info', [ 'user_id' ])).length, 1, 'unique user_info.user_id');
      assert.strictEqual((await uniqueIndexesOn(db, 'user', [ 'devicefingeruuid' ])).length, 1, 'one visitor per device: unique user.devicefingeruuid');
      const pair = await uniqueIndexesOn(db, 'goodfriend', [ 'user_id', 'friend_id' ]);
      assert.strictEqual(pair.length, 1, 'unique goodfriend(user_id, friend_id)');
      assert.strictEqual(pair[0].name, 'goodfriend_user_friend_unique');
      // The lookups the friend routes make are indexed.
      const applyIndexes = (await indexes(db, 'goodfriendapply')).map(index => index.fields.join(','));
      assert.ok(applyIndexes.includes('friend_id,id'), JSON.stringify(applyIndexes));
      assert.ok(applyIndexes.includes('user_id,friend_id,status'), JSON.stringify(applyIndexes));
      assert.ok((await indexes(db, 'kv_store')).some(index => index.fields.join(',') === 'expires_at'));
      // The console's nickname search reads a range (migration 20261202000700).
      assert.ok((await indexes(db, 'user')).some(index => index.fields.join(',') === 'nickname'), 'index on user.nickname');
      // Messaging: one entry per (recipient, sequence); a message by its public id; one key per sender.
      assert.strictEqual((await uniqueIndexesOn(db, 'chat_inbox', [ 'user_id', 'seq' ])).length, 1, 'unique chat_inbox(user_id, seq)');
      assert.strictEqual((await uniqueIndexesOn(db, 'message', [ 'uuid' ])).length, 1, 'unique message.uuid');
      assert.strictEqual((await uniqueIndexesOn(db, 'message', [ 'from_id', 'client_msg_id' ])).length, 1, 'unique message(from_id, client_msg_id)');
      assert.ok((await indexes(db, 'message')).some(index => index.fields.join(',') === 'from_id,to_id,chat_type,id'));
      // Groups: one member row per (group, user); every lookup of docs/design/groups.md §1 indexed.
      assert.strictEqual((await uniqueIndexesOn(db, 'group', [ 'uuid' ])).length, 1, 'unique group.uuid');
      assert.strictEqual((await uniqueIndexesOn(db, 'group_user', [ 'group_id', 'user_id' ])).length, 1, 'unique group_user(group_id, user_id)');
      assert.strictEqual((await uniqueIndexesOn(db, 'group_log', [ 'group_id', 'seq' ])).length, 1, 'unique group_log(group_id, seq)');
      const fieldsOf = async (table: string) => (await indexes(db, table)).map(index => index.fields.join(','));
      assert.ok((await fieldsOf('group')).includes('user_id'));
      assert.ok((await fieldsOf('group_user')).includes('user_id,status,group_id'));
      assert.ok((await fieldsOf('group_user')).includes('group_id,status,id'));
      assert.ok((await fieldsOf('group_log')).includes('message_id'));
    });

    it('quotes the reserved table name `group`: a group, its members and its log round-trip', async () => {
      // Plain ids: the user count of the tests below stays as they expect.
      const owner = 900001;
      const member = 900002;
      const now = new Date();
      await db.query('INSERT INTO `group` (uuid, user_id, name, avatar, create_time, update_time) VALUES (?, ?, ?, ?, ?, ?)', {
        replacements: [ '00000000-0000-4000-8000-00000000aaaa', owner, '群', 'a.png', now, now ],
      });
      const [ group ] = await db.query<any>('SELECT * FROM `group` WHERE user_id = ?', { replacements: [ owner ], type: QueryTypes.SELECT });
      assert.strictEqual(group.remark, '');
      assert.deepStrictEqual([ group.invite_confirm, group.status, group.last_seq, group.member_version, group.closed_seq, group.order ].map(v => (v === null ? null : Number(v))),
        [ 0, 1, 0, 0, null, 50 ]);
      const qi = db.getQueryInterface();
      await qi.bulkInsert('group_user', [{ group_id: group.id, user_id: member, create_time: now, update_time: now }]);
      await rejectsAsDuplicate(qi.bulkInsert('group_user', [{ group_id: group.id, user_id: member }]), 'the same member twice');
      const [ row ] = await db.query<any>('SELECT * FROM group_user WHERE group_id = ?', { replacements: [ group.id ], type: QueryTypes.SELECT });
      assert.deepStrictEqual([ row.nickname, row.avatar, Number(row.status), row.joined_seq, row.left_seq, Number(row.delivered_seq) ], [ '', '', 1, null, null, 0 ]);
      await qi.bulkInsert('group_log', [{ group_id: group.id, seq: 1, payload: '{}', create_time: now }]);
      await rejectsAsDuplicate(qi.bulkInsert('group_log', [{ group_id: group.id, seq: 1, payload: '{}' }]), 'the same sequence number twice');
    });

    it('refuses a second user with the same username, whatever its case, or the same uuid', async () => {
      await insertUser(db, 'dup_alice');
      await rejectsAsDuplicate(db.getQueryInterface().bulkInsert('user', [ userRow('dup_alice') ]), 'same username');
      await rejectsAsDuplicate(db.getQueryInterface().bulkInsert('user', [ userRow('DUP_Alice') ]), 'username in another case');
      const [ taken ] = await db.query<{ uuid: string }>('SELECT uuid FROM `user` WHERE username = ?', { replacements: [ 'dup_alice' ], type: QueryTypes.SELECT });
      await rejectsAsDuplicate(db.getQueryInterface().bulkInsert('user', [ userRow('dup_bob', { uuid: taken.uuid }) ]), 'same uuid');
      // Optional unique columns allow any number of NULLs.
      await insertUser(db, 'null_one');
      await insertUser(db, 'null_two');
      const rows = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM `user` WHERE mobile IS NULL AND email IS NULL', { type: QueryTypes.SELECT });
      assert.strictEqual(Number(rows[0].n), 3);
    });

    it('fills the defaults of a user row', async () => {
      const id = await insertUser(db, 'defaults_1');
      const [ row ] = await db.query<any>('SELECT * FROM `user` WHERE id = ?', { replacements: [ id ], type: QueryTypes.SELECT });
      assert.strictEqual(row.nickname, '');
      assert.strictEqual(row.avatar, AVATAR);
      assert.strictEqual(Number(row.status), 1);
      assert.strictEqual(Number(row.is_deleted), 0);
      assert.strictEqual(row.role, 'user');
      assert.strictEqual(Number(row.order), 50);
    });

    it('refuses a duplicate goodfriend (user_id, friend_id) but keeps one row per direction', async () => {
      const a = await insertUser(db, 'gf_a');
      const b = await insertUser(db, 'gf_b');
      const qi = db.getQueryInterface();
      const row = (user_id: number, friend_id: number) => ({ user_id, friend_id, create_time: new Date(), update_time: new Date() });
      await qi.bulkInsert('goodfriend', [ row(a, b) ]);
      await qi.bulkInsert('goodfriend', [ row(b, a) ]);
      await rejectsAsDuplicate(qi.bulkInsert('goodfriend', [ row(a, b) ]), 'goodfriend a→b twice');
      const rows = await db.query<any>('SELECT * FROM goodfriend WHERE user_id = ? AND friend_id = ?', { replacements: [ a, b ], type: QueryTypes.SELECT });
      assert.strictEqual(rows.length, 1);
      assert.strictEqual(rows[0].nickname, '');
      assert.deepStrictEqual([ rows[0].friendlookme, rows[0].melookfriend, rows[0].ismystarfriend, rows[0].isblack, rows[0].status ].map(Number), [ 1, 1, 0, 0, 1 ]);
    });

    it('deletes user_info rows with their user (ON DELETE CASCADE)', async () => {
      const id = await insertUser(db, 'cascade_1');
      await db.getQueryInterface().bulkInsert('user_info', [{ user_id: id, create_time: new Date(), update_time: new Date() }]);
      const [ info ] = await db.query<any>('SELECT gender FROM user_info WHERE user_id = ?', { replacements: [ id ], type: QueryTypes.SELECT });
      assert.strictEqual(info.gender, 'unknown');
      await rejectsAsDuplicate(db.getQueryInterface().bulkInsert('user_info', [{ user_id: id }]), 'second user_info row');
      await db.query('DELETE FROM `user` WHERE id = ?', { replacements: [ id ] });
      const left = await db.query('SELECT id FROM user_info WHERE user_id = ?', { replacements: [ id ], type: QueryTypes.SELECT });
      assert.strictEqual(left.length, 0);
    });

    it('applies nothing when run a second time', async function() {
      this.timeout(timeout);
      assert.deepStrictEqual(await runPendingMigrations(db), []);
      assert.deepStrictEqual(await metaNames(db), migrationFiles());
      assert.deepStrictEqual(await tableNames(db), [ 'SequelizeMeta', ...TABLES ].sort());
    });

    it('revertAllMigrations drops every table and empties SequelizeMeta; they apply again afterwards', async function() {
      this.timeout(timeout);
      await revertAllMigrations(db);
      assert.deepStrictEqual(await tableNames(db), [ 'SequelizeMeta' ]);
      assert.deepStrictEqual(await metaNames(db), []);
      assert.deepStrictEqual(await runPendingMigrations(db), migrationFiles());
      assert.deepStrictEqual(await tableNames(db), [ 'SequelizeMeta', ...TABLES ].sort());
      assert.strictEqual((await uniqueIndexesOn(db, 'goodfriend', [ 'user_id', 'friend_id' ])).length, 1);
    });
  });

  describe('on a database the original course created (tables present, no SequelizeMeta)', () => {
    let db: Sequelize;
    let applied: string[];
    const legacyHash = createHash('sha256').update('123456').digest('hex');

    before(async function() {
      this.timeout(timeout);
      db = await freshDatabase();
      const qi = db.getQueryInterface();
      const { INTEGER, STRING, CHAR, DATE, TINYINT } = DataTypes;
      // The original's user table: every column, a plain unique username, none of the other indexes.
      await qi.createTable('user', {
        id: { type: INTEGER.UNSIGNED, primaryKey: true, autoIncrement: true },
        uuid: { type: CHAR(36), allowNull: false },
        username: { type: STRING(50), allowNull: false, unique: true },
        password: { type: STRING(255), allowNull: false },
        nickname: { type: STRING(50), defaultValue: '' },
        avatar: { type: STRING(1000), defaultValue: AVATAR },
        mobile: { type: STRING(20) },
        email: { type: STRING(100) },
        status: { type: TINYINT, allowNull: false, defaultValue: 1 },
        last_login: { type: DATE },
        last_login_ip: { type: STRING(50) },
        register_time: { type: DATE },
        register_ip: { type: STRING(50) },
        is_deleted: { type: TINYINT, allowNull: false, defaultValue: 0 },
        wechat_openid: { type: STRING(128) },
        qq_openid: { type: STRING(128) },
        weibo_uid: { type: STRING(128) },
        role: { type: STRING(20), allowNull: false, defaultValue: 'user' },
        is_email_verified: { type: TINYINT, allowNull: false, defaultValue: 0 },
        is_mobile_verified: { type: TINYINT, allowNull: false, defaultValue: 0 },
        order: { type: INTEGER, defaultValue: 50 },
        create_time: { type: DATE },
        update_time: { type: DATE },
      });
      // The original's goodfriend table: no unique (user_id, friend_id), no foreign keys.
      await qi.createTable('goodfriend', {
        id: { type: INTEGER.UNSIGNED, primaryKey: true, autoIncrement: true },
        user_id: { type: INTEGER.UNSIGNED, allowNull: false },
        friend_id: { type: INTEGER.UNSIGNED, allowNull: false },
        nickname: { type: STRING(50), allowNull: false, defaultValue: '' },
        friendlookme: { type: TINYINT, allowNull: false, defaultValue: 1 },
        melookfriend: { type: TINYINT, allowNull: false, defaultValue: 1 },
        ismystarfriend: { type: TINYINT, allowNull: false, defaultValue: 0 },
        isblack: { type: TINYINT, allowNull: false, defaultValue: 0 },
        status: { type: TINYINT, allowNull: false, defaultValue: 1 },
        order: { type: INTEGER, defaultValue: 50 },
        create_time: { type: DATE },
        update_time: { type: DATE },
      });
      const a = await insertUser(db, 'old_user_a', { password: legacyHash });
      const b = await insertUser(db, 'old_user_b', { password: legacyHash });
      await qi.bulkInsert('goodfriend', [
        { user_id: a, friend_id: b, nickname: 'bee', create_time: new Date(), update_time: new Date() },
        { user_id: b, friend_id: a, nickname: 'ay', create_time: new Date(), update_time: new Date() },
        // The original's race could store one friendship twice: the later copy must go.
        { user_id: a, friend_id: b, nickname: 'bee-duplicate', create_time: new Date(), update_time: new Date() },
      ]);
      assert.deepStrictEqual(await tableNames(db), [ 'goodfriend', 'user' ]);
      assert.strictEqual((await uniqueIndexesOn(db, 'goodfriend', [ 'user_id', 'friend_id' ])).length, 0, 'starts without the pair index');
      applied = await runPendingMigrations(db);
    });

    after(async function() {
      this.timeout(timeout);
      await dropDatabase(db);
    });

    it('applies all the migrations and creates the missing tables', async () => {
      assert.deepStrictEqual(applied, migrationFiles());
      assert.deepStrictEqual(await metaNames(db), migrationFiles());
      assert.deepStrictEqual(await tableNames(db), [ 'SequelizeMeta', ...TABLES ].sort());
      for (const table of [ 'user_info', 'goodfriendapply', 'kv_store' ]) {
        const described = await db.getQueryInterface().describeTable(table);
        assert.deepStrictEqual(Object.keys(described).sort(), Object.keys(SPEC[table]).sort(), table);
      }
    });

    it('keeps the existing rows, removing only duplicate friendships', async () => {
      const users = await db.query<any>('SELECT username, password FROM `user` ORDER BY username', { type: QueryTypes.SELECT });
      assert.deepStrictEqual(users, [{ username: 'old_user_a', password: legacyHash }, { username: 'old_user_b', password: legacyHash }]);
      const friends = await db.query<any>('SELECT nickname FROM goodfriend ORDER BY nickname', { type: QueryTypes.SELECT });
      assert.deepStrictEqual(friends.map(f => f.nickname), [ 'ay', 'bee' ], 'the oldest of duplicate friendships is kept, the copy removed');
    });

    it('adds the missing indexes without duplicating the ones already there', async () => {
      assert.strictEqual((await uniqueIndexesOn(db, 'goodfriend', [ 'user_id', 'friend_id' ])).length, 1, 'unique goodfriend(user_id, friend_id) added');
      assert.strictEqual((await uniqueIndexesOn(db, 'user', [ 'username' ])).length, 1, 'one unique index on username, not two');
      for (const column of [ 'uuid', 'mobile', 'email', 'wechat_openid', 'qq_openid', 'weibo_uid' ]) {
        assert.strictEqual((await uniqueIndexesOn(db, 'user', [ column ])).length, 1, `unique index on user.${column} added`);
      }
    });

    it('the added pair index refuses a duplicate friendship row', async () => {
      const [ row ] = await db.query<any>('SELECT user_id, friend_id FROM goodfriend WHERE nickname = ?', { replacements: [ 'bee' ], type: QueryTypes.SELECT });
      await rejectsAsDuplicate(db.getQueryInterface().bulkInsert('goodfriend', [{ user_id: row.user_id, friend_id: row.friend_id }]), 'duplicate friendship');
    });

    it('applies nothing when run a second time', async function() {
      this.timeout(timeout);
      assert.deepStrictEqual(await runPendingMigrations(db), []);
    });
  });

  describe('the inbox counter (20261202000300) on a database that already has inbox entries', () => {
    let db: Sequelize;
    const COUNTER = '20261202000300-create-chat-inbox-seq.js';

    before(async function() {
      this.timeout(timeout);
      db = await freshDatabase();
      await runPendingMigrations(db);
      // As before that migration: no counter table, entries already numbered.
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      await require(path.join(MIGRATIONS_DIR, COUNTER)).down(db.getQueryInterface(), Sequelize);
      await db.query('DELETE FROM SequelizeMeta WHERE name = ?', { replacements: [ COUNTER ] });
      const entry = (user_id: number, seq: number) => ({ user_id, seq, payload: '{}', create_time: new Date() });
      await db.getQueryInterface().bulkInsert('chat_inbox', [ entry(7, 1), entry(7, 2), entry(7, 3), entry(8, 1) ]);
    });

    after(async function() {
      this.timeout(timeout);
      await dropDatabase(db);
    });

    it('backfills each recipient\'s last sequence number, so numbering continues where it was', async () => {
      assert.deepStrictEqual(await runPendingMigrations(db), [ COUNTER ]);
      const rows = await db.query<any>('SELECT user_id, last_seq FROM chat_inbox_seq ORDER BY user_id', { type: QueryTypes.SELECT });
      assert.deepStrictEqual(rows.map(r => [ Number(r.user_id), Number(r.last_seq) ]), [[ 7, 3 ], [ 8, 1 ]]);
    });
  });

  describe('on a database with the original\'s group tables (no delivery columns, a member stored twice)', () => {
    let db: Sequelize;

    before(async function() {
      this.timeout(timeout);
      db = await freshDatabase();
      const qi = db.getQueryInterface();
      const { INTEGER, STRING, CHAR, DATE, TINYINT, TEXT } = DataTypes;
      await qi.createTable('group', {
        id: { type: INTEGER.UNSIGNED, primaryKey: true, autoIncrement: true },
        uuid: { type: CHAR(36), allowNull: false },
        user_id: { type: INTEGER.UNSIGNED, allowNull: false },
        name: { type: STRING(50), allowNull: false, defaultValue: '' },
        avatar: { type: TEXT },
        remark: { type: STRING(500), allowNull: false, defaultValue: '' },
        invite_confirm: { type: TINYINT, allowNull: false, defaultValue: 0 },
        status: { type: TINYINT, allowNull: false, defaultValue: 1 },
        order: { type: INTEGER, defaultValue: 50 },
        create_time: { type: DATE },
        update_time: { type: DATE },
      });
      await qi.createTable('group_user', {
        id: { type: INTEGER.UNSIGNED, primaryKey: true, autoIncrement: true },
        group_id: { type: INTEGER.UNSIGNED, allowNull: false },
        user_id: { type: INTEGER.UNSIGNED, allowNull: false },
        nickname: { type: STRING(50), allowNull: false, defaultValue: '' },
        avatar: { type: STRING(1000), allowNull: false, defaultValue: '' },
        status: { type: TINYINT, allowNull: false, defaultValue: 1 },
        order: { type: INTEGER, defaultValue: 50 },
        create_time: { type: DATE },
        update_time: { type: DATE },
      });
      await qi.bulkInsert('group', [{ uuid: '00000000-0000-4000-8000-00000000bbbb', user_id: 1, name: '老群', avatar: 'a.png' }]);
      await qi.bulkInsert('group_user', [
        { group_id: 1, user_id: 1, nickname: 'first', status: 1 },
        { group_id: 1, user_id: 2, nickname: 'waiting', status: 2 },
        // The original's invite race stored a member twice: the later copy goes.
        { group_id: 1, user_id: 1, nickname: 'copy', status: 1 },
      ]);
      await runPendingMigrations(db);
    });

    after(async function() {
      this.timeout(timeout);
      await dropDatabase(db);
    });

    it('adds the delivery columns, keeps the rows, removes duplicate members and adds the unique index', async () => {
      for (const table of [ 'group', 'group_user' ]) {
        const described = await db.getQueryInterface().describeTable(table) as Record<string, any>;
        assert.deepStrictEqual(Object.keys(described).sort(), Object.keys(SPEC[table]).sort(), table);
      }
      const [ group ] = await db.query<any>('SELECT name, last_seq, member_version, closed_seq FROM `group`', { type: QueryTypes.SELECT });
      assert.deepStrictEqual([ group.name, Number(group.last_seq), Number(group.member_version), group.closed_seq ], [ '老群', 0, 0, null ]);
      const members = await db.query<any>('SELECT user_id, nickname, status, joined_seq, left_seq, delivered_seq FROM group_user ORDER BY id', { type: QueryTypes.SELECT });
      // Active members of the original receive from now on (joined_seq 0); an applicant has no position.
      assert.deepStrictEqual(members.map(m => [ Number(m.user_id), m.nickname, Number(m.status), m.joined_seq === null ? null : Number(m.joined_seq), m.left_seq, Number(m.delivered_seq) ]), [
        [ 1, 'first', 1, 0, null, 0 ],
        [ 2, 'waiting', 2, null, null, 0 ],
      ]);
      assert.strictEqual((await uniqueIndexesOn(db, 'group_user', [ 'group_id', 'user_id' ])).length, 1);
      assert.deepStrictEqual(await runPendingMigrations(db), []);
    });
  });

  describe('on a database of the original\'s final version (visitor columns present, one device id twice)', () => {
    let db: Sequelize;

    before(async function() {
      this.timeout(timeout);
      db = await freshDatabase();
      const qi = db.getQueryInterface();
      const { INTEGER, STRING, CHAR, DATE, TINYINT, TEXT } = DataTypes;
      await qi.createTable('user', {
        id: { type: INTEGER.UNSIGNED, primaryKey: true, autoIncrement: true },
        uuid: { type: CHAR(36), allowNull: false },
        username: { type: STRING(50), allowNull: false, unique: true },
        password: { type: STRING(255), allowNull: false },
        nickname: { type: STRING(50), defaultValue: '' },
        avatar: { type: STRING(1000), defaultValue: AVATAR },
        mobile: { type: STRING(20) },
        email: { type: STRING(100) },
        status: { type: TINYINT, allowNull: false, defaultValue: 1 },
        last_login: { type: DATE },
        last_login_ip: { type: STRING(50) },
        register_time: { type: DATE },
        register_ip: { type: STRING(50) },
        is_deleted: { type: TINYINT, allowNull: false, defaultValue: 0 },
        wechat_openid: { type: STRING(128) },
        qq_openid: { type: STRING(128) },
        weibo_uid: { type: STRING(128) },
        role: { type: STRING(20), allowNull: false, defaultValue: 'user' },
        is_email_verified: { type: TINYINT, allowNull: false, defaultValue: 0 },
        is_mobile_verified: { type: TINYINT, allowNull: false, defaultValue: 0 },
        devicefingeruuid: { type: STRING(200) },
        uniplatform: { type: STRING(50), defaultValue: '' },
        userset: { type: TEXT },
        invite_confirm: { type: TINYINT, allowNull: false, defaultValue: 1 },
        order: { type: INTEGER, defaultValue: 50 },
        create_time: { type: DATE },
        update_time: { type: DATE },
      });
      const device = '8d1a344c-bf16-5425-adbc-d12f49cfa332';
      // The original's visitorregChat kept the device on the account it converted, and its race could make two.
      await qi.bulkInsert('user', [
        { uuid: '00000000-0000-4000-8000-000000000001', username: 'VIS8d1a344c', password: 'x', role: 'visitor', devicefingeruuid: device, uniplatform: 'app', userset: '{"chatset":{"visitor":0,"user":0}}', invite_confirm: 1 },
        { uuid: '00000000-0000-4000-8000-000000000002', username: 'my01', password: 'x', role: 'user', devicefingeruuid: device, uniplatform: '', userset: null, invite_confirm: 0 },
      ]);
      await runPendingMigrations(db);
    });

    after(async function() {
      this.timeout(timeout);
      await dropDatabase(db);
    });

    it('keeps the columns and values it finds, adds the missing ones, one account per device id', async () => {
      const described = await db.getQueryInterface().describeTable('user') as Record<string, any>;
      for (const column of [ 'devicemodel', 'deviceos', 'devicebrand' ]) assert.ok(described[column], `${column} added`);
      const rows = await db.query<any>('SELECT username, role, devicefingeruuid, uniplatform, userset, invite_confirm FROM `user` ORDER BY id', { type: QueryTypes.SELECT });
      assert.deepStrictEqual(rows.map(r => [ r.username, r.devicefingeruuid, r.uniplatform, r.userset, Number(r.invite_confirm) ]), [
        [ 'VIS8d1a344c', null, 'app', '{"chatset":{"visitor":0,"user":0}}', 1 ],
        [ 'my01', '8d1a344c-bf16-5425-adbc-d12f49cfa332', '', null, 0 ],
      ]);
      assert.strictEqual((await uniqueIndexesOn(db, 'user', [ 'devicefingeruuid' ])).length, 1);
    });
  });
});
