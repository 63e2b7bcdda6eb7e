import * as assert from 'node:assert';
import { createHash } from 'node:crypto';
import { app } from 'egg-mock/bootstrap';
import { resetDatabase } from '../../helpers/db';
import { assertFail, assertOk, login, post, registerUser, uniqueName, PASSWORD } from '../../helpers/api';
import { MSG } from '../../../app/lib/messages';
import { inParallel } from '../../helpers/parallel';

const USER_COLUMNS = [
  'create_time', 'id', 'uuid', 'username', 'nickname', 'avatar', 'mobile', 'email', 'status', 'last_login',
  'last_login_ip', 'register_time', 'register_ip', 'is_deleted', 'wechat_openid', 'qq_openid', 'weibo_uid', 'role',
  'is_email_verified', 'is_mobile_verified', 'order', 'update_time', 'token',
];

function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

describe('test/app/controller/user.test.ts', () => {
  before(() => resetDatabase(app));

  describe('POST /api/regChat', () => {
    it('creates user + user_info and answers the seed shape without the password', async () => {
      const username = uniqueName('reg');
      const res = await app.httpRequest().post('/api/regChat').type('form')
        .send({ username, password: PASSWORD });
      const data = assertOk(res);
      assert.deepStrictEqual(Object.keys(data).sort(), [ ...USER_COLUMNS ].sort());
      assert.strictEqual(data.username, username);
      assert.strictEqual(typeof data.id, 'number');
      assert.match(data.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.match(data.create_time, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      assert.match(data.update_time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.match(data.register_time, /Z$/);
      assert.strictEqual(data.status, 1);
      assert.strictEqual(data.role, 'user');
      assert.strictEqual(data.order, 50);
      assert.strictEqual(data.nickname, '');
      assert.strictEqual(data.avatar, 'https://thinkphp-all.oss-cn-hangzhou.aliyuncs.com/public/67b3001b2aedd.png');
      assert.strictEqual(data.last_login, null);
      const info = await app.model.Userinfo.findOne({ where: { user_id: data.id } });
      assert.ok(info, 'user_info row created');
      assert.strictEqual(info!.gender, 'unknown');
      // create_time is the same instant as register_time, shown in +08:00.
      const shifted = new Date(new Date(data.register_time).getTime() + 8 * 3600_000).toISOString().slice(0, 19)
        .replace('T', ' ');
      assert.strictEqual(data.create_time, shifted);
    });

    it('accepts JSON bodies too', async () => {
      const res = await app.httpRequest().post('/api/regChat').send({ username: uniqueName('json'), password: PASSWORD });
      assertOk(res);
    });

    it('puts only id, uuid, role, sid, iat, exp in the token', async () => {
      const user = await registerUser(app);
      const payload = decodePayload(user.token);
      assert.deepStrictEqual(Object.keys(payload).sort(), [ 'exp', 'iat', 'id', 'role', 'sid', 'uuid' ]);
      assert.strictEqual(payload.id, user.id);
      assert.strictEqual((payload.exp as number) - (payload.iat as number), 30 * 24 * 3600);
      assert.ok(!JSON.stringify(payload).includes('scrypt'));
      const header = JSON.parse(Buffer.from(user.token.split('.')[0], 'base64url').toString());
      assert.strictEqual(header.alg, 'HS256');
    });

    it('stores a salted scrypt hash, never the password', async () => {
      const user = await registerUser(app);
      const row = await app.model.User.findByPk(user.id);
      assert.match(row!.password, /^scrypt\$16384\$8\$1\$/);
      const other = await registerUser(app);
      const otherRow = await app.model.User.findByPk(other.id);
      assert.notStrictEqual(row!.password, otherRow!.password, 'same password, different salt');
    });

    it('refuses a taken username (case-insensitive, as MySQL compares)', async () => {
      const user = await registerUser(app);
      assertFail(await app.httpRequest().post('/api/regChat').type('form')
        .send({ username: user.username, password: PASSWORD }), 400, MSG.usernameTaken);
      assertFail(await app.httpRequest().post('/api/regChat').type('form')
        .send({ username: user.username.toUpperCase(), password: PASSWORD }), 400, MSG.usernameTaken);
      assert.strictEqual(await app.model.User.count({ where: { username: user.username } }), 1);
    });

    it('creates one account when the same name is registered concurrently', async () => {
      const username = uniqueName('race');
      const results = await inParallel(app, 6, () =>
        app.httpRequest().post('/api/regChat').type('form')
          .send({ username, password: PASSWORD }));
      const ok = results.filter(r => r.status === 200);
      assert.strictEqual(ok.length, 1, JSON.stringify(results.map(r => [ r.status, r.body ])));
      for (const r of results.filter(r => r.status !== 200)) assertFail(r, 400, MSG.usernameTaken);
      assert.strictEqual(await app.model.User.count({ where: { username } }), 1);
      assert.strictEqual(await app.model.Userinfo.count({ where: { user_id: ok[0].body.data.id } }), 1);
    });

    const invalid: Array<[string, Record<string, unknown>, string]> = [
      [ 'missing username', { password: PASSWORD }, '账号不能为空' ],
      [ 'empty username', { username: '', password: PASSWORD }, '账号不能为空' ],
      [ 'short username', { username: 'abc', password: PASSWORD }, '账号 的长度 必须 在 4 和 20 之间' ],
      [ 'long username', { username: 'a'.repeat(21), password: PASSWORD }, '账号 的长度 必须 在 4 和 20 之间' ],
      [ 'username with symbols', { username: 'ab-cd', password: PASSWORD }, '账号 只能包含字母、数字和下划线' ],
      [ 'username with Chinese', { username: '张三丰丰', password: PASSWORD }, '账号 只能包含字母、数字和下划线' ],
      [ 'username as array', { username: [ 'abcd' ], password: PASSWORD }, '账号 必须是字符串' ],
      [ 'missing password', { username: 'abcd' }, '密码不能为空' ],
      [ 'short password', { username: 'abcd', password: '12345' }, '密码 的长度 必须 在 6 和 20 之间' ],
      [ 'long password', { username: 'abcd', password: '1'.repeat(21) }, '密码 的长度 必须 在 6 和 20 之间' ],
      [ 'password as object', { username: 'abcd', password: { a: 1 } }, '密码 必须是字符串' ],
      [ 'NUL byte', { username: 'abcd', password: 'abc\u0000def' }, '密码 不能包含控制字符' ],
    ];
    for (const [ name, body, message ] of invalid) {
      it(`answers 422 for ${name} and creates nothing`, async () => {
        const before = await app.model.User.count();
        assertFail(await app.httpRequest().post('/api/regChat').send(body), 422, message);
        assert.strictEqual(await app.model.User.count(), before);
      });
    }

    it('ignores unknown fields (no mass assignment)', async () => {
      const username = uniqueName('mass');
      const res = await app.httpRequest().post('/api/regChat').send({ username, password: PASSWORD, role: 'admin', status: 0, id: 999999, nickname: 'x' });
      const data = assertOk(res);
      assert.strictEqual(data.role, 'user');
      assert.strictEqual(data.status, 1);
      assert.notStrictEqual(data.id, 999999);
      assert.strictEqual(data.nickname, '');
    });
  });

  describe('POST /api/loginChat', () => {
    it('logs in, sets last_login and last_login_ip, answers the user with a token', async () => {
      const user = await registerUser(app);
      const data = assertOk(await login(app, user.username));
      assert.strictEqual(data.id, user.id);
      assert.ok(!('password' in data));
      assert.match(data.last_login, /Z$/);
      assert.ok(data.last_login_ip);
      assert.ok(data.token && data.token !== user.token);
      const row = await app.model.User.findByPk(user.id);
      assert.ok(row!.last_login);
    });

    it('refuses an unknown account and a disabled one with the same message', async () => {
      assertFail(await login(app, 'nobody_here'), 400, MSG.accountMissingOrDisabled);
      const user = await registerUser(app);
      await app.model.User.update({ status: 0 }, { where: { id: user.id } });
      assertFail(await login(app, user.username), 400, MSG.accountMissingOrDisabled);
    });

    it('refuses a wrong password', async () => {
      const user = await registerUser(app);
      assertFail(await login(app, user.username, 'wrong-password'), 400, MSG.wrongPassword);
    });

    it('accepts a legacy unsalted SHA-256 hash once and replaces it with scrypt', async () => {
      const user = await registerUser(app);
      const legacy = createHash('sha256').update('legacy123').digest('hex');
      await app.model.User.update({ password: legacy }, { where: { id: user.id } });
      assertFail(await login(app, user.username, 'wrong-one'), 400, MSG.wrongPassword);
      assertOk(await login(app, user.username, 'legacy123'));
      const row = await app.model.User.findByPk(user.id);
      assert.match(row!.password, /^scrypt\$/);
      assertOk(await login(app, user.username, 'legacy123'));
    });

    it('answers 422 with the label of the first failing field', async () => {
      assertFail(await app.httpRequest().post('/api/loginChat').send({}), 422, '账号不能为空');
      assertFail(await app.httpRequest().post('/api/loginChat').send({ username: 'abcd' }), 422, '密码不能为空');
    });
  });

  describe('POST /api/chat/logout', () => {
    it('answers true and the token stops working at once', async () => {
      const user = await registerUser(app);
      const res = await post(app, '/api/chat/logout', user.token);
      assert.strictEqual(assertOk(res), true);
      assertFail(await post(app, '/api/chat/logout', user.token), 401, MSG.authInvalid);
    });

    it('a second login invalidates the first token', async () => {
      const user = await registerUser(app);
      const second = assertOk(await login(app, user.username)).token;
      assertFail(await post(app, '/api/chat/logout', user.token), 401, MSG.authInvalid);
      assertOk(await post(app, '/api/chat/logout', second));
    });

    it('answers 401 without a token', async () => {
      assertFail(await post(app, '/api/chat/logout'), 401, MSG.authMissing);
    });
  });
});
