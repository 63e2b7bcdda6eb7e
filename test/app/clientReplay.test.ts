import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { resetDatabase } from '../helpers/db';
import { assertOk, recordToken } from '../helpers/api';
import { newDeviceId, signFor } from '../helpers/visitor';

/**
 * The course client's own screens, in the order they call the server, with what the client sends:
 * JSON bodies, the `token` header, `X-Security-Sign` on the login page (pages/loginCenter/visitor.js,
 * reglogin.js, the user page, the applications list, contacts, the chat settings page). Each step reads
 * the answer the way the client reads it.
 */
describe('test/app/clientReplay.test.ts', () => {
  before(() => resetDatabase(app));

  const http = {
    get: (path: string, token?: string) => {
      const req = app.httpRequest().get(path);
      return token ? req.set('token', token) : req;
    },
    post: (path: string, body: object, token?: string, headers: Record<string, string> = {}) => {
      const req = app.httpRequest().post(path).set('Content-Type', 'application/json');
      for (const [ name, value ] of Object.entries(headers)) req.set(name, value);
      return (token ? req.set('token', token) : req).send(JSON.stringify(body));
    },
  };

  /** The login page: visitorRegister at launch, then `/api/visitor${pagetype}Chat` with the form. */
  async function launch(deviceId: string) {
    const { sign, timestamp } = signFor(app, deviceId);
    const data = assertOk(await http.post('/api/visitorRegister', { deviceId, timestamp, uniplatform: 'web', devicemodel: 'unknown', deviceos: 'unknown', devicebrand: 'unknown' }, undefined, { 'X-Security-Sign': sign }));
    recordToken(data.token);
    return data;
  }
  async function regloginSubmit(pagetype: 'reg' | 'login', deviceId: string, username: string, password: string) {
    const { sign, timestamp } = signFor(app, deviceId);
    // The page posts its whole form (repassword included); the server reads what it needs.
    const data = assertOk(await http.post(`/api/visitor${pagetype}Chat`, { username, password, repassword: password, deviceId, timestamp }, undefined, { 'X-Security-Sign': sign }));
    recordToken(data.token);
    return data;
  }

  it('visitor → formal registration → search → profile → apply → the other side checks and agrees → contacts → settings → delete', async () => {
    // Alice launches the app on her phone: a visitor, then registers on the login page.
    const aliceDevice = newDeviceId();
    const aliceVisitor = await launch(aliceDevice);
    assert.strictEqual(aliceVisitor.role, 'visitor');
    const alice = await regloginSubmit('reg', aliceDevice, 'alice_h5', 'alice-pass');
    assert.strictEqual(alice.id, aliceVisitor.id);
    assert.strictEqual(alice.role, 'user');

    // Bob already has an account and logs in from his device.
    const bobDevice = newDeviceId();
    await launch(bobDevice);
    assertOk(await http.post('/api/regChat', { username: 'bob_h5', password: 'bob-pass' }));
    const bob = await regloginSubmit('login', bobDevice, 'bob_h5', 'bob-pass');

    // Alice searches for bob and opens his page (the page loads the profile without a token).
    const hits = assertOk(await http.post('/api/chat/searchUser', { keyword: 'bob' }, alice.token));
    const hit = hits.find((h: any) => h.username === 'bob_h5');
    assert.ok(hit, JSON.stringify(hits));
    const profile = assertOk(await http.get(`/api/userinfo/${hit.uuid}`));
    assert.strictEqual(profile.id, bob.id);
    const userset = JSON.parse(profile.userset);
    assert.ok(userset.chatset.user);

    // The chat settings page asks first, then "add friend" applies (bob needs to approve).
    const setInfo = assertOk(await http.post('/api/chat/getUserSetInfo', { userid: profile.id }, alice.token));
    assert.strictEqual(setInfo.isgoodfriend, false);
    assert.strictEqual(setInfo.invite_confirm, 1);
    assert.strictEqual(assertOk(await http.post('/api/chat/applyfriend', { friend_id: profile.id, nickname: '我是alice' }, alice.token)), 'ok');

    // Bob opens his applications, taps alice: the page checks isApplyfriend, then agrees.
    const applications = assertOk(await http.get('/api/chat/listapplyfriend/1', bob.token));
    assert.strictEqual(applications.pendingCount, 1);
    const item = applications.alldata[0];
    assert.strictEqual(item.user.uuid, alice.uuid);
    const pending = assertOk(await http.post(`/api/chat/isApplyfriend/${item.user.uuid}`, {}, bob.token));
    assert.strictEqual(pending.id, item.id);
    assertOk(await http.post(`/api/chat/handleapply/${pending.id}`, { status: 'agree', nickname: 'Alice' }, bob.token));

    // Both contact lists, the friend check of the chat page, the profile.
    const bobContacts = assertOk(await http.get('/api/chat/goodfriendlist/1', bob.token));
    assert.deepStrictEqual(bobContacts.rows.indexList, [ 'A' ]);
    assert.strictEqual(bobContacts.rows.newList[0].list[0].name, 'Alice');
    const aliceContacts = assertOk(await http.get('/api/chat/goodfriendlist/1', alice.token));
    assert.strictEqual(aliceContacts.count, 1);
    const row = assertOk(await http.post(`/api/chat/ismygoodfriend/${bob.id}`, {}, alice.token));
    assert.strictEqual(row.friend_id, bob.id);
    assert.strictEqual(assertOk(await http.post('/api/chat/getUserSetInfo', { userid: bob.id }, alice.token)).isgoodfriend, true);
    assert.strictEqual(assertOk(await http.get(`/api/chat/getgoodfriendinfo/${alice.id}`, bob.token)).nickname, 'Alice');

    // Alice's "my" page: nickname and chat settings; bob's contacts show the nickname only where he set no remark.
    assertOk(await http.post('/api/chat/updateUserinfo', { fieldname: 'nickname', fieldValue: '爱丽丝' }, alice.token));
    assertOk(await http.post('/api/chat/userset', { userset: JSON.stringify({ chatset: { visitor: { sendCount: 0, needFollow: false }, user: { sendCount: 2, needFollow: false } } }) }, alice.token));
    const mine = assertOk(await http.get(`/api/userinfo/${alice.uuid}`));
    assert.strictEqual(mine.nickname, '爱丽丝');
    assert.strictEqual(JSON.parse(mine.userset).chatset.user.sendCount, 2);

    // The chat settings page: delete friend. Both sides' contacts are empty at once.
    assert.strictEqual(assertOk(await http.post(`/api/chat/deletegoodfriend/${bob.id}`, {}, alice.token)), '删除好友成功');
    assert.strictEqual(assertOk(await http.get('/api/chat/goodfriendlist/1', alice.token)).count, 0);
    assert.strictEqual(assertOk(await http.get('/api/chat/goodfriendlist/1', bob.token)).count, 0);

    // Alice logs out; the app falls back to visitor mode on the same device: a fresh visitor identity.
    assertOk(await http.post('/api/chat/logout', {}, alice.token));
    const again = await launch(aliceDevice);
    assert.strictEqual(again.role, 'visitor');
    assert.notStrictEqual(again.id, alice.id);
  });
});
