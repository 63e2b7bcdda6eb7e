import * as assert from 'node:assert';
import { randomUUID } from 'node:crypto';
import { app } from 'egg-mock/bootstrap';
import { resetDatabase, isMysql } from '../../../helpers/db';
import { assertFail, assertOk, post, registerUser, TestUser } from '../../../helpers/api';
import { MSG } from '../../../../app/lib/messages';

const HIT_KEYS = [ 'avatar', 'id', 'nickname', 'role', 'username', 'uuid' ];

/** Rows inserted straight into `user` (no token needed): cheap, and free of the username rules. */
async function insertUsers(usernames: string[], extra: Record<string, unknown> = {}) {
  const rows = usernames.map(username => ({ uuid: randomUUID(), username, password: 'not-a-hash', ...extra }));
  for (let i = 0; i < rows.length; i += 500) {
    await app.model.User.bulkCreate(rows.slice(i, i + 500) as any);
  }
}

function search(token: string | undefined, body: unknown) {
  return post(app, '/api/chat/searchUser', token).send(body as object);
}

async function names(token: string, keyword: string): Promise<string[]> {
  const data = assertOk(await search(token, { keyword }));
  assert.ok(Array.isArray(data), JSON.stringify(data));
  return data.map((hit: { username: string }) => hit.username);
}

