import * as assert from 'node:assert';
import { app, mock } from 'egg-mock/bootstrap';
import { assertFail, assertOk, TestUser } from '../../../helpers/api';
import { inParallel } from '../../../helpers/parallel';
import { registerVisitor, TestVisitor } from '../../../helpers/visitor';
import { resetDatabase } from '../../../helpers/db';
import { MSG } from '../../../../app/lib/messages';
import { befriend, call, createGroup, groupState, inbox, lastNotice, users } from './groupHelpers';

/** Owner + one member, and a friend of both who is not in the group yet. */
async function setup(): Promise<{ owner: TestUser; member: TestUser; joiner: TestUser; id: number }> {
  const [ owner, member, joiner ] = await users(app, 3);
  const id = await createGroup(app, owner, [ member ]);
  await befriend(app, owner, [ joiner ]);
  await befriend(app, member, [ joiner ]);
  return { owner, member, joiner, id };
}

function memberOf(state: Awaited<ReturnType<typeof groupState>>, userId: number) {
  return state.members.find(m => m.user_id === userId);
}

const approvals = async (userId: number) => (await inbox(app, userId)).filter(n => n.from_name === '加群处理');

describe('test/app/controller/chat/groupMembers.test.ts', () => {
  before(() => resetDatabase(app));
  afterEach(() => mock.restore());

  describe('POST /api/chat/groupInviteUser', () => {
    it('the owner invites a friend: active from the position before the join notice, the avatar takes them in', async () => {
      const { owner, joiner, id } = await setup();
      const before = await groupState(app, id);
      assert.strictEqual(assertOk(await call.invite(app, owner.token, { group_id: id, user_id: joiner.id, inviteuser_id: owner.id })), MSG.groupJoined);
      const after = await groupState(app, id);
      assert.deepStrictEqual(memberOf(after, joiner.id), { user_id: joiner.id, status: 1, nickname: '', joined_seq: before.group.last_seq, left_seq: null });
      assert.strictEqual(after.group.member_version, before.group.member_version + 1);
      assert.strictEqual(after.group.avatar.split(',').length, 3);
      const notice = await lastNotice(app, id);
      assert.strictEqual(notice.seq, before.group.last_seq + 1);
      assert.strictEqual(notice.text, `[${owner.username}]邀请 [${joiner.username}] 加入了群聊`);
      assert.deepStrictEqual([ notice.payload.from_name, notice.payload.chatType, notice.payload.to_avatar ], [ '加群申请提醒', 'group', after.group.avatar ]);
      assert.match(notice.payload.from_id, new RegExp(`^redirect-applyAddGroup${id}-${joiner.id}-\\d+$`));
    });

    it('a member invites under rule 0 (joins) and rule 1 (the owner is asked; inviteuser_id cannot pretend to be the owner)', async () => {
      const { owner, member, joiner, id } = await setup();
      assertOk(await call.joinRule(app, owner.token, { group_id: id, addGroupSet: 1 }));
      assert.strictEqual(assertOk(await call.invite(app, member.token, { group_id: id, user_id: joiner.id, inviteuser_id: owner.id, addGroupDesc: '同学' })), MSG.groupJoinPending);
      const state = await groupState(app, id);
      assert.deepStrictEqual(memberOf(state, joiner.id), { user_id: joiner.id, status: 2, nickname: '', joined_seq: null, left_seq: null });
      const [ request ] = await approvals(owner.id);
      assert.strictEqual(request.chatType, 'single');
      assert.strictEqual(request.to_id, owner.id);
      assert.strictEqual(request.data.data, `请处理申请 [${member.username}]邀请 [${joiner.username}] 加入了群[${state.group.name}]`);
      assert.strictEqual(request.msgidKey, request.from_id);
      assert.deepStrictEqual({ ...request.redirect.desc, addGroupTime: 0 },
        { addGroupUserType: '邀请进群', inviteUser: member.username, addGroupTime: 0, addGroupDesc: '同学', addGroupUserRole: 'user', msgidKey: request.from_id });
      const url = new URL(request.redirect.url, 'http://x');
      assert.deepStrictEqual([ url.searchParams.get('action'), url.searchParams.get('id'), url.searchParams.get('applyUserid'), url.searchParams.get('applyUsername') ],
        [ 'applyAddGroup', String(id), String(joiner.id), joiner.username ]);
      // Still not a member: the public card, and a second attempt is told to wait.
      assert.deepStrictEqual(assertOk(await call.info(app, joiner.token, id)).group_users, []);
      assertFail(await call.invite(app, member.token, { group_id: id, user_id: joiner.id }), 400, MSG.groupInviteWaiting);

      const [ other ] = await users(app, 1);
      await befriend(app, member, [ other ]);
      assertOk(await call.joinRule(app, owner.token, { group_id: id, addGroupSet: 0 }));
      assert.strictEqual(assertOk(await call.invite(app, member.token, { group_id: id, user_id: other.id })), MSG.groupJoined);
      assert.strictEqual(memberOf(await groupState(app, id), other.id)!.status, 1);
    });

    it('joining myself (the scan page): rule 0 joins without an inviter, rule 1 asks, rule 2 turns visitors away', async () => {
      const { owner, id } = await setup();
      const [ scanner, second ] = await users(app, 2);
      assert.strictEqual(assertOk(await call.invite(app, scanner.token, { group_id: id, user_id: scanner.id, inviteuser_id: -1, addGroupDesc: '当群设置为任何人都可以进入时，用户自主加群群聊' })), MSG.groupJoined);
      assert.strictEqual((await lastNotice(app, id)).text, `[${scanner.username}] 加入了群聊`);
      assertFail(await call.invite(app, scanner.token, { group_id: id, user_id: scanner.id }), 400, MSG.groupInviteAlreadyIn);

      assertOk(await call.joinRule(app, owner.token, { group_id: id, addGroupSet: 1 }));
      assert.strictEqual(assertOk(await call.invite(app, second.token, { group_id: id, user_id: second.id, inviteuser_id: -1 })), MSG.groupJoinPending);
      const [ request ] = await approvals(owner.id);
      assert.strictEqual(request.redirect.desc.addGroupUserType, '用户自主进群');
      assert.strictEqual(request.data.data, `请处理申请 [${second.username}] 加入了群[${(await groupState(app, id)).group.name}]`);

      assertOk(await call.joinRule(app, owner.token, { group_id: id, addGroupSet: 2 }));
      const visitor: TestVisitor = await registerVisitor(app);
      assertFail(await call.invite(app, visitor.token, { group_id: id, user_id: visitor.id }), 400, MSG.groupInviteLoginFirst);
      const [ registered ] = await users(app, 1);
      assert.strictEqual(assertOk(await call.invite(app, registered.token, { group_id: id, user_id: registered.id })), MSG.groupJoinPending);
    });

    it('a visitor may join a rule-0 group by itself, list it, see it, name itself, get the QR code and quit', async () => {
      const { owner, id } = await setup();
      const visitor = await registerVisitor(app);
      assert.strictEqual(assertOk(await call.invite(app, visitor.token, { group_id: id, user_id: visitor.id })), MSG.groupJoined);
      const listed = assertOk(await app.httpRequest().get('/api/chat/grouplist/1').set('token', visitor.token));
      assert.deepStrictEqual(listed.map((g: any) => g.id), [ id ]);
      const members = assertOk(await call.info(app, visitor.token, id)).group_users;
      assert.strictEqual(members.find((m: any) => m.user_id === visitor.id).user.role, 'visitor');
      assertOk(await app.httpRequest().post('/api/chat/groupnickname').set('token', visitor.token)
        .send({ id, nickname: '游客甲' }));
      assert.strictEqual(memberOf(await groupState(app, id), visitor.id)!.nickname, '游客甲');
      const qr = await app.httpRequest().get(`/api/chat/groupQrcode/${id}`).set('token', visitor.token);
      assert.deepStrictEqual([ qr.status, qr.headers['content-type'] ], [ 200, 'image/png' ]);
      assertOk(await call.quit(app, visitor.token, id));
      assert.notStrictEqual(memberOf(await groupState(app, id), visitor.id)!.left_seq, null);
      // The owner is told, under the visitor's group nickname.
      assert.match((await inbox(app, owner.id)).filter(n => n.chatType === 'group').pop().data.data, /^游客甲于 /);
    });

    it('refusals: not a member, not my friend, already in, disabled joiner, missing group', async () => {
      const { owner, member, joiner, id } = await setup();
      const [ stranger, notFriend ] = await users(app, 2);
      await befriend(app, stranger, [ joiner ]);
      assertFail(await call.invite(app, stranger.token, { group_id: id, user_id: joiner.id }), 400, MSG.notInGroupRevoke);
      assertFail(await call.invite(app, member.token, { group_id: id, user_id: notFriend.id }), 400, MSG.groupInviteNotFriend);
      // The owner and the member are friends (the group was made from the owner's contacts).
      assertFail(await call.invite(app, member.token, { group_id: id, user_id: owner.id }), 400, MSG.groupInviteAlreadyIn);
      await app.model.User.update({ status: 0 }, { where: { id: joiner.id } });
      assertFail(await call.invite(app, owner.token, { group_id: id, user_id: joiner.id }), 400, MSG.groupInviteUserMissing);
      assertFail(await call.invite(app, owner.token, { group_id: 999999, user_id: joiner.id }), 400, MSG.groupInviteUnavailable);
      assert.strictEqual(memberOf(await groupState(app, id), joiner.id), undefined);
    });

    it('422 for bad fields, 401 without a token', async () => {
      const { member, joiner, id } = await setup();
      assertFail(await call.invite(app, member.token, { user_id: joiner.id }), 422, '群id不能为空');
      assertFail(await call.invite(app, member.token, { group_id: id }), 422, '用户id不能为空');
      assertFail(await call.invite(app, member.token, { group_id: id, user_id: joiner.id, inviteuser_id: 'x' }), 422, '邀请人的用户id 必须是整数');
      assertFail(await call.invite(app, member.token, { group_id: id, user_id: joiner.id, addGroupDesc: 'x'.repeat(501) }), 422, '加群说明或者邀请说明 的长度 不能超过 500');
      assertFail(await call.invite(app, undefined, { group_id: id, user_id: joiner.id }), 401, MSG.authMissing);
    });

    it('a member who left joins again on the same row, from a new position', async () => {
      const { owner, member, id } = await setup();
      assertOk(await call.quit(app, member.token, id));
      const left = await groupState(app, id);
      assertOk(await call.invite(app, owner.token, { group_id: id, user_id: member.id }));
      const back = await groupState(app, id);
      assert.strictEqual(back.members.filter(m => m.user_id === member.id).length, 1);
      assert.deepStrictEqual(memberOf(back, member.id), { user_id: member.id, status: 1, nickname: '', joined_seq: left.group.last_seq, left_seq: null });
    });

    it('the same user invited several times at once: one member row, one join notice, the others refused', async () => {
      const { owner, joiner, id } = await setup();
      const before = await groupState(app, id);
      const answers = await inParallel(app, 5, () => call.invite(app, owner.token, { group_id: id, user_id: joiner.id }));
      const ok = answers.filter(r => r.status === 200);
      assert.strictEqual(ok.length, 1, JSON.stringify(answers.map(r => r.body)));
      for (const refused of answers.filter(r => r.status !== 200)) assertFail(refused, 400, MSG.groupInviteAlreadyIn);
      const after = await groupState(app, id);
      assert.strictEqual(after.members.filter(m => m.user_id === joiner.id).length, 1);
      assert.strictEqual(after.members.filter(m => m.status === 1 && m.left_seq === null).length, 3);
      assert.strictEqual(after.log.length, before.log.length + 1);
      assert.strictEqual(assertOk(await call.info(app, owner.token, id)).group_users.length, 3);
    });

    it('limits: members per group, groups per user, invitations per day (429)', async () => {
      const { owner, joiner, id } = await setup();
      mock(app.config.chat.group, 'maxMembers', 2);
      assertFail(await call.invite(app, owner.token, { group_id: id, user_id: joiner.id }), 400, MSG.groupMembersFull);
      mock.restore();
      mock(app.config.chat.group, 'maxPerUser', 1);
      const [ elsewhere ] = await users(app, 1);
      assert.ok(await createGroup(app, elsewhere, [ joiner ]));
      assertFail(await call.invite(app, owner.token, { group_id: id, user_id: joiner.id }), 400, MSG.groupTooMany);
      mock.restore();
      mock(app.config.chat.group, 'invitePerUser', { limit: 1, windowSeconds: 60 });
      assertOk(await call.invite(app, owner.token, { group_id: id, user_id: joiner.id }));
      const [ more ] = await users(app, 1);
      await befriend(app, owner, [ more ]);
      const refused = await call.invite(app, owner.token, { group_id: id, user_id: more.id });
      assertFail(refused, 429, MSG.groupInviteTooFrequent);
      assert.ok(Number(refused.headers['retry-after']) >= 1);
    });
  });

  describe('POST /api/chat/groupAgreeOrNo', () => {
    async function pending() {
      const ctx = await setup();
      assertOk(await call.joinRule(app, ctx.owner.token, { group_id: ctx.id, addGroupSet: 1 }));
      assert.strictEqual(assertOk(await call.invite(app, ctx.joiner.token, { group_id: ctx.id, user_id: ctx.joiner.id })), MSG.groupJoinPending);
      return ctx;
    }

    it('agree: the applicant becomes active before the join notice; every member (them too) is told', async () => {
      const { owner, joiner, id } = await pending();
      const before = await groupState(app, id);
      assert.strictEqual(assertOk(await call.agree(app, owner.token, { group_id: id, user_id: joiner.id, type: 'agree' })), MSG.groupHandled);
      const after = await groupState(app, id);
      assert.deepStrictEqual(memberOf(after, joiner.id), { user_id: joiner.id, status: 1, nickname: '', joined_seq: before.group.last_seq, left_seq: null });
      assert.strictEqual(after.group.member_version, before.group.member_version + 1);
      const notice = await lastNotice(app, id);
      assert.deepStrictEqual([ notice.seq, notice.text ], [ before.group.last_seq + 1, `[${joiner.username}] 加入了群聊` ]);
      assert.strictEqual(assertOk(await call.info(app, joiner.token, id)).group_users.length, 3);
    });

    it('no: the application is gone; nothing is told', async () => {
      const { owner, joiner, id } = await pending();
      const before = await groupState(app, id);
      assert.strictEqual(assertOk(await call.agree(app, owner.token, { group_id: id, user_id: joiner.id, type: 'no' })), MSG.groupHandled);
      const after = await groupState(app, id);
      assert.strictEqual(memberOf(after, joiner.id), undefined);
      assert.strictEqual(after.group.last_seq, before.group.last_seq);
      assertFail(await call.agree(app, owner.token, { group_id: id, user_id: joiner.id, type: 'agree' }), 400, MSG.groupAgreeIllegal);
    });

    it('refusals: not the owner, no application, a disabled applicant; 422; visitors 403; 401', async () => {
      const { owner, member, joiner, id } = await pending();
      assertFail(await call.agree(app, member.token, { group_id: id, user_id: joiner.id, type: 'agree' }), 400, MSG.groupManageRefused);
      assertFail(await call.agree(app, owner.token, { group_id: id, user_id: member.id, type: 'agree' }), 400, MSG.groupAgreeIllegal);
      await app.model.User.update({ status: 0 }, { where: { id: joiner.id } });
      assertFail(await call.agree(app, owner.token, { group_id: id, user_id: joiner.id, type: 'agree' }), 400, MSG.groupAgreeUserMissing);
      assert.strictEqual(memberOf(await groupState(app, id), joiner.id)!.status, 2, 'unchanged');
      assertFail(await call.agree(app, owner.token, { group_id: id, user_id: joiner.id, type: 'maybe' }), 422, '同意或者拒绝 的值 `maybe` 必须在 [`agree`、`no`] 中');
      assertFail(await call.agree(app, owner.token, { group_id: id, type: 'agree' }), 422, '进群的用户id不能为空');
      const visitor = await registerVisitor(app);
      assertFail(await call.agree(app, visitor.token, { group_id: id, user_id: joiner.id, type: 'agree' }), 403, MSG.visitorForbidden);
      assertFail(await call.agree(app, undefined, { group_id: id, user_id: joiner.id, type: 'agree' }), 401, MSG.authMissing);
    });

    it('two approvals at once: one member row, one join notice, the other answer 非法操作', async () => {
      const { owner, joiner, id } = await pending();
      const before = await groupState(app, id);
      const answers = await inParallel(app, 2, () => call.agree(app, owner.token, { group_id: id, user_id: joiner.id, type: 'agree' }));
      assert.deepStrictEqual(answers.map(r => r.status).sort(), [ 200, 400 ], JSON.stringify(answers.map(r => r.body)));
      assertFail(answers.find(r => r.status === 400)!, 400, MSG.groupAgreeIllegal);
      const after = await groupState(app, id);
      assert.strictEqual(after.members.filter(m => m.user_id === joiner.id).length, 1);
      assert.strictEqual(after.members.filter(m => m.status === 1 && m.left_seq === null).length, 3);
      assert.strictEqual(after.log.length, before.log.length + 1);
    });

    it('an approval over the member limit is refused', async () => {
      const { owner, joiner, id } = await pending();
      mock(app.config.chat.group, 'maxMembers', 2);
      assertFail(await call.agree(app, owner.token, { group_id: id, user_id: joiner.id, type: 'agree' }), 400, MSG.groupMembersFull);
    });
  });

  describe('POST /api/chat/groupDeleteUser', () => {
    it('the owner removes a member: the removal notice is the last entry they get; the avatar leaves them out', async () => {
      const { owner, member, joiner, id } = await setup();
      assertOk(await call.invite(app, owner.token, { group_id: id, user_id: joiner.id }));
      const before = await groupState(app, id);
      assert.strictEqual(assertOk(await call.remove(app, owner.token, { group_id: id, user_id: member.id })), MSG.groupMemberRemoved);
      const after = await groupState(app, id);
      const notice = await lastNotice(app, id);
      assert.deepStrictEqual([ notice.seq, notice.text ], [ before.group.last_seq + 1, `[${member.username}] 已被群主移出群聊` ]);
      assert.deepStrictEqual(memberOf(after, member.id), { user_id: member.id, status: 1, nickname: '', joined_seq: 0, left_seq: notice.seq });
      assert.strictEqual(after.group.member_version, before.group.member_version + 1);
      assert.strictEqual(after.group.avatar.split(',').length, 2);
      assert.strictEqual(notice.payload.to_avatar, after.group.avatar);
      // At once: no profile, no nickname, no QR code, cannot invite.
      assert.deepStrictEqual(assertOk(await call.info(app, member.token, id)).group_users, []);
      assertFail(await app.httpRequest().post('/api/chat/groupnickname').set('token', member.token)
        .send({ id, nickname: 'x' }), 400, MSG.groupNicknameNotMember);
      assertFail(await app.httpRequest().get(`/api/chat/groupQrcode/${id}`).set('token', member.token), 400, MSG.groupQrcodeRefused);
      assertFail(await call.invite(app, member.token, { group_id: id, user_id: joiner.id }), 400, MSG.notInGroupRevoke);
      assertFail(await call.remove(app, owner.token, { group_id: id, user_id: member.id }), 400, MSG.groupRemoveNotMember);
    });

    it('a pending application is dropped; refusals: myself, not the owner, not in the group; 422; visitors 403; 401', async () => {
      const { owner, member, joiner, id } = await setup();
      assertOk(await call.joinRule(app, owner.token, { group_id: id, addGroupSet: 1 }));
      assertOk(await call.invite(app, joiner.token, { group_id: id, user_id: joiner.id }));
      assertOk(await call.remove(app, owner.token, { group_id: id, user_id: joiner.id }));
      assert.strictEqual(memberOf(await groupState(app, id), joiner.id), undefined);
      assertFail(await call.remove(app, owner.token, { group_id: id, user_id: owner.id }), 400, MSG.groupOwnerRemoveSelf);
      assertFail(await call.remove(app, member.token, { group_id: id, user_id: owner.id }), 400, MSG.groupOwnerOnly);
      assertFail(await call.remove(app, owner.token, { group_id: id, user_id: joiner.id }), 400, MSG.groupRemoveNotMember);
      assertFail(await call.remove(app, owner.token, { group_id: id }), 422, '群成员id不能为空');
      const visitor = await registerVisitor(app);
      assertFail(await call.remove(app, visitor.token, { group_id: id, user_id: member.id }), 403, MSG.visitorForbidden);
      assertFail(await call.remove(app, undefined, { group_id: id, user_id: member.id }), 401, MSG.authMissing);
    });
  });

  describe('POST /api/chat/groupAddUserSet', () => {
    it('the owner sets 0, 1 or 2; others are refused; 422 for anything else; visitors 403; 401', async () => {
      const { owner, member, id } = await setup();
      assert.strictEqual(assertOk(await call.joinRule(app, owner.token, { group_id: id, addGroupSet: '2' })), MSG.settingUpdated);
      assert.strictEqual((await groupState(app, id)).group.invite_confirm, 2);
      assertFail(await call.joinRule(app, member.token, { group_id: id, addGroupSet: 0 }), 400, MSG.groupManageRefused);
      assertFail(await call.joinRule(app, owner.token, { group_id: 999999, addGroupSet: 0 }), 400, MSG.groupManageRefused);
      assertFail(await call.joinRule(app, owner.token, { group_id: id, addGroupSet: 3 }), 422, '进群设置属性值 的值 `3` 必须在 [`0`、`1`、`2`] 中');
      const visitor = await registerVisitor(app);
      assertFail(await call.joinRule(app, visitor.token, { group_id: id, addGroupSet: 0 }), 403, MSG.visitorForbidden);
      assertFail(await call.joinRule(app, undefined, { group_id: id, addGroupSet: 0 }), 401, MSG.authMissing);
      assert.strictEqual((await groupState(app, id)).group.invite_confirm, 2);
    });
  });
});
