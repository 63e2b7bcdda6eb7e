import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { resetDatabase } from '../../../helpers/db';
import { assertFail, assertOk, get, post, registerUser, TestUser } from '../../../helpers/api';
import { integer, text, withQueryShape } from '../../../../app/lib/validation/rules';

/**
 * A query parameter is a scalar: given twice (`?limit=1&limit=abc`, in either order) or in brackets
 * (`?limit[]=1`, `?limit[a]=1`) it is refused with 422 naming the field, on every route that reads the
 * query — never "the first value wins" (issue 17, finding 5).
 */
describe('test/app/lib/validation/queryShape.test.ts', () => {
  describe('withQueryShape', () => {
    const rules = { limit: integer('每页条数', { required: false }), type: text('平台类型', { max: 10, required: false }) };
    const shape = (raw: string, query: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      withQueryShape(rules, { ...query, ...extra }, raw, query);

    it('leaves a plain query alone (the same object)', () => {
      const input = { limit: '5' };
      assert.strictEqual(withQueryShape(rules, input, 'limit=5', { limit: '5' }), input);
      assert.strictEqual(withQueryShape(rules, input, '', {}), input);
      assert.deepStrictEqual(shape('other=1&other=2', { other: '1' }), { other: '1' }, 'an undeclared field is not its business');
    });

    it('puts back every value of a repeated or bracketed declared field, as an array', () => {
      assert.deepStrictEqual(shape('limit=1&limit=abc', { limit: '1' }), { limit: [ '1', 'abc' ] });
      assert.deepStrictEqual(shape('limit=abc&limit=1', { limit: 'abc' }), { limit: [ 'abc', '1' ] });
      assert.deepStrictEqual(shape('limit%5B%5D=1', { 'limit[]': '1' }), { 'limit[]': '1', limit: [ '1' ] });
      assert.deepStrictEqual(shape('limit[a]=1&type=x', { 'limit[a]': '1', type: 'x' }), { 'limit[a]': '1', type: 'x', limit: [ '1' ] });
    });

    it('leaves a field alone when it came from elsewhere (a path parameter, the body)', () => {
      assert.deepStrictEqual(shape('limit=1&limit=2', { limit: '1' }, { limit: '7' }), { limit: '7' });
      assert.deepStrictEqual(withQueryShape(rules, { limit: 3 }, 'limit=1&limit=2', { limit: '1' }), { limit: 3 });
      assert.deepStrictEqual(withQueryShape(rules, { limit: '1' }, 'limit=1&limit=2', { limit: '1' }, { limit: '1' }), { limit: '1' }, 'the path gives it (same value)');
    });
  });

  describe('the routes that read the query', () => {
    let me: TestUser;
    let group: number;

    before(async () => {
      await resetDatabase(app);
      me = await registerUser(app);
      const friend = await registerUser(app);
      await app.model.Goodfriend.bulkCreate([{ user_id: me.id, friend_id: friend.id }, { user_id: friend.id, friend_id: me.id }] as any);
      const row = await app.model.Goodfriend.findOne({ where: { user_id: me.id, friend_id: friend.id }, raw: true });
      await post(app, '/api/chat/group/create', me.token).send({ userIds: [ row!.id ] }).expect(200);
      const rows = await app.model.query('SELECT id FROM `group` WHERE user_id = ?', { replacements: [ me.id ], type: 'SELECT' } as any) as any[];
      group = Number(rows[0].id);
    });

    const BAD = [ 'limit=1&limit=abc', 'limit=abc&limit=1', 'limit=1&limit=2', 'limit[]=1', 'limit%5B%5D=1', 'limit[]=1&limit[]=2', 'limit[a]=1', 'limit=1&limit[]=2' ];

    [ '/api/chat/grouplist', '/api/chat/grouplist/1', '/api/chat/goodfriendlist', '/api/chat/goodfriendlist/2', '/api/chat/listapplyfriend', '/api/chat/listapplyfriend/1' ].forEach(route => {
      it(`${route}: ?limit repeated or bracketed is 422, a single value is accepted`, async () => {
        assertOk(await get(app, `${route}?limit=1`, me.token));
        assertOk(await get(app, `${route}?other=1&other=2`, me.token));
        for (const query of BAD) {
          assertFail(await get(app, `${route}?${query}`, me.token), 422, '每页条数 必须是整数');
        }
      });
    });

    it('/api/chat/groupQrcode/:id: a repeated or bracketed type, http or chatType is 422, single values give the PNG', async () => {
      const ok = await get(app, `/api/chat/groupQrcode/${group}?type=H5&chatType=group`, me.token);
      assert.strictEqual(ok.status, 200);
      assert.match(String(ok.headers['content-type']), /^image\/png/);
      const cases: Array<[string, string]> = [
        [ 'type=H5&type=app', '平台类型 必须是字符串' ],
        [ 'type[]=H5', '平台类型 必须是字符串' ],
        [ 'chatType=group&chatType=single', '聊天类型 的值 `["group","single"]` 必须在 [`group`、`single`] 中' ],
        [ 'chatType[]=group', '聊天类型 的值 `["group"]` 必须在 [`group`、`single`] 中' ],
        [ 'http=a&http=b', '网址域名 必须是字符串' ],
      ];
      for (const [ query, message ] of cases) {
        assertFail(await get(app, `/api/chat/groupQrcode/${group}?${query}`, me.token), 422, message);
      }
      // `id` is the path's: a query `id` (even repeated) is not read.
      assert.strictEqual((await get(app, `/api/chat/groupQrcode/${group}?id=1&id=2`, me.token)).status, 200);
    });
  });
});