describe('test/app/controller/chat/search.test.ts', () => {
  let me: TestUser;

  before(async () => {
    await resetDatabase(app);
    me = await registerUser(app, 'finder_me');
  });

  describe('POST /api/chat/searchUser', () => {
    it('answers the exact match first, then the prefix matches ordered by username', async () => {
      const exact = await registerUser(app, 'srch');
      // Inserted out of order so that neither id order nor insertion order equals username order.
      await insertUsers([ 'srchzz', 'srchb', 'srch9', 'srchab', 'srcA', 'xsrch' ]);
      const data = assertOk(await search(me.token, { keyword: 'srch' }));
      assert.deepStrictEqual(data.map((hit: any) => hit.username), [ 'srch', 'srch9', 'srchab', 'srchb', 'srchzz' ]);
      assert.strictEqual(data[0].id, exact.id);
      assert.strictEqual(data[0].uuid, exact.uuid);
    });

    it('the exact match comes first whatever the case of the keyword or of the other names', async () => {
      const exact = await registerUser(app, 'MixCase');
      await insertUsers([ 'mixcase1', 'MIXCASEA', 'mixcase_', 'MixCase0z', 'mixcas' ]);
      for (const keyword of [ 'mixcase', 'MIXCASE', 'MixCase' ]) {
        const data = assertOk(await search(me.token, { keyword }));
        assert.strictEqual(data[0].id, exact.id, `${keyword}: ${JSON.stringify(data.map((hit: any) => hit.username))}`);
        assert.strictEqual(data.length, 5);
        assert.ok(!data.some((hit: any) => hit.username === 'mixcas'));
      }
    });

    it('answers prefix matches alone when nobody has the exact name, and [] when nothing matches', async () => {
      await insertUsers([ 'pfxone', 'pfxtwo' ]);
      assert.deepStrictEqual(await names(me.token, 'pfx'), [ 'pfxone', 'pfxtwo' ]);
      assert.deepStrictEqual(await names(me.token, 'nomatch_at_all'), []);
    });

    it('answers items with exactly id, username, avatar, role, uuid, nickname (never the password)', async () => {
      const other = await registerUser(app, 'keysuser');
      await app.model.User.update({ nickname: '键' }, { where: { id: other.id } });
      const [ hit ] = assertOk(await search(me.token, { keyword: 'keysuser' }));
      assert.deepStrictEqual(Object.keys(hit).sort(), HIT_KEYS);
      assert.deepStrictEqual(hit, {
        id: other.id,
        username: 'keysuser',
        avatar: 'https://thinkphp-all.oss-cn-hangzhou.aliyuncs.com/public/67b3001b2aedd.png',
        role: 'user',
        uuid: other.uuid,
        nickname: '键',
      });
      assert.strictEqual(typeof hit.id, 'number');
    });

    it('never finds the caller, neither as exact match nor by prefix', async () => {
      const caller = await registerUser(app, 'selfish');
      await insertUsers([ 'selfish2' ]);
      assert.deepStrictEqual(await names(caller.token, 'selfish'), [ 'selfish2' ]);
      assert.deepStrictEqual(await names(caller.token, 'self'), [ 'selfish2' ]);
      // Someone else still finds the caller.
      assert.deepStrictEqual(await names(me.token, 'selfish'), [ 'selfish', 'selfish2' ]);
    });

    it('excludes disabled (status = 0) and deleted users', async () => {
      await insertUsers([ 'hidden_on' ]);
      await insertUsers([ 'hidden', 'hidden_off' ], { status: 0 });
      await insertUsers([ 'hidden_del' ], { is_deleted: 1 });
      assert.deepStrictEqual(await names(me.token, 'hidden'), [ 'hidden_on' ]);
      assert.deepStrictEqual(await names(me.token, 'hidden_off'), []);
    });

    it('answers at most 50 users: the exact match, then the first 49 by username', async () => {
      const exact = await registerUser(app, 'many');
      await registerUser(app, 'many_reg_a');
      await registerUser(app, 'many_reg_b');
      const bulk = Array.from({ length: 55 }, (_, i) => `many${String(i).padStart(2, '0')}`).reverse();
      await insertUsers(bulk);
      const data = assertOk(await search(me.token, { keyword: 'many' }));
      assert.strictEqual(data.length, 50);
      assert.strictEqual(data[0].id, exact.id);
      const expected = [ ...bulk, 'many_reg_a', 'many_reg_b' ].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
      // Digits and '_' sort differently under MySQL's collation and SQLite's NOCASE: only assert the
      // membership of the 49 and that they come in the database's own username order.
      const rest = data.slice(1).map((hit: any) => hit.username);
      assert.strictEqual(new Set(rest).size, 49);
      for (const name of rest) assert.ok(expected.includes(name), name);
      assert.ok(!rest.includes('many'));
      const ordered = await app.model.User.findAll({
        where: { username: rest }, order: [[ 'username', 'ASC' ]], attributes: [ 'username' ], raw: true,
      });
      assert.deepStrictEqual(rest, ordered.map(row => row.username));
      // Without an exact match it is the first 50 prefix matches.
      const prefixed = await names(me.token, 'many0');
      assert.deepStrictEqual(prefixed, bulk.filter(name => name.startsWith('many0')).sort());
      assert.strictEqual((await names(me.token, 'man')).length, 50);
    });

    describe('LIKE metacharacters in the keyword match themselves only', () => {
      before(async () => {
        await insertUsers([ 'ab_cd', 'abxcd', 'ab%cd', 'abycd', 'ab\\cd', 'ab!cd', 'abzcd', '%pct', 'a\\b', 'ab!!' ]);
      });

      const cases: Array<[string, string[]]> = [
        [ 'ab_', [ 'ab_cd' ]],
        [ 'ab_c', [ 'ab_cd' ]],
        [ 'ab%', [ 'ab%cd' ]],
        [ 'ab%cd', [ 'ab%cd' ]],
        [ 'ab\\', [ 'ab\\cd' ]],
        [ 'ab\\c', [ 'ab\\cd' ]],
        [ 'ab!', [ 'ab!!', 'ab!cd' ]],
        [ 'ab!c', [ 'ab!cd' ]],
        [ 'ab!!', [ 'ab!!' ]],
        [ '%', [ '%pct' ]],
        [ '_', []],
        [ '\\', []],
        [ '!', []],
        [ 'a\\', [ 'a\\b' ]],
        [ '%%', []],
        [ '_b', []],
      ];
      cases.forEach(([ keyword, expected ]) => {
        it(`keyword ${JSON.stringify(keyword)} finds ${JSON.stringify(expected)}`, async () => {
          const found = await names(me.token, keyword);
          assert.deepStrictEqual([ ...found ].sort(), [ ...expected ].sort());
        });
      });

      it('a plain prefix still finds all of them', async () => {
        const found = await names(me.token, 'ab');
        for (const name of [ 'ab_cd', 'abxcd', 'ab%cd', 'abycd', 'ab\\cd', 'ab!cd', 'abzcd', 'ab!!' ]) assert.ok(found.includes(name), name);
      });
    });

    it('answers 401 without a token', async () => {
      assertFail(await search(undefined, { keyword: 'srch' }), 401, MSG.authMissing);
    });

    const invalid: Array<[string, unknown, string]> = [
      [ 'a missing keyword', {}, '搜索关键词不能为空' ],
      [ 'an empty keyword', { keyword: '' }, '搜索关键词不能为空' ],
      [ 'a 51-character keyword', { keyword: 'k'.repeat(51) }, '搜索关键词 的长度 必须 在 1 和 50 之间' ],
      [ 'a keyword array', { keyword: [ 'srch' ] }, '搜索关键词 必须是字符串' ],
      [ 'a keyword object', { keyword: { like: '%' } }, '搜索关键词 必须是字符串' ],
    ];
    invalid.forEach(([ name, body, message ]) => {
      it(`answers 422 for ${name}`, async () => {
        assertFail(await search(me.token, body), 422, message);
      });
    });

    it('accepts a 50-character keyword and a form body', async () => {
      assertOk(await search(me.token, { keyword: 'k'.repeat(50) }));
      const res = await app.httpRequest().post('/api/chat/searchUser').set('token', me.token)
        .type('form')
        .send({ keyword: 'srch' });
      assert.strictEqual(assertOk(res)[0].username, 'srch');
    });
  });

  describe('query plans: the search reads the username index', () => {
    const captured: string[] = [];

    before(async function() {
      this.timeout(30000);
      await insertUsers(Array.from({ length: 2000 }, (_, i) => `user${i + 1}`));
      // Observe (not replace) the SQL the real service sends.
      const sequelize = app.model as any;
      const previousLogging = sequelize.options.logging;
      sequelize.options.logging = (message: string) => {
        const sql = String(message).replace(/^Execut(?:ing|ed) \([^)]*\):\s*/, '');
        if (/FROM `user` WHERE username/.test(sql)) captured.push(sql);
      };
      try {
        const hits = await names(me.token, 'user1');
        assert.strictEqual(hits[0], 'user1');
        assert.strictEqual(hits.length, 50);
      } finally {
        sequelize.options.logging = previousLogging;
      }
    });

    function capturedQuery(): string {
      const sql = captured.find(text => / LIKE /.test(text));
      assert.ok(sql, `the search query was captured: ${JSON.stringify(captured)}`);
      return sql!.replace(/;\s*$/, '');
    }

    async function assertUsesUsernameIndex(sql: string) {
      if (isMysql(app)) {
        const plan = await app.model.query(`EXPLAIN ${sql}`, { type: 'SELECT' }) as any[];
        assert.strictEqual(plan.length, 1, JSON.stringify(plan));
        assert.strictEqual(plan[0].key, 'user_username_unique', JSON.stringify(plan));
        assert.notStrictEqual(plan[0].type, 'ALL', JSON.stringify(plan));
        assert.ok(!/filesort/i.test(plan[0].Extra || ''), JSON.stringify(plan));
      } else {
        const plan = await app.model.query(`EXPLAIN QUERY PLAN ${sql}`, { type: 'SELECT' }) as any[];
        const details = plan.map(step => step.detail).join(' | ');
        assert.match(details, /SEARCH (`?user`? )?USING INDEX user_username_unique/, details);
        assert.doesNotMatch(details, /SCAN|TEMP B-TREE/, details);
      }
    }

    it('the service sends one statement: the prefix query with an escaped pattern', () => {
      assert.strictEqual(captured.length, 1, JSON.stringify(captured));
      const sql = capturedQuery();
      assert.match(sql, /username LIKE 'user1%' ESCAPE '!'/);
      assert.match(sql, /ORDER BY username LIMIT 50/);
    });

    it('the prefix query is a range read on user_username_unique', async () => {
      await assertUsesUsernameIndex(capturedQuery());
    });

    it('the contract\'s reference prefix query uses the index too', async () => {
      await assertUsesUsernameIndex(
        'SELECT id, username, avatar, role, uuid, nickname FROM `user` WHERE username LIKE \'user1%\' ESCAPE \'!\' ' +
        `AND status = 1 AND is_deleted = 0 AND id <> ${me.id} ORDER BY username LIMIT 51`);
    });
  });
});
