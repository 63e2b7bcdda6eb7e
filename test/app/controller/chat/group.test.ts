import * as assert from 'node:assert';
import { app, mock } from 'egg-mock/bootstrap';
import { assertFail, assertOk, get, post, registerUser, TestUser } from '../../../helpers/api';
import { registerVisitor } from '../../../helpers/visitor';
import { resetDatabase } from '../../../helpers/db';
import { MSG } from '../../../../app/lib/messages';
import { befriend, call, createGroup, groupState, inbox, lastNotice, rows, users } from './groupHelpers';

const GROUP_KEYS = [ 'avatar', 'create_time', 'id', 'invite_confirm', 'name', 'order', 'remark', 'status', 'user_id', 'uuid' ];
const MEMBER_KEYS = [ 'avatar', 'create_time', 'groupId', 'group_id', 'id', 'nickname', 'order', 'status', 'user', 'user_id' ];
const CARD_KEYS = [ 'avatar', 'group_users', 'id', 'invite_confirm', 'member_count', 'name', 'remark' ];
const DATE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

function create(token: string | undefined, body: unknown) {
  return post(app, '/api/chat/group/create', token).send(body as object);
}

function rename(token: string | undefined, body: object) {
  return post(app, '/api/chat/groupUpdateName', token).send(body);
}

function setRemark(token: string | undefined, body: object) {
  return post(app, '/api/chat/groupremark', token).send(body);
}

function setNickname(token: string | undefined, body: object) {
  return post(app, '/api/chat/groupnickname', token).send(body);
}

function list(token: string | undefined, suffix = '') {
  return get(app, `/api/chat/grouplist${suffix}`, token);
}

/** An owner, two members and a stranger; the group of the first three. */
async function groupOfThree(): Promise<{ owner: TestUser; a: TestUser; b: TestUser; stranger: TestUser; id: number }> {
  const [ owner, a, b, stranger ] = await users(app, 4);
  const id = await createGroup(app, owner, [ a, b ]);
  return { owner, a, b, stranger, id };
}

