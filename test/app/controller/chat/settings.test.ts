import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { resetDatabase } from '../../../helpers/db';
import { assertFail, assertOk, get, post, registerUser } from '../../../helpers/api';
import { registerVisitor } from '../../../helpers/visitor';
import { MSG } from '../../../../app/lib/messages';
import { DEFAULT_USERSET } from '../../../../app/lib/userSettings';

async function column(id: number, name: string): Promise<any> {
  const row: any = await app.model.User.findByPk(id, { raw: true });
  return row[name];
}

function userset(token: string | undefined, value: unknown) {
  return post(app, '/api/chat/userset', token).send({ userset: value });
}

function updateUserinfo(token: string | undefined, body: object) {
  return post(app, '/api/chat/updateUserinfo', token).send(body);
}

describe('test/app/controller/chat/settings.test.ts', () => {
  before(() => resetDatabase(app));

  describe('POST /api/chat/userset', () => {
    it('stores both forms the client has sent, canonically, and the profile shows them', async () => {
      const me = await registerUser(app);
      const objectForm = { chatset: { visitor: { sendCount: 0, needFollow: false }, user: { sendCount: 2, needFollow: true } } };
      assert.strictEqual(assertOk(await userset(me.token, JSON.stringify(objectForm))), 'ok');
      assert.strictEqual(await column(me.id, 'userset'), JSON.stringify(objectForm));
      assert.strictEqual(assertOk(await get(app, `/api/userinfo/${me.uuid}`)).userset, JSON.stringify(objectForm));
      // The older page's numbers; keys reordered and spaced: stored canonically.
      assertOk(await userset(me.token, ' { "chatset" : { "user": 1, "visitor": 2 } } '));
      assert.strictEqual(await column(me.id, 'userset'), '{"chatset":{"visitor":2,"user":1}}');
    });

    it('422 for what is not a settings object, and nothing is stored', async () => {
      const me = await registerUser(app);
      const bad: Array<[ unknown, RegExp ]> = [
        [ undefined, /^用户设置不能为空$/ ],
        [ '', /^用户设置不能为空$/ ],
        [ '{x', /JSON/ ],
        [ 'x'.repeat(2001), /^用户设置 的长度 必须 在 2 和 2000 之间$/ ],
        [ '[]', /JSON 对象/ ],
        [ '"text"', /JSON 对象/ ],
        [ '{"role":"admin"}', /只能包含 chatset/ ],
        [ '{"chatset":[]}', /chatset 只能包含/ ],
        [ '{"chatset":{"admin":1}}', /chatset 只能包含/ ],
        [ '{"chatset":{"visitor":3}}', /chatset\.visitor/ ],
        [ '{"chatset":{"user":{"sendCount":"2"}}}', /chatset\.user/ ],
        [ '{"chatset":{"user":{"sendCount":1,"needFollow":"yes"}}}', /chatset\.user/ ],
        [ '{"chatset":{"user":{"sendCount":1,"extra":1}}}', /chatset\.user/ ],
        [{ chatset: {} }, /必须是字符串/ ],
      ];
      for (const [ value, message ] of bad) {
        const res = await userset(me.token, value);
        assert.match(assertFail(res, 422), message, JSON.stringify(value));
      }
      assert.strictEqual(await column(me.id, 'userset'), null);
    });

    it('changes only my own settings; 401 without a token', async () => {
      const me = await registerUser(app);
      const other = await registerUser(app);
      assertOk(await userset(me.token, '{"chatset":{"visitor":0,"user":0}}'));
      assert.strictEqual(await column(other.id, 'userset'), null);
      // A user id in the body is not read.
      assertOk(await post(app, '/api/chat/userset', me.token).send({ userset: '{"chatset":{"visitor":1,"user":1}}', id: other.id, user_id: other.id }));
      assert.strictEqual(await column(other.id, 'userset'), null);
      assertFail(await userset(undefined, '{}'), 401, MSG.authMissing);
    });
  });

  describe('POST /api/chat/getUserSetInfo', () => {
    it('answers the user\'s settings and whether I am in their contacts, in the original\'s shape', async () => {
      const me = await registerUser(app);
      const other = await registerUser(app);
      const data = assertOk(await post(app, '/api/chat/getUserSetInfo', me.token).send({ userid: other.id }));
      assert.deepStrictEqual(data, { id: other.id, userset: DEFAULT_USERSET, invite_confirm: 1, uuid: other.uuid, isgoodfriend: false, isgoodfriend_status: true });
      await app.model.Goodfriend.create({ user_id: other.id, friend_id: me.id });
      assertOk(await post(app, '/api/chat/userset', other.token).send({ userset: '{"chatset":{"visitor":0,"user":2}}' }));
      assertOk(await updateUserinfo(other.token, { fieldname: 'invite_confirm', fieldValue: '0' }));
      const friends = assertOk(await post(app, '/api/chat/getUserSetInfo', me.token).send({ userid: other.id }));
      assert.deepStrictEqual(friends, { id: other.id, userset: '{"chatset":{"visitor":0,"user":2}}', invite_confirm: 0, uuid: other.uuid, isgoodfriend: true, isgoodfriend_status: true });
      await app.model.Goodfriend.update({ isblack: 1 }, { where: { user_id: other.id, friend_id: me.id } });
      assert.strictEqual(assertOk(await post(app, '/api/chat/getUserSetInfo', me.token).send({ userid: other.id })).isgoodfriend_status, false);
    });

    it('refuses visitors, disabled and unknown users with the original\'s text', async () => {
      const me = await registerUser(app);
      const visitor = await registerVisitor(app);
      assertFail(await post(app, '/api/chat/getUserSetInfo', me.token).send({ userid: visitor.id }), 400, MSG.userSetTargetInvalid);
      assertFail(await post(app, '/api/chat/getUserSetInfo', me.token).send({ userid: 2147483647 }), 400, MSG.userSetTargetInvalid);
      const disabled = await registerUser(app);
      await app.model.User.update({ status: 0 }, { where: { id: disabled.id } });
      assertFail(await post(app, '/api/chat/getUserSetInfo', me.token).send({ userid: disabled.id }), 400, MSG.userSetTargetInvalid);
    });

    it('401 and 422', async () => {
      const me = await registerUser(app);
      assertFail(await post(app, '/api/chat/getUserSetInfo').send({ userid: me.id }), 401, MSG.authMissing);
      assertFail(await post(app, '/api/chat/getUserSetInfo', me.token).send({}), 422, '用户id不能为空');
      assertFail(await post(app, '/api/chat/getUserSetInfo', me.token).send({ userid: 'x' }), 422, '用户id 必须是整数');
    });
  });

  describe('POST /api/chat/updateUserinfo', () => {
    it('changes my nickname, avatar and invite_confirm, answering the original\'s texts', async () => {
      const me = await registerUser(app);
      assert.strictEqual(assertOk(await updateUserinfo(me.token, { fieldname: 'nickname', fieldValue: '新昵称' })), MSG.nicknameUpdated);
      assert.strictEqual(await column(me.id, 'nickname'), '新昵称');
      const avatar = 'https://example.com/a.png';
      assert.strictEqual(assertOk(await updateUserinfo(me.token, { fieldname: 'avatar', fieldValue: avatar })), MSG.avatarUpdated);
      assert.strictEqual(await column(me.id, 'avatar'), avatar);
      assertOk(await updateUserinfo(me.token, { fieldname: 'avatar', fieldValue: '/public/uploads/a.png' }));
      assert.strictEqual(assertOk(await updateUserinfo(me.token, { fieldname: 'invite_confirm', fieldValue: 0 })), MSG.settingUpdated);
      assert.strictEqual(Number(await column(me.id, 'invite_confirm')), 0);
      // The same value again is fine.
      assertOk(await updateUserinfo(me.token, { fieldname: 'invite_confirm', fieldValue: '0' }));
      const profile = assertOk(await get(app, `/api/userinfo/${me.uuid}`));
      assert.strictEqual(profile.nickname, '新昵称');
    });

    it('never changes the username, role, status or password, nor another user (no mass assignment)', async () => {
      const me = await registerUser(app);
      const other = await registerUser(app);
      const before: any = await app.model.User.findByPk(me.id, { raw: true });
      assertFail(await updateUserinfo(me.token, { fieldname: 'username', fieldValue: 'hijack' }), 400, MSG.usernameReadonly);
      for (const fieldname of [ 'role', 'status', 'password', 'id', 'uuid', 'devicefingeruuid', 'userset', 'is_deleted', '__proto__' ]) {
        assert.match(assertFail(await updateUserinfo(me.token, { fieldname, fieldValue: '1' }), 422), /^修改类型 的值 /, fieldname);
      }
      assertOk(await updateUserinfo(me.token, { fieldname: 'nickname', fieldValue: 'mine', role: 'admin', status: 0, id: other.id, user_id: other.id }));
      const after: any = await app.model.User.findByPk(me.id, { raw: true });
      for (const name of [ 'username', 'role', 'status', 'password', 'uuid' ]) assert.strictEqual(after[name], before[name], name);
      assert.strictEqual(await column(other.id, 'nickname'), '');
    });

    it('422 for values outside each field\'s rules', async () => {
      const me = await registerUser(app);
      const cases: Array<[ object, string | RegExp ]> = [
        [{}, '修改类型不能为空' ],
        [{ fieldname: 'nickname' }, '昵称不能为空' ],
        [{ fieldname: 'avatar', fieldValue: 42 }, '头像地址 必须是字符串' ],
        [{ fieldname: 'nickname', fieldValue: 'x'.repeat(31) }, '昵称 的长度 必须 在 1 和 30 之间' ],
        [{ fieldname: 'nickname', fieldValue: 'a\u0000b' }, '昵称 不能包含控制字符' ],
        // eslint-disable-next-line no-script-url
        [{ fieldname: 'avatar', fieldValue: 'javascript:alert(1)' }, /^头像地址 必须是 http\(s\) 地址/ ],
        [{ fieldname: 'avatar', fieldValue: '//evil.example/a.png' }, /^头像地址 必须是 http\(s\) 地址/ ],
        [{ fieldname: 'avatar', fieldValue: 'https://' + 'a'.repeat(1000) }, '头像地址 的长度 必须 在 1 和 1000 之间' ],
        [{ fieldname: 'invite_confirm', fieldValue: '2' }, /^添加我为好友设置 的值 `2`/ ],
        [{ fieldname: 'x'.repeat(31), fieldValue: '1' }, '修改类型 的长度 必须 在 1 和 30 之间' ],
      ];
      for (const [ body, message ] of cases) {
        const text = assertFail(await updateUserinfo(me.token, body), 422);
        if (typeof message === 'string') assert.strictEqual(text, message, JSON.stringify(body));
        else assert.match(text, message, JSON.stringify(body));
      }
      assert.strictEqual(await column(me.id, 'nickname'), '');
    });

    it('401 without a token; a visitor may change its own nickname', async () => {
      assertFail(await updateUserinfo(undefined, { fieldname: 'nickname', fieldValue: 'x' }), 401, MSG.authMissing);
      const visitor = await registerVisitor(app);
      assertOk(await updateUserinfo(visitor.token, { fieldname: 'nickname', fieldValue: '游客小明' }));
      assert.strictEqual(await column(visitor.id, 'nickname'), '游客小明');
    });
  });
});
