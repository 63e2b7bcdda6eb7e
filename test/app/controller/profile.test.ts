import * as assert from 'node:assert';
import { randomUUID } from 'node:crypto';
import { app } from 'egg-mock/bootstrap';
import { resetDatabase } from '../../helpers/db';
import { assertFail, assertOk, get, registerUser } from '../../helpers/api';
import { registerVisitor } from '../../helpers/visitor';
import { MSG } from '../../../app/lib/messages';
import { DEFAULT_USERSET } from '../../../app/lib/userSettings';

const PROFILE_KEYS = [ 'avatar', 'id', 'nickname', 'role', 'userinfo', 'username', 'userset', 'uuid' ];
const USERINFO_KEYS = [ 'bio', 'birthday', 'gender', 'id', 'location', 'website' ];

describe('test/app/controller/profile.test.ts', () => {
  before(() => resetDatabase(app));

  describe('GET /api/userinfo/:uuid', () => {
    it('answers the public card with no token: id, names, avatar, role, userinfo, effective settings', async () => {
      const user = await registerUser(app);
      await app.model.Userinfo.update({ location: '武汉' }, { where: { user_id: user.id } });
      const data = assertOk(await get(app, `/api/userinfo/${user.uuid}`));
      assert.deepStrictEqual(Object.keys(data).sort(), PROFILE_KEYS);
      assert.deepStrictEqual(Object.keys(data.userinfo).sort(), USERINFO_KEYS);
      assert.strictEqual(data.id, user.id);
      assert.strictEqual(data.username, user.username);
      assert.strictEqual(data.role, 'user');
      assert.strictEqual(data.userinfo.location, '武汉');
      assert.strictEqual(data.userinfo.gender, 'unknown');
      // No settings saved yet: the defaults the server applies, as a JSON string the client can parse.
      assert.strictEqual(data.userset, DEFAULT_USERSET);
      assert.strictEqual(JSON.parse(data.userset).chatset.visitor.sendCount, 1);
    });

    it('never shows the password, the device fingerprint, IPs or contact details', async () => {
      const visitor = await registerVisitor(app);
      await app.model.User.update({ mobile: '13800000000', email: 'a@example.com', last_login_ip: '10.0.0.1' }, { where: { id: visitor.id } });
      const res = await get(app, `/api/userinfo/${visitor.uuid}`);
      const data = assertOk(res);
      assert.deepStrictEqual(Object.keys(data).sort(), PROFILE_KEYS);
      assert.strictEqual(data.role, 'visitor');
      for (const secret of [ visitor.deviceId, '13800000000', 'a@example.com', '10.0.0.1', '!visitor:' ]) {
        assert.ok(!res.text.includes(secret), `leaks ${secret}`);
      }
    });

    it('400 用户不存在 for an unknown, disabled or deleted user; 422 for a malformed uuid', async () => {
      assertFail(await get(app, `/api/userinfo/${randomUUID()}`), 400, MSG.userMissing);
      const disabled = await registerUser(app);
      await app.model.User.update({ status: 0 }, { where: { id: disabled.id } });
      assertFail(await get(app, `/api/userinfo/${disabled.uuid}`), 400, MSG.userMissing);
      const deleted = await registerUser(app);
      await app.model.User.update({ is_deleted: 1 }, { where: { id: deleted.id } });
      assertFail(await get(app, `/api/userinfo/${deleted.uuid}`), 400, MSG.userMissing);
      assertFail(await get(app, '/api/userinfo/123'), 422, 'uuid值 的长度 必须 在 36 和 36 之间');
      assertFail(await get(app, `/api/userinfo/${'z'.repeat(36)}`), 422, 'uuid值 必须是 uuid 格式');
      assertFail(await get(app, '/api/userinfo/'), 404, MSG.notFound);
    });

    it('a token, valid or not, changes nothing: the route is public', async () => {
      const user = await registerUser(app);
      assert.strictEqual(assertOk(await get(app, `/api/userinfo/${user.uuid}`, 'not-a-token')).id, user.id);
      assert.strictEqual(assertOk(await get(app, `/api/userinfo/${user.uuid}`, user.token)).id, user.id);
    });
  });
});
