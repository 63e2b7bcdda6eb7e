import * as assert from 'node:assert';
import { app, mm } from 'egg-mock/bootstrap';
import { resetDatabase } from '../../../helpers/db';
import { AdminClient, adminSession } from '../../../helpers/admin';
import { assertFail, assertOk, get, login, post, registerUser, uniqueName, PASSWORD, TestUser } from '../../../helpers/api';
import { befriend, call, createGroup, groupState, lastNotice, rows } from '../chat/groupHelpers';
import { connectReady, listenApp } from '../../../helpers/socket';
import { ADMIN_MSG, MSG } from '../../../../app/lib/messages';

async function audit(action: string, targetId?: number) {
  const all = await rows(app, 'SELECT * FROM admin_audit_log WHERE action = ? ORDER BY id', [ action ]);
  return targetId === undefined ? all : all.filter(row => Number(row.target_id) === targetId);
}

async function userRow(id: number) {
  return (await rows(app, 'SELECT * FROM `user` WHERE id = ?', [ id ]))[0];
}

/** An authenticated request that succeeds while the token is good. */
function whoAmI(user: { id: number }, token: string) {
  return post(app, '/api/chat/getUserSetInfo', token).send({ userid: user.id });
}

/** Every console route: method, path, the least role. */
const ROUTES: Array<[ 'GET' | 'POST', string, 'viewer' | 'operator' | 'owner' ]> = [
  [ 'GET', '/admin', 'viewer' ],
  [ 'GET', '/admin/users', 'viewer' ],
  [ 'GET', '/admin/users/new', 'operator' ],
  [ 'POST', '/admin/users', 'operator' ],
  [ 'GET', '/admin/users/:id', 'viewer' ],
  [ 'POST', '/admin/users/:id/profile', 'operator' ],
  [ 'POST', '/admin/users/:id/password', 'operator' ],
  [ 'POST', '/admin/users/:id/disable', 'operator' ],
  [ 'POST', '/admin/users/:id/enable', 'operator' ],
  [ 'POST', '/admin/users/:id/delete', 'owner' ],
  [ 'GET', '/admin/audit', 'viewer' ],
];
const RANK = { viewer: 1, operator: 2, owner: 3 };
// An avatar address that would run script when followed.
const SCRIPT_SCHEME = 'javascript';

