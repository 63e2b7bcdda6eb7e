import * as assert from 'node:assert';
import { app, mock } from 'egg-mock/bootstrap';
import { resetDatabase } from '../../helpers/db';
import { assertFail, assertOk, get, login, post, registerUser, uniqueName, PASSWORD } from '../../helpers/api';
import { inParallel } from '../../helpers/parallel';
import { newDeviceId, registerVisitor, signedPost, signFor } from '../../helpers/visitor';
import { MSG } from '../../../app/lib/messages';

// The answer of the visitor routes: the seed's user columns plus the device's (section 13 of the original).
const DEVICE_ACCOUNT_KEYS = [
  'create_time', 'id', 'uuid', 'username', 'nickname', 'avatar', 'devicefingeruuid', 'uniplatform', 'devicemodel', 'deviceos',
  'devicebrand', 'mobile', 'email', 'status', 'last_login', 'last_login_ip', 'register_time', 'register_ip', 'is_deleted',
  'wechat_openid', 'qq_openid', 'weibo_uid', 'role', 'is_email_verified', 'is_mobile_verified', 'order', 'update_time', 'token',
].sort();

function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

async function userRow(id: number): Promise<any> {
  return app.model.User.findByPk(id, { raw: true });
}

describe('test/app/controller/visitor.test.ts', () => {
  before(() => resetDatabase(app));
  afterEach(() => mock.restore());

  describe('POST /api/visitorRegister', () => {
    it('makes a visitor account for a new device and logs it in (role visitor in the answer and the token)', async () => {
      const deviceId = newDeviceId();
      const res = await signedPost(app, '/api/visitorRegister', deviceId, { uniplatform: 'web', devicemodel: 'Pixel', deviceos: 'android', devicebrand: 'google' });
      const data = assertOk(res);
      assert.deepStrictEqual(Object.keys(data).sort(), DEVICE_ACCOUNT_KEYS);
      assert.strictEqual(data.role, 'visitor');
      assert.strictEqual(data.devicefingeruuid, deviceId);
      assert.strictEqual(data.username, `VIS${deviceId.slice(0, 8)}`);
      assert.deepStrictEqual([ data.uniplatform, data.devicemodel, data.deviceos, data.devicebrand ], [ 'web', 'Pixel', 'android', 'google' ]);
      assert.strictEqual(decodePayload(data.token).role, 'visitor');
      assert.ok(!('password' in data) && !('userset' in data));
      // A user_info row, as for any account, and no password that could ever be typed in.
      assert.ok(await app.model.Userinfo.findOne({ where: { user_id: data.id } }));
      assert.match((await userRow(data.id)).password, /^!visitor:/);
      assertFail(await login(app, data.username, PASSWORD), 400, MSG.wrongPassword);
      // The token works on a route of the visitor whitelist.
      assertOk(await post(app, '/api/chat/getUserSetInfo', data.token).send({ userid: (await registerUser(app)).id }));
    });

    it('a second call for the same device logs the same visitor in (a new token; the old one is replaced)', async () => {
      const first = await registerVisitor(app);
      const again = assertOk(await signedPost(app, '/api/visitorRegister', first.deviceId));
      assert.strictEqual(again.id, first.id);
      assert.notStrictEqual(again.token, first.token);
      assertFail(await post(app, '/api/chat/logout', first.token), 401, MSG.authInvalid);
      assertOk(await post(app, '/api/chat/logout', again.token));
      assert.strictEqual(await app.model.User.count({ where: { devicefingeruuid: first.deviceId } }), 1);
    });

    it('concurrent first launches of one device make exactly one account', async () => {
      const deviceId = newDeviceId();
      // Each call signed at its own millisecond: a signature is accepted once.
      const now = Date.now();
      const answers = await inParallel(app, 5, i => signedPost(app, '/api/visitorRegister', deviceId, {}, { timestamp: now - i }));
      const ids = new Set(answers.map(res => assertOk(res).id));
      assert.strictEqual(ids.size, 1, JSON.stringify(answers.map(res => res.body)));
      assert.strictEqual(await app.model.User.count({ where: { devicefingeruuid: deviceId } }), 1);
      assert.strictEqual(await app.model.Userinfo.count({ where: { user_id: [ ...ids ][0] } }), 1);
    });

    it('two devices whose ids share the first 8 characters get two accounts', async () => {
      const a = newDeviceId();
      const b = a.slice(0, 8) + newDeviceId().slice(8);
      const first = await registerVisitor(app, a);
      const second = await registerVisitor(app, b);
      assert.notStrictEqual(first.id, second.id);
      assert.notStrictEqual(first.username, second.username);
      assert.match(second.username, /^VIS[0-9a-f]{16}$/);
    });

    it('refuses without the signature header, with a wrong, replayed or stale signature, or a malformed device id', async () => {
      const deviceId = newDeviceId();
      const before = await app.model.User.count();
      const unsigned = await app.httpRequest().post('/api/visitorRegister').send({ deviceId, timestamp: Date.now() });
      assertFail(unsigned, 400, MSG.visitorSignMissing);
      assertFail(await signedPost(app, '/api/visitorRegister', deviceId, {}, { sign: 'ab'.repeat(32) }), 400, MSG.visitorSignInvalid);
      // Signed for another device id, or with another salt: forged.
      const other = signFor(app, newDeviceId());
      assertFail(await signedPost(app, '/api/visitorRegister', deviceId, {}, { sign: other.sign, timestamp: other.timestamp }), 400, MSG.visitorSignInvalid);
      mock(app.config.chat.visitor, 'signSalt', 'another salt');
      const otherSalt = signFor(app, deviceId);
      mock.restore();
      assertFail(await signedPost(app, '/api/visitorRegister', deviceId, {}, { sign: otherSalt.sign, timestamp: otherSalt.timestamp }), 400, MSG.visitorSignInvalid);
      // Outside the five-minute window, either way.
      assertFail(await signedPost(app, '/api/visitorRegister', deviceId, {}, { timestamp: Date.now() - 301_000 }), 400, MSG.visitorSignExpired);
      assertFail(await signedPost(app, '/api/visitorRegister', deviceId, {}, { timestamp: Date.now() + 301_000 }), 400, MSG.visitorSignExpired);
      // The client's ids are 36 characters of letters, digits, '_' and '-'.
      const longId = deviceId + '-extra';
      assertFail(await signedPost(app, '/api/visitorRegister', longId), 400, MSG.visitorDeviceInvalid);
      const dotted = deviceId.slice(0, 35) + '.';
      assertFail(await signedPost(app, '/api/visitorRegister', dotted), 400, MSG.visitorDeviceInvalid);
      assert.strictEqual(await app.model.User.count(), before);

      // A captured request sent again, within its window, is refused: the client signs every call anew.
      const signed = signFor(app, deviceId);
      const send = () => app.httpRequest().post('/api/visitorRegister').set('X-Security-Sign', signed.sign)
        .send({ deviceId, timestamp: signed.timestamp });
      assertOk(await send());
      assertFail(await send(), 400, MSG.visitorSignInvalid);
      assert.strictEqual(await app.model.User.count(), before + 1);
    });

    it('accepts the signature in upper case hex and the body as a form', async () => {
      const deviceId = newDeviceId();
      const signed = signFor(app, deviceId);
      const res = await app.httpRequest().post('/api/visitorRegister').type('form')
        .set('X-Security-Sign', signed.sign.toUpperCase())
        .send({ deviceId, timestamp: String(signed.timestamp) });
      assert.strictEqual(assertOk(res).devicefingeruuid, deviceId);
    });

    it('422 names the field: missing or malformed deviceId and timestamp, oversized statistics', async () => {
      const deviceId = newDeviceId();
      const { sign, timestamp } = signFor(app, deviceId);
      const send = (body: object) => app.httpRequest().post('/api/visitorRegister').set('X-Security-Sign', sign)
        .send(body);
      assertFail(await send({ timestamp }), 422, '设备指纹不能为空');
      assertFail(await send({ deviceId: 'short', timestamp }), 422, '设备指纹 的长度 必须 在 36 和 200 之间');
      assertFail(await send({ deviceId }), 422, '时间戳不能为空');
      assertFail(await send({ deviceId, timestamp: 'yesterday' }), 422, '时间戳 必须是整数');
      assertFail(await send({ deviceId, timestamp, devicemodel: 'x'.repeat(51) }), 422, '设备型号 的长度 不能超过 50');
      assertFail(await send({ deviceId, timestamp, uniplatform: [ 'web' ] }), 422, '平台类型 必须是字符串');
    });

    it('limits calls per device (5 an hour, as the original) and per address: 429 with the original\'s text', async () => {
      mock(app.config.chat.throttle, 'visitorPerDevice', { limit: 3, windowSeconds: 3600 });
      const deviceId = newDeviceId();
      for (let i = 0; i < 3; i++) assertOk(await signedPost(app, '/api/visitorRegister', deviceId));
      const limited = await signedPost(app, '/api/visitorRegister', deviceId);
      assertFail(limited, 429, MSG.visitorTooFrequent);
      const retryAfter = Number(limited.headers['retry-after']);
      assert.ok(retryAfter > 3000 && retryAfter <= 3600, `Retry-After ${limited.headers['retry-after']}`);
      // The formal routes count against the same device.
      const formal = await signedPost(app, '/api/visitorloginChat', deviceId, { username: uniqueName('vl'), password: PASSWORD });
      assertFail(formal, 429, MSG.visitorTooFrequent);
      // Another device from the same address is not limited by this one's counter…
      assertOk(await signedPost(app, '/api/visitorRegister', newDeviceId()));
      // …but by the address's.
      mock(app.config.chat.throttle, 'visitorPerIp', { limit: 1, windowSeconds: 3600 });
      await resetDatabase(app);
      assertOk(await signedPost(app, '/api/visitorRegister', newDeviceId()));
      assertFail(await signedPost(app, '/api/visitorRegister', newDeviceId()), 429, MSG.visitorTooFrequent);
    });

    it('a disabled visitor account is refused', async () => {
      const visitor = await registerVisitor(app);
      await app.model.User.update({ status: 0 }, { where: { id: visitor.id } });
      assertFail(await signedPost(app, '/api/visitorRegister', visitor.deviceId), 400, MSG.accountMissingOrDisabled);
      assertFail(await post(app, '/api/chat/getUserSetInfo', visitor.token).send({ userid: 1 }), 401, MSG.authUserDisabled);
    });
  });

  describe('POST /api/visitorregChat', () => {
    it('turns the device\'s visitor into a registered user: same id, friends and applications kept', async () => {
      const visitor = await registerVisitor(app);
      const friend = await registerUser(app);
      const target = await registerUser(app);
      await app.model.Goodfriend.bulkCreate([{ user_id: visitor.id, friend_id: friend.id }, { user_id: friend.id, friend_id: visitor.id }]);
      assertOk(await post(app, '/api/chat/applyfriend', visitor.token).send({ friend_id: target.id }));

      const username = uniqueName('formal');
      const data = assertOk(await signedPost(app, '/api/visitorregChat', visitor.deviceId, { username, password: PASSWORD }));
      assert.deepStrictEqual(Object.keys(data).sort(), DEVICE_ACCOUNT_KEYS);
      assert.strictEqual(data.id, visitor.id);
      assert.strictEqual(data.role, 'user');
      assert.strictEqual(data.username, username);
      assert.strictEqual(decodePayload(data.token).role, 'user');
      // The visitor token is replaced; the new one opens user-only routes.
      assertFail(await post(app, '/api/chat/searchUser', visitor.token).send({ keyword: 'x' }), 401, MSG.authInvalid);
      const contacts = assertOk(await get(app, '/api/chat/goodfriendlist', data.token));
      assert.deepStrictEqual(contacts.rows.newList.flatMap((g: any) => g.list.map((i: any) => i.friend_id)), [ friend.id ]);
      const applications = assertOk(await get(app, '/api/chat/listapplyfriend', target.token));
      assert.deepStrictEqual(applications.alldata.map((a: any) => a.user_id), [ visitor.id ]);
      // The password works for a normal login; the device is free for a new visitor identity.
      assertOk(await login(app, username));
      const next = await registerVisitor(app, visitor.deviceId);
      assert.notStrictEqual(next.id, visitor.id);
      assert.strictEqual(next.role, 'visitor');
    });

    it('a device without a visitor gets a new ordinary account', async () => {
      const username = uniqueName('formal');
      const data = assertOk(await signedPost(app, '/api/visitorregChat', newDeviceId(), { username, password: PASSWORD }));
      assert.strictEqual(data.role, 'user');
      assert.strictEqual(data.devicefingeruuid, null);
      assertOk(await login(app, username));
    });

    it('never renames a registered account through a device id (the original overwrote its name and password)', async () => {
      // The device's visitor became `owner`; a stranger then calls visitorregChat with the same device id.
      const visitor = await registerVisitor(app);
      const ownerName = uniqueName('owner');
      assertOk(await signedPost(app, '/api/visitorregChat', visitor.deviceId, { username: ownerName, password: PASSWORD }));
      const attackerName = uniqueName('attacker');
      const attacker = assertOk(await signedPost(app, '/api/visitorregChat', visitor.deviceId, { username: attackerName, password: 'attacker-pass' }));
      assert.notStrictEqual(attacker.id, visitor.id);
      assertOk(await login(app, ownerName));
      const owner = await userRow(visitor.id);
      assert.strictEqual(owner.username, ownerName);
      // A database from the original may bind a device to a registered account: visitorRegister with that
      // device id never logs that account in without its password.
      await app.model.User.update({ devicefingeruuid: visitor.deviceId }, { where: { id: visitor.id } });
      const fresh = await registerVisitor(app, visitor.deviceId);
      assert.notStrictEqual(fresh.id, visitor.id);
      assert.strictEqual(fresh.role, 'visitor');
      assert.strictEqual((await userRow(visitor.id)).devicefingeruuid, null);
    });

    it('refuses a taken username (nothing changes) and validates like regChat', async () => {
      const visitor = await registerVisitor(app);
      const taken = await registerUser(app);
      assertFail(await signedPost(app, '/api/visitorregChat', visitor.deviceId, { username: taken.username, password: PASSWORD }), 400, MSG.usernameTaken);
      assert.strictEqual((await userRow(visitor.id)).role, 'visitor');
      assertFail(await signedPost(app, '/api/visitorregChat', visitor.deviceId, { password: PASSWORD }), 422, '账号不能为空');
      assertFail(await signedPost(app, '/api/visitorregChat', visitor.deviceId, { username: 'a b c d', password: PASSWORD }), 422, '账号 只能包含字母、数字和下划线');
      assertFail(await signedPost(app, '/api/visitorregChat', visitor.deviceId, { username: uniqueName('v'), password: '123' }), 422, '密码 的长度 必须 在 6 和 20 之间');
      assertFail(await signedPost(app, '/api/visitorregChat', visitor.deviceId, { username: uniqueName('v'), password: PASSWORD }, { sign: 'f'.repeat(64) }), 400, MSG.visitorSignInvalid);
      assert.strictEqual((await userRow(visitor.id)).role, 'visitor');
    });

    it('concurrent conversions of one visitor with two names: one wins, the other name is a new account or refused', async () => {
      const visitor = await registerVisitor(app);
      const names = [ uniqueName('race'), uniqueName('race') ];
      const now = Date.now();
      const answers = await inParallel(app, 2, i => signedPost(app, '/api/visitorregChat', visitor.deviceId, { username: names[i], password: PASSWORD }, { timestamp: now - i }));
      const converted = answers.filter(res => res.status === 200 && res.body.data.id === visitor.id);
      assert.strictEqual(converted.length, 1, JSON.stringify(answers.map(res => res.body)));
      assert.strictEqual((await userRow(visitor.id)).role, 'user');
    });
  });

  describe('POST /api/visitorloginChat', () => {
    it('logs a registered account in from a device, the visitor of the device stays as it was', async () => {
      const visitor = await registerVisitor(app);
      const user = await registerUser(app);
      const data = assertOk(await signedPost(app, '/api/visitorloginChat', visitor.deviceId, { username: user.username, password: PASSWORD }));
      assert.deepStrictEqual(Object.keys(data).sort(), DEVICE_ACCOUNT_KEYS);
      assert.strictEqual(data.id, user.id);
      assert.strictEqual(data.role, 'user');
      assertFail(await post(app, '/api/chat/searchUser', user.token).send({ keyword: 'x' }), 401, MSG.authInvalid);
      // Back to visitor mode later: the same visitor account.
      assert.strictEqual((await registerVisitor(app, visitor.deviceId)).id, visitor.id);
    });

    it('refuses wrong credentials with loginChat\'s messages and throttles', async () => {
      const deviceId = newDeviceId();
      const user = await registerUser(app);
      assertFail(await signedPost(app, '/api/visitorloginChat', deviceId, { username: user.username, password: 'wrong-pass' }), 400, MSG.wrongPassword);
      assertFail(await signedPost(app, '/api/visitorloginChat', newDeviceId(), { username: uniqueName('none'), password: PASSWORD }), 400, MSG.accountMissingOrDisabled);
      const visitor = await registerVisitor(app);
      assertFail(await signedPost(app, '/api/visitorloginChat', newDeviceId(), { username: visitor.username, password: PASSWORD }), 400, MSG.wrongPassword);
      mock(app.config.chat.throttle, 'loginFailPerAccount', { limit: 1, windowSeconds: 60 });
      assertFail(await signedPost(app, '/api/visitorloginChat', newDeviceId(), { username: user.username, password: PASSWORD }), 429, MSG.tooManyAttempts);
    });

    it('needs the signature', async () => {
      const user = await registerUser(app);
      const res = await app.httpRequest().post('/api/visitorloginChat').send({ username: user.username, password: PASSWORD, deviceId: newDeviceId(), timestamp: Date.now() });
      assertFail(res, 400, MSG.visitorSignMissing);
    });
  });

  describe('visitor tokens and the whitelist', () => {
    it('a visitor gets 403 on every route outside the original\'s whitelist, and in on the ones inside', async () => {
      const visitor = await registerVisitor(app);
      const user = await registerUser(app);
      const outside: Array<[ 'get' | 'post', string ]> = [
        [ 'post', '/api/chat/searchUser' ], [ 'get', '/api/chat/listapplyfriend/1' ], [ 'post', '/api/chat/handleapply/1' ],
        [ 'get', '/api/chat/goodfriendlist' ], [ 'get', `/api/chat/getgoodfriendinfo/${user.id}` ], [ 'post', `/api/chat/setblackgoodfriend/${user.id}` ],
        [ 'post', `/api/chat/setstargoodfriend/${user.id}` ], [ 'post', `/api/chat/setmeOrfriendCanSee/${user.id}` ], [ 'post', `/api/chat/isApplyfriend/${user.uuid}` ],
      ];
      for (const [ method, path ] of outside) {
        const req = method === 'get' ? get(app, path, visitor.token) : post(app, path, visitor.token).send({});
        assertFail(await req, 403, MSG.visitorForbidden);
      }
      // Inside: answers of their own (200 or a business refusal), never 403.
      const inside = [
        () => post(app, '/api/chat/getUserSetInfo', visitor.token).send({ userid: user.id }),
        () => post(app, '/api/chat/ismygoodfriend/' + user.id, visitor.token),
        () => post(app, '/api/chat/userset', visitor.token).send({ userset: '{"chatset":{"visitor":1,"user":2}}' }),
        () => post(app, '/api/chat/updateUserinfo', visitor.token).send({ fieldname: 'nickname', fieldValue: '游客' }),
        () => post(app, '/api/chat/applyfriend', visitor.token).send({ friend_id: user.id }),
        () => post(app, '/api/chat/autoAddFriendAndAgree', visitor.token).send({ friend_id: user.id }),
        () => post(app, '/api/chat/deletegoodfriend/' + user.id, visitor.token),
      ];
      for (const send of inside) {
        const res = await send();
        assert.ok([ 200, 400 ].includes(res.status), JSON.stringify(res.body));
      }
      assertOk(await post(app, '/api/chat/logout', visitor.token));
      assertFail(await post(app, '/api/chat/userset', visitor.token).send({ userset: '{}' }), 401, MSG.authInvalid);
    });

    it('searchUser never finds visitors', async () => {
      const visitor = await registerVisitor(app);
      const user = await registerUser(app);
      const hits = assertOk(await post(app, '/api/chat/searchUser', user.token).send({ keyword: visitor.username }));
      assert.deepStrictEqual(hits, []);
      const prefix = assertOk(await post(app, '/api/chat/searchUser', user.token).send({ keyword: 'VIS' }));
      assert.ok(prefix.every((hit: any) => hit.role !== 'visitor'));
    });
  });
});