describe('test/app/controller/chat/group.test.ts', () => {
  before(() => resetDatabase(app));
  afterEach(() => mock.restore());

  describe('POST /api/chat/group/create', () => {
    it('creates the group from my contact rows: members active from position 0, the creation notice at 1', async () => {
      const owner = await registerUser(app);
      const [ a, b ] = await users(app, 2);
      await app.model.User.update({ nickname: '老二' }, { where: { id: a.id } });
      const rowIds = await befriend(app, owner, [ a, b ]);
      assert.strictEqual(assertOk(await create(owner.token, { userIds: rowIds })), 'ok');
      const [{ id }] = await rows(app, 'SELECT id FROM `group` WHERE user_id = ?', [ owner.id ]);
      const state = await groupState(app, Number(id));
      assert.strictEqual(state.group.name, `${owner.username}、老二、${b.username}`);
      assert.strictEqual(state.group.avatar.split(',').length, 3);
      assert.deepStrictEqual([ state.group.status, state.group.invite_confirm, state.group.remark, state.group.last_seq, state.group.member_version, state.group.closed_seq ],
        [ 1, 0, '', 1, 1, null ]);
      assert.deepStrictEqual(state.members, [ owner, a, b ].map(u => ({ user_id: u.id, status: 1, nickname: '', joined_seq: 0, left_seq: null })));
      assert.strictEqual(state.log.length, 1);
      const { seq, payload, message_id, skip_user_id } = state.log[0];
      assert.deepStrictEqual([ seq, message_id, skip_user_id ], [ 1, null, null ]);
      assert.strictEqual(payload.chatType, 'group');
      assert.strictEqual(payload.type, 'systemNotice');
      assert.deepStrictEqual(payload.data, { data: `${owner.username}创建了一个群，大家可以开始聊天了`, dataType: false, otherData: null });
      assert.deepStrictEqual([ payload.from_id, payload.from_name, payload.to_id, payload.to_name, payload.to_avatar ],
        [ owner.id, owner.username, state.group.id, state.group.name, state.group.avatar ]);
      assert.deepStrictEqual(Object.keys(payload.group).sort(), GROUP_KEYS, 'the group snapshot carries no members');
      assert.match(payload.group.create_time, DATE_TIME);
    });

    it('accepts a form array, drops duplicates, my own row for myself, other users\' rows and blacklisted friends', async () => {
      const [ owner, a, b, c, other ] = await users(app, 5);
      const [ rowA, rowB ] = await befriend(app, owner, [ a, b ]);
      const [ otherRow ] = await befriend(app, other, [ c ]);
      await app.model.Goodfriend.update({ isblack: 1 }, { where: { id: rowB } });
      const res = await post(app, '/api/chat/group/create', owner.token).type('form').send(`userIds=${rowA}&userIds=${rowA}&userIds=${rowB}&userIds=${otherRow}`);
      assert.strictEqual(assertOk(res), 'ok');
      const [{ id }] = await rows(app, 'SELECT id FROM `group` WHERE user_id = ?', [ owner.id ]);
      assert.deepStrictEqual((await groupState(app, Number(id))).members.map(m => m.user_id), [ owner.id, a.id ]);
    });

    it('refuses when no row is one of my friends, and when every friend is disabled', async () => {
      const [ owner, a, other ] = await users(app, 3);
      const [ othersRow ] = await befriend(app, other, [ a ]);
      assertFail(await create(owner.token, { userIds: [ othersRow ] }), 400, MSG.groupCreateNoUsers);
      const [ mine ] = await befriend(app, owner, [ a ]);
      await app.model.User.update({ status: 0 }, { where: { id: a.id } });
      assertFail(await create(owner.token, { userIds: [ mine ] }), 400, MSG.groupCreateUsersMissing);
      assert.strictEqual((await rows(app, 'SELECT id FROM `group` WHERE user_id = ?', [ owner.id ])).length, 0, 'nothing written');
    });

    it('cuts the name at 50 characters without splitting one', async () => {
      const [ owner, ...friends ] = await users(app, 4);
      for (const friend of friends) await app.model.User.update({ nickname: '😀'.repeat(20) }, { where: { id: friend.id } });
      const id = await createGroup(app, owner, friends);
      const { name } = (await groupState(app, id)).group;
      assert.strictEqual([ ...name ].length, 50);
      assert.ok(!/[\ud800-\udbff]$/.test(name), 'no lone surrogate at the end');
    });

    it('422 for a missing, empty, non-integer or too long list; 401 without a token; 403 for a visitor', async () => {
      const owner = await registerUser(app);
      assertFail(await create(owner.token, {}), 422, '选择的好友不能为空');
      assertFail(await create(owner.token, { userIds: [] }), 422, '选择的好友不能为空');
      assertFail(await create(owner.token, { userIds: [ 'x' ] }), 422, '选择的好友 必须是整数');
      assertFail(await create(owner.token, { userIds: [ 0 ] }), 422, '选择的好友 必须大于或等于 1');
      mock(app.config.chat.group, 'maxMembers', 2);
      assertFail(await create(owner.token, { userIds: [ 1, 2, 3 ] }), 422, '选择的好友 最多 2 个');
      assertFail(await create(undefined, { userIds: [ 1 ] }), 401, MSG.authMissing);
      const visitor = await registerVisitor(app);
      assertFail(await create(visitor.token, { userIds: [ 1 ] }), 403, MSG.visitorForbidden);
    });

    it('limits: members per group and groups per user', async () => {
      const [ owner, a, b ] = await users(app, 3);
      const rowIds = await befriend(app, owner, [ a, b ]);
      mock(app.config.chat.group, 'maxMembers', 2);
      assertFail(await create(owner.token, { userIds: rowIds }), 400, MSG.groupMembersFull);
      mock.restore();
      mock(app.config.chat.group, 'maxPerUser', 1);
      assert.strictEqual(assertOk(await create(owner.token, { userIds: [ rowIds[0] ] })), 'ok');
      assertFail(await create(owner.token, { userIds: [ rowIds[1] ] }), 400, MSG.groupTooMany);
    });
  });

  describe('GET /api/chat/grouplist/:page?limit=', () => {
    it('lists my active groups, newest first, each with my own member row only', async () => {
      const [ owner, a, b ] = await users(app, 3);
      const first = await createGroup(app, owner, [ a ]);
      const second = await createGroup(app, owner, [ a, b ]);
      await setNickname(a.token, { id: second, nickname: '我是a' });
      const data = assertOk(await list(a.token, '/1'));
      assert.deepStrictEqual(data.map((g: any) => g.id), [ second, first ]);
      assert.deepStrictEqual(Object.keys(data[0]).sort(), [ ...GROUP_KEYS, 'group_users' ].sort());
      assert.deepStrictEqual(data[0].group_users, [{ group_id: second, user_id: a.id, nickname: '我是a', avatar: '' }]);
      assert.match(data[0].create_time, DATE_TIME);
      assert.deepStrictEqual(assertOk(await list(a.token, '/2?limit=1')).map((g: any) => g.id), [ first ]);
      assert.deepStrictEqual(assertOk(await list(a.token)).length, 2, 'page defaults to 1');
      // After quitting one and the other dissolved: none left.
      assertOk(await call.quit(app, a.token, first));
      assertOk(await call.quit(app, owner.token, second));
      assert.deepStrictEqual(assertOk(await list(a.token, '/1')), []);
    });

    it('clamps the limit, 422 for a bad page, 401 without a token; visitors may list', async () => {
      const user = await registerUser(app);
      assert.deepStrictEqual(assertOk(await list(user.token, '/1?limit=100000')), []);
      assertFail(await list(user.token, '/0'), 422, '页码 必须大于或等于 1');
      assertFail(await list(user.token, '/1?limit=x'), 422, '每页条数 必须是整数');
      assertFail(await list(undefined, '/1'), 401, MSG.authMissing);
      const visitor = await registerVisitor(app);
      assert.deepStrictEqual(assertOk(await list(visitor.token, '/1')), []);
    });
  });

  describe('GET /api/chat/groupinfo/:id', () => {
    it('a member gets the group and its active members with their public profile', async () => {
      const { owner, a, b, id } = await groupOfThree();
      const data = assertOk(await call.info(app, a.token, id));
      assert.deepStrictEqual(Object.keys(data).sort(), [ ...GROUP_KEYS, 'group_users' ].sort());
      assert.deepStrictEqual(data.group_users.map((m: any) => m.user_id), [ owner.id, a.id, b.id ]);
      const member = data.group_users[1];
      assert.deepStrictEqual(Object.keys(member).sort(), MEMBER_KEYS);
      assert.deepStrictEqual(member.user, { id: a.id, username: a.username, avatar: member.user.avatar, nickname: '', role: 'user', uuid: a.uuid });
      assert.deepStrictEqual([ member.group_id, member.groupId, member.status, member.order, member.nickname ], [ id, id, 1, 50, '' ]);
      assert.match(member.create_time, DATE_TIME);
    });

    it('anyone else gets the public card only: no member rows', async () => {
      const { stranger, id } = await groupOfThree();
      const card = assertOk(await call.info(app, stranger.token, id));
      assert.deepStrictEqual(Object.keys(card).sort(), CARD_KEYS);
      assert.deepStrictEqual([ card.id, card.member_count, card.group_users, card.invite_confirm, card.remark ], [ id, 3, [], 0, '' ]);
      const visitor = await registerVisitor(app);
      assert.deepStrictEqual(assertOk(await call.info(app, visitor.token, id)).group_users, []);
    });

    it('refuses a missing or dissolved group; 422 for a bad id; 401 without a token', async () => {
      const { owner, a, id } = await groupOfThree();
      assertFail(await call.info(app, a.token, 999999), 400, MSG.groupInfoMissing);
      assertOk(await call.quit(app, owner.token, id));
      assertFail(await call.info(app, a.token, id), 400, MSG.groupInfoMissing);
      assertFail(await call.info(app, a.token, 'abc'), 422, '群id 必须是整数');
      assertFail(await call.info(app, undefined, id), 401, MSG.authMissing);
    });
  });

  describe('POST /api/chat/groupUpdateName and /api/chat/groupremark', () => {
    it('the owner renames: the name changes and one notice (next position) tells every member', async () => {
      const { owner, id } = await groupOfThree();
      const before = await groupState(app, id);
      assert.strictEqual(assertOk(await rename(owner.token, { id, name: '技术交流群' })), 'ok');
      const after = await groupState(app, id);
      assert.strictEqual(after.group.name, '技术交流群');
      assert.strictEqual(after.group.last_seq, before.group.last_seq + 1);
      assert.strictEqual(after.group.member_version, before.group.member_version, 'not a membership change');
      const notice = await lastNotice(app, id);
      assert.deepStrictEqual([ notice.seq, notice.text, notice.payload.to_name, notice.payload.group.name, notice.payload.from_id ],
        [ after.group.last_seq, '群名称修改为：技术交流群', '技术交流群', '技术交流群', owner.id ]);
      // The same name again within the same second still counts as done (matched, not changed, rows).
      assert.strictEqual(assertOk(await rename(owner.token, { id, name: '技术交流群' })), 'ok');
      assert.strictEqual(assertOk(await setNickname(owner.token, { id, nickname: '群主' })), 'ok');
      assert.strictEqual(assertOk(await setNickname(owner.token, { id, nickname: '群主' })), 'ok');
    });

    it('the owner changes the notice (群公告), told as the original words it', async () => {
      const { owner, id } = await groupOfThree();
      assert.strictEqual(assertOk(await setRemark(owner.token, { id, remark: '明天开会\n请准时' })), 'ok');
      assert.strictEqual((await groupState(app, id)).group.remark, '明天开会\n请准时');
      assert.strictEqual((await lastNotice(app, id)).text, '[公告] \n\n 明天开会\n请准时');
    });

    it('members and strangers are refused, nothing changes; 422 for bad values; visitors 403; 401', async () => {
      const { a, stranger, id } = await groupOfThree();
      const before = await groupState(app, id);
      assertFail(await rename(a.token, { id, name: 'x' }), 400, MSG.groupRenameOwnerOnly);
      assertFail(await rename(stranger.token, { id, name: 'x' }), 400, MSG.groupRenameOwnerOnly);
      assertFail(await setRemark(a.token, { id, remark: 'x' }), 400, MSG.groupRemarkOwnerOnly);
      assertFail(await setRemark(stranger.token, { id: 999999, remark: 'x' }), 400, MSG.groupRemarkOwnerOnly);
      assert.deepStrictEqual(await groupState(app, id), before);
      assertFail(await rename(a.token, { id, name: 'x'.repeat(21) }), 422, '群名称 的长度 必须 在 1 和 20 之间');
      assertFail(await rename(a.token, { id, name: 'a\nb' }), 422, '群名称 不能包含换行符或制表符');
      assertFail(await rename(a.token, { id, name: 'a\u0000b' }), 422, '群名称 不能包含控制字符');
      assertFail(await rename(a.token, { name: 'x' }), 422, '群id不能为空');
      assertFail(await setRemark(a.token, { id, remark: 'x'.repeat(501) }), 422, '群公告 的长度 必须 在 1 和 500 之间');
      assertFail(await setRemark(a.token, { id }), 422, '群公告不能为空');
      const visitor = await registerVisitor(app);
      assertFail(await rename(visitor.token, { id, name: 'x' }), 403, MSG.visitorForbidden);
      assertFail(await setRemark(visitor.token, { id, remark: 'x' }), 403, MSG.visitorForbidden);
      assertFail(await rename(undefined, { id, name: 'x' }), 401, MSG.authMissing);
      assertFail(await setRemark(undefined, { id, remark: 'x' }), 401, MSG.authMissing);
    });
  });

  describe('POST /api/chat/groupnickname', () => {
    it('sets my name in the group, shown in later notices from me; no notice of its own', async () => {
      const { owner, id } = await groupOfThree();
      const before = await groupState(app, id);
      assert.strictEqual(assertOk(await setNickname(owner.token, { id, nickname: '群主大人' })), 'ok');
      const after = await groupState(app, id);
      assert.strictEqual(after.members[0].nickname, '群主大人');
      assert.strictEqual(after.group.last_seq, before.group.last_seq);
      await rename(owner.token, { id, name: '新名字' });
      assert.strictEqual((await lastNotice(app, id)).payload.from_name, '群主大人');
    });

    it('refuses strangers and a dissolved group; 422; 401', async () => {
      const { owner, a, stranger, id } = await groupOfThree();
      assertFail(await setNickname(stranger.token, { id, nickname: 'x' }), 400, MSG.groupNicknameNotMember);
      assertFail(await setNickname(a.token, { id, nickname: 'x'.repeat(21) }), 422, '群昵称 的长度 必须 在 1 和 20 之间');
      assertFail(await setNickname(a.token, { id, nickname: 'a\tb' }), 422, '群昵称 不能包含换行符或制表符');
      assertFail(await setNickname(undefined, { id, nickname: 'x' }), 401, MSG.authMissing);
      assertOk(await call.quit(app, owner.token, id));
      assertFail(await setNickname(a.token, { id, nickname: 'x' }), 400, MSG.groupNicknameNotMember);
    });
  });

  describe('POST /api/chat/groupDeleteOrQuit', () => {
    it('a member quits: receives nothing after the current position; the owner alone is told', async () => {
      const { owner, a, id } = await groupOfThree();
      const before = await groupState(app, id);
      assert.strictEqual(assertOk(await call.quit(app, a.token, id)), 'ok');
      const after = await groupState(app, id);
      const mine = after.members.find(m => m.user_id === a.id)!;
      assert.deepStrictEqual([ mine.left_seq, mine.joined_seq ], [ before.group.last_seq, 0 ]);
      assert.strictEqual(after.group.last_seq, before.group.last_seq, 'no group notice');
      assert.strictEqual(after.group.member_version, before.group.member_version + 1);
      const [ told ] = (await inbox(app, owner.id)).filter(n => n.chatType === 'group');
      assert.match(told.data.data, new RegExp(`^${a.username}于 \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} 已退出群聊$`));
      assert.strictEqual(told.to_id, id);
      assert.deepStrictEqual((await inbox(app, a.id)).filter(n => n.chatType === 'group'), []);
      // Gone for them: the public card; a second quit is refused.
      assert.deepStrictEqual(assertOk(await call.info(app, a.token, id)).group_users, []);
      assertFail(await call.quit(app, a.token, id), 400, MSG.notInGroupRevoke);
    });

    it('the owner dissolves: the dissolve notice is the last entry anyone receives (closed_seq)', async () => {
      const { owner, a, id } = await groupOfThree();
      assert.strictEqual(assertOk(await call.quit(app, owner.token, id)), 'ok');
      const state = await groupState(app, id);
      const notice = await lastNotice(app, id);
      assert.deepStrictEqual([ state.group.status, state.group.closed_seq, state.group.last_seq ], [ 0, notice.seq, notice.seq ]);
      assert.match(notice.text, /^群主于 \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} 解散了该群$/);
      assert.strictEqual(notice.payload.group.status, 0);
      assertFail(await call.quit(app, a.token, id), 400, MSG.groupQuitMissing);
      assertFail(await rename(owner.token, { id, name: 'x' }), 400, MSG.groupRenameOwnerOnly);
    });

    it('refuses a stranger and a missing group; 422; 401', async () => {
      const { stranger, id } = await groupOfThree();
      assertFail(await call.quit(app, stranger.token, id), 400, MSG.notInGroupRevoke);
      assertFail(await call.quit(app, stranger.token, 999999), 400, MSG.groupQuitMissing);
      assertFail(await post(app, '/api/chat/groupDeleteOrQuit', stranger.token).send({}), 422, '群id不能为空');
      assertFail(await call.quit(app, undefined, id), 401, MSG.authMissing);
    });
  });
});