describe('test/app/controller/admin/users.test.ts', () => {
  let owner: AdminClient;
  let operator: AdminClient;
  let viewer: AdminClient;

  before(async () => {
    await resetDatabase(app);
    owner = (await adminSession(app, 'owner')).client;
    operator = (await adminSession(app, 'operator')).client;
    viewer = (await adminSession(app, 'viewer')).client;
  });
  afterEach(() => mm.restore());

  describe('every route', () => {
    it('without a session: a page redirects to the login, a write is refused (no CSRF secret without a session)', async () => {
      const target = await registerUser(app);
      const anonymous = new AdminClient(app);
      for (const [ method, path ] of ROUTES) {
        const url = path.replace(':id', String(target.id));
        if (method === 'GET') {
          const res = await anonymous.get(url);
          assert.strictEqual(res.status, 302, url);
          assert.strictEqual(res.headers.location, '/admin/login');
        } else {
          const res = await anonymous.post(url, { nickname: 'x', password: 'secret999', username: uniqueName('a') }, { csrf: 'no-session-token' });
          assert.strictEqual(res.status, 403, url);
        }
      }
      assert.strictEqual(Number((await userRow(target.id)).status), 1);
    });

    it("each role's refusals: 403 with the page, and every refused write in the audit log", async () => {
      const target = await registerUser(app);
      for (const [ client, role ] of [[ viewer, 'viewer' ], [ operator, 'operator' ]] as Array<[ AdminClient, 'viewer' | 'operator' ]>) {
        for (const [ method, path, least ] of ROUTES) {
          if (RANK[role] >= RANK[least]) continue;
          const url = path.replace(':id', String(target.id));
          await client.get('/admin');
          const res = method === 'GET' ? await client.get(url) : await client.post(url, { nickname: 'x', password: 'secret999', username: uniqueName('r') });
          assert.strictEqual(res.status, 403, `${role} ${method} ${url}`);
          assert.ok(res.text.includes(ADMIN_MSG.forbidden));
        }
      }
      const refused = await rows(app, "SELECT * FROM admin_audit_log WHERE outcome = 'denied' AND action LIKE 'user.%'");
      assert.ok(refused.some(row => row.action === 'user.disable' && row.admin_username.startsWith('adm_viewer')));
      assert.ok(refused.some(row => row.action === 'user.delete' && row.admin_username.startsWith('adm_operator')));
      const row = await userRow(target.id);
      assert.strictEqual(Number(row.status), 1);
      assert.strictEqual(row.nickname, '');
    });

    it('a write without the CSRF token, or with a forged one, is 403 and recorded; nothing changes', async () => {
      const target = await registerUser(app);
      await operator.get('/admin');
      assert.strictEqual((await operator.post(`/admin/users/${target.id}/disable`, {}, { csrf: false })).status, 403);
      assert.strictEqual((await operator.post(`/admin/users/${target.id}/disable`, {}, { csrf: 'forged-abc-123' })).status, 403);
      assert.strictEqual(Number((await userRow(target.id)).status), 1);
      const refused = await rows(app, "SELECT * FROM admin_audit_log WHERE outcome = 'denied' AND target_id = ?", [ target.id ]);
      assert.strictEqual(refused.length, 2);
      assert.match(refused[0].after_json, /403/);
    });

    it('ids that do not exist: 404 page; ids that are not ids: 422', async () => {
      await owner.get('/admin');
      assert.strictEqual((await owner.get('/admin/users/987654')).status, 404);
      assert.strictEqual((await owner.post('/admin/users/987654/disable')).status, 404);
      assert.strictEqual((await owner.get('/admin/users/abc')).status, 422);
      assert.strictEqual((await owner.get('/admin/users?before=abc')).status, 422);
      assert.strictEqual((await owner.get(`/admin/users?q=${'x'.repeat(51)}`)).status, 422);
      assert.strictEqual((await owner.get('/admin/users?status=7')).status, 422);
      assert.strictEqual((await owner.get('/admin/audit?outcome=maybe')).status, 422);
    });
  });

  describe('GET /admin/users', () => {
    it('keyset pages, newest first; filters by status and role; search by id, username prefix and nickname prefix', async () => {
      mm(app.config.admin, 'pageSize', 2);
      const made: TestUser[] = [];
      for (let i = 0; i < 3; i++) made.push(await registerUser(app, uniqueName('kpage')));
      const first = await viewer.get('/admin/users');
      assert.strictEqual(first.status, 200);
      assert.ok(first.text.indexOf(made[2].username) < first.text.indexOf(made[1].username));
      const next = /id="next-page" href="([^"]+)"/.exec(first.text)![1].replace(/&amp;/g, '&');
      assert.match(next, /before=\d+/);
      const second = await viewer.get(next);
      assert.ok(second.text.includes(made[0].username));
      assert.ok(!second.text.includes(made[2].username));

      mm(app.config.admin, 'pageSize', 50);
      await app.model.query('UPDATE `user` SET status = 0, nickname = ? WHERE id = ?', { replacements: [ 'Zebra小马', made[0].id ] });
      const disabled = await viewer.get('/admin/users?status=0');
      assert.ok(disabled.text.includes(made[0].username));
      assert.ok(!disabled.text.includes(made[1].username));
      assert.ok((await viewer.get(`/admin/users?q=${made[1].id}`)).text.includes(made[1].username));
      const byPrefix = await viewer.get(`/admin/users?q=${encodeURIComponent(made[1].username.slice(0, made[1].username.length - 1))}`);
      assert.ok(byPrefix.text.includes(made[1].username));
      const byNickname = await viewer.get(`/admin/users?q=${encodeURIComponent('Zebra')}`);
      assert.ok(byNickname.text.includes(made[0].username), 'a disabled account is found too');
      assert.ok((await viewer.get('/admin/users?role=visitor')).text.includes('id="users"'));
      assert.ok(!(await viewer.get('/admin/users?role=visitor')).text.includes(made[1].username));
      // LIKE metacharacters match themselves only.
      assert.ok(!(await viewer.get('/admin/users?q=%25')).text.includes(made[1].username));
    });

    it('search and filter forms (GET) carry no CSRF token, which would land in the URL; every POST form carries one', async () => {
      for (const path of [ '/admin/users', '/admin/audit', '/admin/askanswers' ]) {
        const page = await owner.get(path);
        assert.strictEqual(page.status, 200, path);
        const forms: string[] = page.text.match(/<form[\s\S]*?<\/form>/g) ?? [];
        const gets = forms.filter(form => /<form[^>]*method="get"/i.test(form));
        assert.ok(gets.length >= 1, `${path} has a search form`);
        for (const form of gets) assert.ok(!form.includes('_csrf'), `${path}: ${form.slice(0, 80)}`);
        for (const form of forms.filter(f => /<form[^>]*method="post"/i.test(f))) assert.match(form, /name="_csrf" value="[^"]+"/, path);
      }
    });

    it('renders every user-supplied string escaped (a stored XSS in the original)', async () => {
      const user = await registerUser(app);
      const xss = '<img src=x onerror=alert(1)>';
      await app.model.query('UPDATE `user` SET nickname = ?, avatar = ? WHERE id = ?', { replacements: [ xss, 'https://x.test/a.png" onerror="alert(2)', user.id ] });
      for (const page of [ '/admin/users', `/admin/users/${user.id}` ]) {
        const res = await viewer.get(page);
        assert.ok(!res.text.includes(xss), page);
        assert.ok(res.text.includes('&lt;img src=x onerror=alert(1)&gt;'), page);
        assert.ok(!res.text.includes('" onerror="alert(2)'), page);
      }
    });
  });

  describe('GET /admin/users/:id', () => {
    it('shows the profile and the friends and groups counts, never the password hash', async () => {
      const [ a, b ] = [ await registerUser(app), await registerUser(app) ];
      await befriend(app, a, [ b ]);
      const res = await viewer.get(`/admin/users/${a.id}`);
      assert.strictEqual(res.status, 200);
      assert.ok(res.text.includes(a.uuid));
      assert.match(res.text, /好友数<\/dt><dd>1<\/dd>/);
      assert.ok(!res.text.includes('scrypt$'));
      assert.ok(!res.text.includes('id="disable"'), 'a viewer sees no write buttons');
    });
  });

  describe('POST /admin/users', () => {
    it('creates a chat user who can log in; a taken name is refused and nothing half-written; HTML and control characters handled', async () => {
      const username = uniqueName('made');
      await operator.get('/admin/users/new');
      const res = await operator.post('/admin/users', { username, password: PASSWORD, nickname: '<b>新</b>' });
      assert.strictEqual(res.status, 302);
      const id = Number(/\/admin\/users\/(\d+)$/.exec(res.headers.location)![1]);
      assertOk(await login(app, username));
      assert.strictEqual((await rows(app, 'SELECT * FROM user_info WHERE user_id = ?', [ id ])).length, 1);
      const [ entry ] = await audit('user.create', id);
      assert.strictEqual(entry.outcome, 'ok');
      assert.ok(!String(entry.after_json).includes(PASSWORD));

      await operator.get('/admin/users/new');
      const taken = await operator.post('/admin/users', { username: username.toUpperCase(), password: PASSWORD });
      assert.strictEqual(taken.status, 400);
      assert.ok(taken.text.includes(ADMIN_MSG.usernameTaken));
      assert.strictEqual((await rows(app, 'SELECT id FROM `user` WHERE username = ?', [ username ])).length, 1);
      assert.ok((await audit('user.create')).some(row => row.outcome === 'failed'));

      const forms: Array<Record<string, string>> = [{ username: 'ab', password: PASSWORD }, { username: uniqueName('c'), password: PASSWORD, nickname: 'a\u0007b' }, { username: '<script>', password: PASSWORD }];
      for (const form of forms) {
        await operator.get('/admin/users/new');
        assert.strictEqual((await operator.post('/admin/users', form)).status, 422, JSON.stringify(form));
      }
    });
  });

  describe('POST /admin/users/:id/profile and /password', () => {
    it('edits nickname and avatar (an http(s) address only), before → after in the audit log', async () => {
      const user = await registerUser(app);
      await operator.get(`/admin/users/${user.id}`);
      const res = await operator.post(`/admin/users/${user.id}/profile`, { nickname: '新昵称', avatar: 'https://img.test/a.png' });
      assert.strictEqual(res.status, 302);
      const row = await userRow(user.id);
      assert.strictEqual(row.nickname, '新昵称');
      assert.strictEqual(row.avatar, 'https://img.test/a.png');
      const [ entry ] = await audit('user.update', user.id);
      assert.strictEqual(JSON.parse(entry.before_json).nickname, '');
      assert.strictEqual(JSON.parse(entry.after_json).nickname, '新昵称');
      for (const avatar of [ `${SCRIPT_SCHEME}:alert(1)`, 'https://x.test/" onload="x', 'h'.repeat(1001) ]) {
        await operator.get(`/admin/users/${user.id}`);
        assert.strictEqual((await operator.post(`/admin/users/${user.id}/profile`, { nickname: 'n', avatar })).status, 422, avatar);
      }
      assert.strictEqual((await userRow(user.id)).nickname, '新昵称');
    });

    it('resets the password: the old token answers 401, the new password logs in, the hash is never audited', async () => {
      const user = await registerUser(app);
      await operator.get(`/admin/users/${user.id}`);
      assert.strictEqual((await operator.post(`/admin/users/${user.id}/password`, { password: 'brandnew77' })).status, 302);
      assertFail(await post(app, '/api/chat/getUserSetInfo', user.token), 401);
      assertOk(await login(app, user.username, 'brandnew77'));
      const [ entry ] = await audit('user.password', user.id);
      assert.ok(!String(entry.after_json).includes('brandnew77') && !String(entry.after_json).includes('scrypt'));
    });
  });

  describe('POST /admin/users/:id/disable and /enable', () => {
    it('disable: the token answers 401, the socket closes at once, logins are refused with the original text, messages to it refused; enable lets it back in', async () => {
      const [ user, friend ] = [ await registerUser(app), await registerUser(app) ];
      await befriend(app, user, [ friend ]);
      const { port, close } = await listenApp(app);
      const socket = await connectReady(port, user.token);
      try {
        await operator.get(`/admin/users/${user.id}`);
        const res = await operator.post(`/admin/users/${user.id}/disable`);
        assert.strictEqual(res.status, 302);
        const code = await Promise.race([ socket.closed, new Promise(resolve => setTimeout(() => resolve('still open'), 1000)) ]);
        assert.notStrictEqual(code, 'still open', 'the socket closed within a second');
        assertFail(await post(app, '/api/chat/getUserSetInfo', user.token), 401, MSG.authUserDisabled);
        assertFail(await login(app, user.username), 400, MSG.accountMissingOrDisabled);
        assertFail(await post(app, '/api/chat/socket/sendmessage', friend.token).send({ sendto_id: user.id, chatType: 'single', type: 'text', data: 'hi' }), 400, MSG.recipientUnavailable);
        const page = await operator.get(`/admin/users/${user.id}`);
        assert.ok(page.text.includes('id="enable"'));

        assert.strictEqual((await operator.post(`/admin/users/${user.id}/enable`)).status, 302);
        assertFail(await post(app, '/api/chat/getUserSetInfo', user.token), 401, MSG.authInvalid);
        assertOk(await login(app, user.username));
        const [ disabled ] = await audit('user.disable', user.id);
        const [ enabled ] = await audit('user.enable', user.id);
        assert.deepStrictEqual([ JSON.parse(disabled.before_json).status, JSON.parse(disabled.after_json).status ], [ 1, 0 ]);
        assert.deepStrictEqual([ JSON.parse(enabled.before_json).status, JSON.parse(enabled.after_json).status ], [ 0, 1 ]);
        assert.strictEqual(enabled.ip.length > 0, true);
      } finally {
        socket.ws.terminate();
        await close();
      }
    });
    it('enable: a session stored while the account was disabled (a login already past its check) does not come back to life', async () => {
      const user = await registerUser(app);
      await operator.get(`/admin/users/${user.id}`);
      assert.strictEqual((await operator.post(`/admin/users/${user.id}/disable`)).status, 302);
      // The disable's revocation (after its commit) has removed the session…
      const sessionKey = `chat_user_${user.id}`;
      for (const started = Date.now(); await (app as any).kvStore.get(sessionKey) !== null;) {
        assert.ok(Date.now() - started < 5000, 'the disable removed the stored session');
        await new Promise(resolve => setTimeout(resolve, 20));
      }
      // …then comes what a login that read the account just before the disable writes.
      const [ row ] = await rows(app, 'SELECT id, uuid, role, password FROM `user` WHERE id = ?', [ user.id ]);
      const late = await app.mockContext().service.token.issue({ id: Number(row.id), uuid: row.uuid, role: row.role, password: row.password });
      assertFail(await post(app, '/api/chat/getUserSetInfo', late), 401, MSG.authUserDisabled);
      assert.strictEqual((await operator.post(`/admin/users/${user.id}/enable`)).status, 302);
      assertFail(await post(app, '/api/chat/getUserSetInfo', late), 401, MSG.authInvalid);
      assertOk(await get(app, '/api/chat/goodfriendlist/1', assertOk(await login(app, user.username)).token));
    });
  });

  describe('POST /admin/users/:id/delete', () => {
    it('owner only; in one transaction: friend rows and applications both ways, group memberships end; the row stays as a tombstone', async () => {
      const [ gone, friend, groupOwner ] = [ await registerUser(app), await registerUser(app), await registerUser(app) ];
      await befriend(app, gone, [ friend ]);
      await befriend(app, groupOwner, [ gone, friend ]);
      const friendRows = await rows(app, 'SELECT id FROM goodfriend WHERE user_id = ?', [ groupOwner.id ]);
      assertOk(await post(app, '/api/chat/group/create', groupOwner.token).send({ userIds: friendRows.map(r => Number(r.id)) }));
      const [ group ] = await rows(app, 'SELECT id FROM `group` WHERE user_id = ?', [ groupOwner.id ]);
      const before = await groupState(app, group.id);
      // A pending application of theirs: it leaves its target's kept pending count (issue 16) too.
      const stranger = await registerUser(app);
      assertOk(await post(app, '/api/chat/applyfriend', gone.token).send({ friend_id: stranger.id, nickname: 'x' }));
      const pendingOf = async (user: TestUser) => assertOk(await get(app, '/api/chat/listapplyfriend/1', user.token)).pendingCount;
      assert.strictEqual(await pendingOf(stranger), 1);

      await owner.get(`/admin/users/${gone.id}`);
      const res = await owner.post(`/admin/users/${gone.id}/delete`);
      assert.strictEqual(res.status, 302);
      assert.strictEqual(res.headers.location, '/admin/users');
      assert.strictEqual((await rows(app, 'SELECT id FROM goodfriend WHERE user_id = ? OR friend_id = ?', [ gone.id, gone.id ])).length, 0);
      assert.strictEqual((await rows(app, 'SELECT id FROM goodfriendapply WHERE user_id = ? OR friend_id = ?', [ gone.id, gone.id ])).length, 0);
      assert.strictEqual(await pendingOf(stranger), 0, 'the deleted account\'s application left the count');
      const after = await groupState(app, group.id);
      assert.ok(after.group.member_version > before.group.member_version);
      assert.notStrictEqual(after.members.find(m => m.user_id === gone.id)!.left_seq, null);
      const row = await userRow(gone.id);
      assert.deepStrictEqual([ Number(row.is_deleted), Number(row.status) ], [ 1, 0 ]);
      assertFail(await post(app, '/api/chat/getUserSetInfo', gone.token), 401);
      assert.strictEqual((await owner.get(`/admin/users/${gone.id}`)).status, 404);
      assert.strictEqual((await audit('user.delete', gone.id))[0].outcome, 'ok');
    });
  });

  describe('POST /admin/users/:id/delete — the groups the deleted user owned', () => {
    it('pass to the longest-standing remaining member (join position, not row order), with a notice to every member; pending applications withdrawn', async () => {
      const [ gone, first, rejoined, later, applicant ] = [ await registerUser(app), await registerUser(app), await registerUser(app), await registerUser(app), await registerUser(app) ];
      // rejoined's row comes before first's in the member table, but rejoined left and came back later.
      const id = await createGroup(app, gone, [ rejoined, first ]);
      assertOk(await call.quit(app, rejoined.token, id));
      await befriend(app, gone, [ later ]);
      assertOk(await call.invite(app, gone.token, { group_id: id, user_id: later.id }));
      assertOk(await call.invite(app, gone.token, { group_id: id, user_id: rejoined.id }));
      assertOk(await call.joinRule(app, gone.token, { group_id: id, addGroupSet: 1 }));
      assert.strictEqual(assertOk(await call.invite(app, applicant.token, { group_id: id, user_id: applicant.id })), MSG.groupJoinPending);
      const before = await groupState(app, id);

      await owner.get(`/admin/users/${gone.id}`);
      assert.strictEqual((await owner.post(`/admin/users/${gone.id}/delete`)).status, 302);

      const after = await groupState(app, id);
      assert.strictEqual(after.group.user_id, first.id, 'the earliest join position among those left');
      assert.strictEqual(after.group.status, 1);
      const notice = await lastNotice(app, id);
      assert.strictEqual(notice.seq, before.group.last_seq + 1);
      assert.strictEqual(notice.text, `原群主账号已注销，[${first.nickname || first.username}] 成为新群主`);
      assert.strictEqual(notice.payload.group.user_id, first.id);
      assert.strictEqual(notice.payload.type, 'systemNotice');
      // Every remaining member receives it; the deleted owner left before it.
      const goneRow = after.members.find(m => m.user_id === gone.id)!;
      assert.ok(goneRow.left_seq !== null && goneRow.left_seq < notice.seq);
      assert.ok(!after.members.some(m => m.user_id === applicant.id), 'the pending application is withdrawn');
      // The new owner's owner-only routes work, and the applicant may ask again.
      assertOk(await post(app, '/api/chat/groupUpdateName', first.token).send({ id, name: 'renamed' }));
      assert.strictEqual(assertOk(await call.invite(app, applicant.token, { group_id: id, user_id: applicant.id })), MSG.groupJoinPending);
      const [ entry ] = await audit('user.delete', gone.id);
      const recorded = JSON.parse(entry.after_json);
      assert.deepStrictEqual([ recorded.groupsTransferred, recorded.groupsDissolved ], [[{ group: id, owner: first.id }], []]);
    });

    it('a group with no enabled member left is dissolved (its notice last); a group the user only belonged to keeps its owner', async () => {
      const [ gone, disabledMember, otherOwner ] = [ await registerUser(app), await registerUser(app), await registerUser(app) ];
      const owned = await createGroup(app, gone, [ disabledMember ]);
      const joined = await createGroup(app, otherOwner, [ gone, disabledMember ]);
      await operator.get(`/admin/users/${disabledMember.id}`);
      assert.strictEqual((await operator.post(`/admin/users/${disabledMember.id}/disable`)).status, 302);

      await owner.get(`/admin/users/${gone.id}`);
      assert.strictEqual((await owner.post(`/admin/users/${gone.id}/delete`)).status, 302);

      const dissolved = await groupState(app, owned);
      assert.strictEqual(dissolved.group.status, 0);
      assert.strictEqual(dissolved.group.user_id, gone.id, 'no owner was made up');
      assert.strictEqual(dissolved.group.closed_seq, dissolved.group.last_seq);
      assert.match((await lastNotice(app, owned)).text, /解散了该群$/);
      const kept = await groupState(app, joined);
      assert.deepStrictEqual([ kept.group.user_id, kept.group.status ], [ otherOwner.id, 1 ]);
      const [ entry ] = await audit('user.delete', gone.id);
      assert.deepStrictEqual(JSON.parse(entry.after_json).groupsDissolved, [ owned ]);
    });

    it('a failure while handing a group over rolls the whole deletion back: nothing half-written', async () => {
      const [ gone, member ] = [ await registerUser(app), await registerUser(app) ];
      const id = await createGroup(app, gone, [ member ]);
      const before = await groupState(app, id);
      app.mockService('groupLog', 'append', async () => {
        throw new Error('append failed');
      });
      await owner.get(`/admin/users/${gone.id}`);
      const res = await owner.post(`/admin/users/${gone.id}/delete`);
      assert.strictEqual(res.status, 500);
      mm.restore();
      assert.deepStrictEqual(await groupState(app, id), before);
      const row = await userRow(gone.id);
      assert.deepStrictEqual([ Number(row.is_deleted), Number(row.status) ], [ 0, 1 ]);
      assert.strictEqual((await rows(app, 'SELECT id FROM goodfriend WHERE user_id = ?', [ gone.id ])).length, 1);
      assertOk(await whoAmI(gone, gone.token));
    });
  });

  describe('SINGLE_SESSION=0: every session of the account', () => {
    beforeEach(() => mm(app.config.chat, 'singleSession', false));

    it('the user page counts the live sessions and lists their expiries, never a sid or token; a logout drops one', async () => {
      const user = await registerUser(app);
      // The registration's session and a login's.
      const tokens = [ user.token, assertOk(await login(app, user.username)).token as string ];
      const page = await viewer.get(`/admin/users/${user.id}`);
      assert.strictEqual(page.status, 200);
      assert.match(page.text, /id="live-session">2 (个在线会话|live sessions)</);
      const expiries = /<ol id="session-expiries">(.*?)<\/ol>/s.exec(page.text)![1].match(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/g)!;
      assert.strictEqual(expiries.length, 2);
      for (const token of tokens) {
        const sid = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).sid as string;
        assert.ok(!page.text.includes(token) && !page.text.includes(sid));
      }
      assertOk(await post(app, '/api/chat/logout', tokens[0]));
      const after = await viewer.get(`/admin/users/${user.id}`);
      assert.match(after.text, /id="live-session">过期时间 \d{4}-|id="live-session">Expires \d{4}-/);
    });

    it('disable revokes every token for good: after enable the old ones answer 401, a new login works; delete too', async () => {
      const user = await registerUser(app);
      const tokens = [ user.token, assertOk(await login(app, user.username)).token as string ];
      for (const token of tokens) assertOk(await whoAmI(user, token));
      await operator.get(`/admin/users/${user.id}`);
      assert.strictEqual((await operator.post(`/admin/users/${user.id}/disable`)).status, 302);
      for (const token of tokens) assertFail(await post(app, '/api/chat/getUserSetInfo', token), 401, MSG.authUserDisabled);
      assert.strictEqual((await operator.post(`/admin/users/${user.id}/enable`)).status, 302);
      for (const token of tokens) assertFail(await post(app, '/api/chat/getUserSetInfo', token), 401, MSG.authInvalid);
      assert.match((await viewer.get(`/admin/users/${user.id}`)).text, /id="live-session">(无|None)</);
      const fresh = assertOk(await login(app, user.username)).token as string;
      assertOk(await whoAmI(user, fresh));

      await owner.get(`/admin/users/${user.id}`);
      assert.strictEqual((await owner.post(`/admin/users/${user.id}/delete`)).status, 302);
      assertFail(await post(app, '/api/chat/getUserSetInfo', fresh), 401);
      assert.strictEqual((await app.kvStore.listFamily(`chat_user_${user.id}:`)).length, 0, 'no session of it is left in the store');
    });

    it('a password reset by an operator voids every session too; another account keeps its own', async () => {
      const [ user, bystander ] = [ await registerUser(app), await registerUser(app) ];
      const token = assertOk(await login(app, user.username)).token as string;
      const other = assertOk(await login(app, bystander.username)).token as string;
      await operator.get(`/admin/users/${user.id}`);
      assert.strictEqual((await operator.post(`/admin/users/${user.id}/password`, { password: 'another123' })).status, 302);
      assertFail(await post(app, '/api/chat/getUserSetInfo', token), 401, MSG.authInvalid);
      assertOk(await whoAmI(bystander, other));
      assertOk(await login(app, user.username, 'another123'));
    });
  });

  describe('GET /admin/users/:id — recent sessions and devices', () => {
    it('the live session (exists, its expiry) from the store, the last login and address, the device columns; never the token, sid or hash', async () => {
      const user = await registerUser(app);
      const logged = await login(app, user.username);
      const token = assertOk(logged).token as string;
      await app.model.query("UPDATE `user` SET uniplatform = 'android', devicebrand = '<b>brand</b>' WHERE id = ?", { replacements: [ user.id ] });
      const before = Date.now();
      const page = await viewer.get(`/admin/users/${user.id}`);
      assert.strictEqual(page.status, 200);
      const live = /id="live-session">([^<]*)</.exec(page.text)![1];
      const expires = /(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)/.exec(live);
      assert.ok(expires, live);
      const ttl = new Date(expires[1].replace(' ', 'T') + 'Z').getTime() - before;
      assert.ok(Math.abs(ttl - app.config.chat.tokenTtlSeconds * 1000) < 60_000, String(ttl));
      const row = await userRow(user.id);
      assert.ok(/id="last-login">\d{4}-/.test(page.text));
      assert.ok(page.text.includes(row.last_login_ip));
      assert.ok(/id="device">[^<]*android/.test(page.text));
      assert.ok(page.text.includes('&lt;b&gt;brand&lt;/b&gt;'));
      const sid = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).sid as string;
      assert.ok(sid && sid.length >= 8, sid);
      for (const secret of [ token, sid, row.password, user.token ]) assert.ok(!page.text.includes(secret));

      await operator.get(`/admin/users/${user.id}`);
      assert.strictEqual((await operator.post(`/admin/users/${user.id}/disable`)).status, 302);
      const after = await viewer.get(`/admin/users/${user.id}`);
      assert.ok(after.text.includes('id="live-session">无<') || after.text.includes('id="live-session">None<'), /id="live-session">([^<]*)</.exec(after.text)![1]);
    });
  });
});
