import * as assert from 'node:assert';
import { app, mock } from 'egg-mock/bootstrap';
import { resetDatabase } from '../../helpers/db';
import { assertOk, post, registerUser, TestUser } from '../../helpers/api';
import { registerVisitor } from '../../helpers/visitor';
import { ChatClient, socketHooks } from '../../helpers/socket';
import { TIP_TEXTS } from '../../../app/lib/tips';

/** The tips on connect (issue 19): the original's senders, pages and order; once per window. */
describe('test/app/socket/tips.test.ts', () => {
  before(async () => {
    await app.ready();
    await resetDatabase(app);
  });
  const { open } = socketHooks(app);
  beforeEach(() => {
    mock(app.config.chat.care.tips, 'enabled', true);
  });
  afterEach(() => mock.restore());

  function tips(client: ChatClient) {
    return client.chats().filter(data => typeof data.from_id === 'string' && data.from_id.startsWith('redirect-'));
  }

  /** Waits until `count` tips arrived, then a little more: none beyond them. */
  async function tipsOf(client: ChatClient, count: number) {
    if (count > 0) await client.waitFor(c => tips(c).length >= count, 5000, `${count} tips`);
    await new Promise(resolve => setTimeout(resolve, 300));
    return tips(client);
  }

  async function withFriendAndGroup(): Promise<TestUser> {
    const me = await registerUser(app);
    const friend = await registerUser(app);
    await app.model.Goodfriend.bulkCreate([{ user_id: me.id, friend_id: friend.id }, { user_id: friend.id, friend_id: me.id }] as any);
    const row = await app.model.Goodfriend.findOne({ where: { user_id: me.id, friend_id: friend.id }, raw: true });
    assertOk(await post(app, '/api/chat/group/create', me.token).send({ userIds: [ row!.id ] }));
    return me;
  }

  it('a registered user gets the nine tips in the original\'s order, with its sender ids and pages', async () => {
    const me = await withFriendAndGroup();
    const client = await open(me.token);
    const got = await tipsOf(client, 9);
    assert.deepStrictEqual(got.map(tip => tip.from_id), [
      'setPassword', 'groupList', 'friendsList', 'userInfoSet', 'whoCanChatMe', 'myQrcode', 'search', 'applyAddMeFriendSet', 'AskAndAnswerSet',
    ].map(name => `redirect-${name}-${me.id}`));
    // The welcome frame comes first.
    assert.strictEqual(client.frames[0].type, 'system');
    for (const tip of got) {
      assert.strictEqual(tip.to_id, me.id);
      assert.strictEqual(tip.msgidKey, tip.from_id);
      assert.strictEqual(tip.chatType, 'single');
      assert.strictEqual(tip.type, 'text');
      assert.strictEqual(tip.redirect.type, 'navigateTo');
      assert.strictEqual(typeof tip.data.data, 'string');
    }
    const byName = new Map(got.map(tip => [ tip.from_id.split('-')[1], tip ]));
    assert.strictEqual(byName.get('setPassword')!.redirect.url, '/pages/setpageInfo/setpageInfo?action=setPassword&title=%E4%BF%AE%E6%94%B9%E5%AF%86%E7%A0%81');
    assert.strictEqual(byName.get('setPassword')!.data.data, TIP_TEXTS.setPassword.text);
    assert.strictEqual(byName.get('friendsList')!.redirect.url, '/pages/friendsList/friendsList');
    assert.strictEqual(byName.get('search')!.redirect.url, '/pages/search/search');
    const qr = new URL(byName.get('myQrcode')!.redirect.url, 'http://x');
    assert.strictEqual(qr.searchParams.get('action'), 'groupQrcode');
    assert.strictEqual(qr.searchParams.get('id'), String(me.id));
    assert.strictEqual(qr.searchParams.get('chatType'), 'single');
    assert.strictEqual(qr.searchParams.get('name'), me.username);
    const avatarTip = byName.get('userInfoSet')!;
    assert.strictEqual(avatarTip.from_avatar, (await app.model.User.findByPk(me.id))!.avatar);
    assert.match(avatarTip.redirect.url, /action=userinfoSet&.*redirectUrl=%2Fpages%2Fxiaoxi%2Fxiaoxi&redirectType=switchTab$/);
  });

  it('no groupList / friendsList tip when there is nothing to list', async () => {
    const me = await registerUser(app);
    const got = await tipsOf(await open(me.token), 7);
    assert.deepStrictEqual(got.map(tip => tip.from_id.split('-')[1]), [ 'setPassword', 'userInfoSet', 'whoCanChatMe', 'myQrcode', 'search', 'applyAddMeFriendSet', 'AskAndAnswerSet' ]);
  });

  it('a visitor gets who-can-chat-with-me and the login tip', async () => {
    const visitor = await registerVisitor(app);
    const got = await tipsOf(await open(visitor.token), 2);
    assert.deepStrictEqual(got.map(tip => tip.from_id), [ `redirect-whoCanChatMe-${visitor.id}`, `redirect-visitorLogin-${visitor.id}` ]);
    assert.strictEqual(got[1].redirect.url, '/pages/loginCenter/loginCenter');
  });

  it('not again on a reconnect within the window; again after it', async () => {
    mock(app.config.chat.care.tips, 'windowSeconds', 1);
    const me = await registerUser(app);
    const first = await open(me.token);
    assert.strictEqual((await tipsOf(first, 7)).length, 7);
    first.ws.terminate();
    const second = await open(me.token);
    assert.strictEqual((await tipsOf(second, 0)).length, 0, 'none within the window');
    second.ws.terminate();
    await new Promise(resolve => setTimeout(resolve, 1100));
    const third = await open(me.token);
    assert.strictEqual((await tipsOf(third, 7)).length, 7);
  });

  it('switched off by configuration: none', async () => {
    mock(app.config.chat.care.tips, 'enabled', false);
    const me = await registerUser(app);
    assert.strictEqual((await tipsOf(await open(me.token), 0)).length, 0);
  });

  it('each socket gets only its own user\'s tips', async () => {
    const a = await registerUser(app);
    const b = await registerUser(app);
    const [ ca, cb ] = await Promise.all([ open(a.token), open(b.token) ]);
    const [ ta, tb ] = await Promise.all([ tipsOf(ca, 7), tipsOf(cb, 7) ]);
    assert.ok(ta.every(tip => tip.to_id === a.id && tip.from_id.endsWith(`-${a.id}`)));
    assert.ok(tb.every(tip => tip.to_id === b.id && tip.from_id.endsWith(`-${b.id}`)));
  });
});
