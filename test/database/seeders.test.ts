import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { app } from 'egg-mock/bootstrap';
import { QueryTypes, Sequelize } from 'sequelize';
import { verifyPassword } from '../../app/lib/password';
import { isMysql, resetDatabase } from '../helpers/db';
import { runSeedScript as seed, SeedRun as Run } from '../helpers/seedScript';
import { assertFail, assertOk, login, uniqueName } from '../helpers/api';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { adminCredentialProblem } = require('../../database/lib/accounts');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { removeDemo } = require('../../database/seeders/20250701000200-demo-data');

const SCRYPT_FORMAT = /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{86}==$/;

function ok(run: Run): string {
  assert.strictEqual(run.code, 0, `exit ${run.code}\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

/** Expected rows for `--users n`: friends i↔i+1 and i↔i+2 (two rows each), applications i→i+3 when i % 3 ≠ 0. */
function expected(n: number) {
  let pairs = 0;
  let applications = 0;
  for (let i = 1; i <= n; i++) {
    pairs += [ i + 1, i + 2 ].filter(j => j <= n).length;
    if (i % 3 !== 0 && i + 3 <= n) applications++;
  }
  return { users: n, goodfriend: pairs * 2, applications };
}

async function counts(db: Sequelize) {
  const one = async (sql: string) => Number(((await db.query(sql, { type: QueryTypes.SELECT })) as any[])[0].n);
  return {
    users: await one("SELECT COUNT(*) AS n FROM `user` WHERE username LIKE 'demo%'"),
    userInfo: await one("SELECT COUNT(*) AS n FROM user_info i JOIN `user` u ON u.id = i.user_id WHERE u.username LIKE 'demo%'"),
    goodfriend: await one('SELECT COUNT(*) AS n FROM goodfriend'),
    distinctPairs: await one('SELECT COUNT(*) AS n FROM (SELECT DISTINCT user_id, friend_id FROM goodfriend) t'),
    oneWay: await one('SELECT COUNT(*) AS n FROM goodfriend g WHERE NOT EXISTS ' +
      '(SELECT 1 FROM goodfriend r WHERE r.user_id = g.friend_id AND r.friend_id = g.user_id)'),
    applications: await one("SELECT COUNT(*) AS n FROM goodfriendapply WHERE status = 'pending'"),
  };
}

/** seed:demo on one database: rows as designed, both directions, Chinese and Latin nicknames, re-runs add nothing. */
async function checkDemo(env: Record<string, string>, db: Sequelize) {
  ok(await seed([ 'demo', '--users', '30', '--batch', '7' ], env));
  const first = await counts(db);
  const want = expected(30);
  assert.deepStrictEqual(first, {
    users: want.users, userInfo: want.users, goodfriend: want.goodfriend, distinctPairs: want.goodfriend,
    oneWay: 0, applications: want.applications,
  });
  const nicknames = (await db.query("SELECT nickname FROM `user` WHERE username LIKE 'demo%'", { type: QueryTypes.SELECT }) as any[])
    .map(row => row.nickname as string);
  assert.ok(nicknames.some(name => /^[\u4e00-\u9fff]+$/.test(name)), 'Chinese nicknames');
  assert.ok(nicknames.some(name => /^[A-Za-z]+ \d+$/.test(name)), 'Latin nicknames');

  // Same N again: nothing added. A larger N: only the new users and their rows, still no duplicate.
  const again = ok(await seed([ 'demo', '--users', '30' ], env));
  assert.match(again, /added 0 users, 0 goodfriend rows, 0 pending applications/);
  assert.deepStrictEqual(await counts(db), first);
  ok(await seed([ 'demo', '--users=40' ], env));
  const grown = expected(40);
  assert.deepStrictEqual(await counts(db), {
    users: grown.users, userInfo: grown.users, goodfriend: grown.goodfriend, distinctPairs: grown.goodfriend,
    oneWay: 0, applications: grown.applications,
  });
}

describe('test/database/seeders.test.ts', () => {
  describe('on a fresh SQLite file (embedded profile)', () => {
    let dir: string;
    let env: Record<string, string>;
    let db: Sequelize;

    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eggchat-seed-'));
      env = { SQLITE_FILE: path.join(dir, 'seed.sqlite') };
      db = new Sequelize({ dialect: 'sqlite', storage: env.SQLITE_FILE, logging: false });
    });
    after(async () => {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('seed:admin applies the migrations, then creates the admin with a user_info row and an scrypt hash', async () => {
      const out = ok(await seed([ 'admin' ], { ...env, ADMIN_USERNAME: 'site_admin', ADMIN_PASSWORD: 'first1234' }));
      assert.match(out, /admin "site_admin" created/);
      const users = await db.query('SELECT id, username, role, status, is_deleted, password, uuid FROM `user`', { type: QueryTypes.SELECT }) as any[];
      assert.strictEqual(users.length, 1);
      const [ admin ] = users;
      assert.strictEqual(admin.username, 'site_admin');
      assert.strictEqual(admin.role, 'admin');
      assert.strictEqual(Number(admin.status), 1);
      assert.strictEqual(Number(admin.is_deleted), 0);
      assert.match(admin.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.match(admin.password, SCRYPT_FORMAT);
      assert.deepStrictEqual(await verifyPassword('first1234', admin.password), { ok: true, needsRehash: false });
      const info = await db.query('SELECT user_id, gender FROM user_info', { type: QueryTypes.SELECT }) as any[];
      assert.deepStrictEqual(info.map(row => [ Number(row.user_id), row.gender ]), [[ Number(admin.id), 'unknown' ]]);
    });

    it('seed:admin is idempotent: a re-run updates the password, never adds a row', async () => {
      const out = ok(await seed([ 'admin' ], { ...env, ADMIN_USERNAME: 'Site_Admin', ADMIN_PASSWORD: 'second1234' }));
      assert.match(out, /admin "site_admin" updated/);
      const users = await db.query('SELECT password FROM `user`', { type: QueryTypes.SELECT }) as any[];
      assert.strictEqual(users.length, 1);
      assert.strictEqual((await verifyPassword('second1234', users[0].password)).ok, true);
      assert.strictEqual((await verifyPassword('first1234', users[0].password)).ok, false);
      const [ info ] = await db.query('SELECT COUNT(*) AS n FROM user_info', { type: QueryTypes.SELECT }) as any[];
      assert.strictEqual(Number(info.n), 1);
    });

    it('seed:admin refuses weak passwords and bad usernames (exit 2) and writes nothing', async () => {
      const cases: Array<[string | undefined, string | undefined, RegExp]> = [
        [ 'new_admin', 'abc123', /at least 8 characters/ ],
        [ 'new_admin', 'abcdefghij', /letters and digits/ ],
        [ 'new_admin', '1234567890', /letters and digits/ ],
        [ 'admin1234', 'ADMIN1234', /must not equal the username/ ],
        [ 'new_admin', 'abc123456789012345678', /at most 20/ ],
        [ 'ab', 'abcd12345', /4-20 letters, digits or underscores/ ],
        [ 'bad-name', 'abcd12345', /4-20 letters, digits or underscores/ ],
        [ undefined, 'abcd12345', /ADMIN_USERNAME is not set/ ],
        [ 'new_admin', undefined, /ADMIN_PASSWORD is not set/ ],
      ];
      for (const [ username, password, message ] of cases) {
        assert.match(adminCredentialProblem(username, password), message, `${username} / ${password}`);
      }
      const run = await seed([ 'admin' ], { ...env, ADMIN_USERNAME: 'new_admin', ADMIN_PASSWORD: 'password' });
      assert.strictEqual(run.code, 2, run.stderr);
      assert.match(run.stderr, /^seed: refused: ADMIN_PASSWORD is too weak: it must contain both letters and digits/);
      const [ row ] = await db.query('SELECT COUNT(*) AS n FROM `user`', { type: QueryTypes.SELECT }) as any[];
      assert.strictEqual(Number(row.n), 1);
      assert.strictEqual(adminCredentialProblem('site_admin', 'good1234'), null);
    });

    it('seed:demo loads users, friendships in both directions and pending applications; re-runs add nothing', async () => {
      await checkDemo(env, db);
    });

    it('rejects a bad --users value', async () => {
      const run = await seed([ 'demo', '--users', 'many' ], env);
      assert.strictEqual(run.code, 2);
      assert.match(run.stderr, /--users needs a positive integer/);
    });
  });

  describe('on the database of the running test app', () => {
    before(() => resetDatabase(app));

    /** The app's own database, as the seed script's environment. */
    function appDatabaseEnv(): Record<string, string> {
      const options = app.config.sequelize as any;
      if (!isMysql(app)) return { SQLITE_FILE: options.storage };
      const auth = `${encodeURIComponent(options.username)}${options.password ? ':' + encodeURIComponent(options.password) : ''}`;
      return { DATABASE_URL: `mysql://${auth}@${options.host}:${options.port}/${options.database}` };
    }

    it('a seeded admin logs in through /api/loginChat, and a re-seed with a new password ends the old session', async () => {
      const username = uniqueName('adm');
      ok(await seed([ 'admin' ], { ...appDatabaseEnv(), ADMIN_USERNAME: username, ADMIN_PASSWORD: 'admin1234' }));
      const data = assertOk(await login(app, username, 'admin1234'));
      assert.strictEqual(data.username, username);
      assert.strictEqual(data.role, 'admin');
      assert.ok(!('password' in data));
      const searched = await app.httpRequest().post('/api/chat/searchUser').set('token', data.token)
        .type('form')
        .send({ keyword: 'nobody_here' });
      assertOk(searched);

      ok(await seed([ 'admin' ], { ...appDatabaseEnv(), ADMIN_USERNAME: username, ADMIN_PASSWORD: 'admin5678' }));
      const stale = await app.httpRequest().post('/api/chat/searchUser').set('token', data.token)
        .type('form')
        .send({ keyword: 'x' });
      assertFail(stale, 401);
      assertFail(await login(app, username, 'admin1234'), 400, '账户或密码错误');
      assertOk(await login(app, username, 'admin5678'));
    });

    it('demo users can log in and see their friends and pending applications through the API', async () => {
      const env = appDatabaseEnv();
      try {
        ok(await seed([ 'demo', '--users', '6' ], env));
        const me = assertOk(await login(app, 'demo_000004', 'demo1234'));
        const applications = assertOk(await app.httpRequest().get('/api/chat/listapplyfriend/1').set('token', me.token));
        assert.strictEqual(applications.pendingCount, 1);
        assert.strictEqual(applications.alldata[0].user.username, 'demo_000001');
        assert.match(applications.alldata[0].create_time, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
        const contacts = assertOk(await app.httpRequest().get('/api/chat/goodfriendlist/1').set('token', me.token));
        assert.strictEqual(contacts.count, 4);
        const friends = contacts.rows.newList.flatMap((group: any) => group.list.map((item: any) => item.username)).sort();
        assert.deepStrictEqual(friends, [ 'demo_000002', 'demo_000003', 'demo_000005', 'demo_000006' ]);
      } finally {
        assert.strictEqual(await removeDemo(app.model.getQueryInterface()), 6);
      }
    });

    it('seed:demo works on MySQL/MariaDB too (a scratch database next to the test one)', async function() {
      if (!isMysql(app)) return this.skip();
      const options = app.config.sequelize as any;
      const scratch = `${options.database}_seed${process.pid}`;
      await app.model.query(`DROP DATABASE IF EXISTS \`${scratch}\``);
      await app.model.query(`CREATE DATABASE \`${scratch}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      const env = { DATABASE_URL: appDatabaseEnv().DATABASE_URL.replace(/\/[^/]+$/, `/${scratch}`) };
      const db = new Sequelize(scratch, options.username, options.password, { dialect: 'mysql', host: options.host, port: options.port, logging: false });
      try {
        const refused = await seed([ 'demo', '--users', '3' ], env);
        assert.strictEqual(refused.code, 1);
        assert.match(refused.stderr, /run `npm run migrate` first/);
        ok(await seed([ 'admin' ], { ...env, DB_AUTO_MIGRATE: '1', ADMIN_USERNAME: 'my_admin', ADMIN_PASSWORD: 'admin1234' }));
        await checkDemo(env, db);
      } finally {
        await db.close();
        await app.model.query(`DROP DATABASE IF EXISTS \`${scratch}\``);
      }
    });
  });
});
