import * as assert from 'node:assert';
import { app, mock } from 'egg-mock/bootstrap';
import WebSocket from 'ws';
import { resetDatabase } from '../../helpers/db';
import { assertFail, assertOk, login, post, registerUser, TestUser } from '../../helpers/api';
import { registerVisitor } from '../../helpers/visitor';
import { ChatClient, connect, connectReady, listenApp } from '../../helpers/socket';
import { MSG } from '../../../app/lib/messages';
import { CLOSE, FRAME_TEXT } from '../../../app/delivery/frames';
import { IDEMPOTENCY_KEY_REUSED } from '../../../app/service/message';

const MESSAGE_KEYS = [ 'chatType', 'create_time', 'data', 'from_avatar', 'from_id', 'from_name', 'id', 'isremove', 'options', 'sendUUid', 'to_avatar', 'to_id', 'to_name', 'type' ];

let port = 0;
let server: import('node:http').Server;
let stop: () => Promise<void>;
const clients: ChatClient[] = [];

async function open(token: string): Promise<ChatClient> {
  const client = await connectReady(port, token);
  clients.push(client);
  return client;
}

function send(from: TestUser, to: { id: number }, data: string, extra: Record<string, unknown> = {}) {
  return post(app, '/api/chat/socket/sendmessage', from.token).send({ sendto_id: to.id, chatType: 'single', type: 'text', data, ...extra });
}

async function friends(a: TestUser, b: TestUser) {
  await app.model.Goodfriend.bulkCreate([{ user_id: a.id, friend_id: b.id }, { user_id: b.id, friend_id: a.id }] as any);
}

async function pair(): Promise<[ TestUser, TestUser ]> {
  const a = await registerUser(app);
  const b = await registerUser(app);
  await friends(a, b);
  return [ a, b ];
}

describe('test/app/socket/server.test.ts', () => {
  before(async () => {
    await app.ready();
    await resetDatabase(app);
    ({ port, server, close: stop } = await listenApp(app));
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.ws.terminate();
  });

  after(async () => {
    await stop();
  });

  describe('GET /ws?token=', () => {
    it('opens for a live session and sends the welcome frame', async () => {
      const me = await registerUser(app);
      const client = await open(me.token);
      assert.strictEqual(client.frames[0].type, 'system');
      assert.strictEqual(client.frames[0].data, FRAME_TEXT.welcome);
      assert.strictEqual(typeof client.frames[0].timestamp, 'number');
    });

    it('production profile: presence as the original\'s online_<id>, expiring, removed on close', async function() {
      const redis = (app as any).redis;
      if (!redis) this.skip();
      const me = await registerUser(app);
      const client = await open(me.token);
      const deadline = Date.now() + 3000;
      while (!await redis.get(`online_${me.id}`) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20));
      assert.match(String(await redis.get(`online_${me.id}`)), /:\d+$/);
      assert.ok(await redis.ttl(`online_${me.id}`) > 0, 'it expires');
      client.ws.terminate();
      await client.closed;
      const gone = Date.now() + 3000;
      while (await redis.get(`online_${me.id}`) && Date.now() < gone) await new Promise(resolve => setTimeout(resolve, 20));
      assert.strictEqual(await redis.get(`online_${me.id}`), null);
    });

    it('a visitor token opens it too', async () => {
      const visitor = await registerVisitor(app);
      await open(visitor.token);
    });

    it('refuses a missing, forged, logged-out or disabled token with a fail frame and a close that is not 1006', async () => {
      const cases: Array<[ string | undefined, string ]> = [[ undefined, FRAME_TEXT.missingToken ], [ 'not.a.token', MSG.authInvalid ]];
      const loggedOut = await registerUser(app);
      assertOk(await post(app, '/api/chat/logout', loggedOut.token));
      cases.push([ loggedOut.token, MSG.authInvalid ]);
      for (const [ token, message ] of cases) {
        const client = await connect(port, token);
        const code = await client.closed;
        assert.strictEqual(code, CLOSE.sessionEnded, String(message));
        assert.deepStrictEqual(client.frames, [{ msg: 'fail', data: message }]);
      }
      // A disabled account: the original's text for it, and its own close code.
      const disabled = await registerUser(app);
      await app.model.User.update({ status: 0 }, { where: { id: disabled.id } });
      const client = await connect(port, disabled.token);
      assert.strictEqual(await client.closed, CLOSE.disabled);
      assert.deepStrictEqual(client.frames, [{ msg: 'fail', data: FRAME_TEXT.disabled }]);
    });

    it('answers 404 for another path and never reads a token from a header instead', async () => {
      const me = await registerUser(app);
      await assert.rejects(connect(port, me.token, { path: '/socket' }), (err: any) => err.status === 404);
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { token: me.token } });
      const client = new ChatClient(ws);
      assert.strictEqual(await client.closed, CLOSE.sessionEnded);
      assert.strictEqual(client.frames[0].data, FRAME_TEXT.missingToken);
    });

    it('answers the client\'s {type:"ping"} with {type:"pong"}; ignores other frames', async () => {
      const me = await registerUser(app);
      const client = await open(me.token);
      client.ws.send('{"type":"hello"}');
      client.ws.send('not json');
      client.ws.send(JSON.stringify({ type: 'ping', token: me.token }));
      await client.waitFor(c => c.frames.some(f => f.type === 'pong'));
      assert.strictEqual(client.closeCode, undefined);
    });

    it('a flood of frames, a binary frame or an oversized frame closes that socket only', async () => {
      const [ a, b ] = await pair();
      const bystander = await open(b.token);
      const flooder = await open(a.token);
      for (let i = 0; i < app.config.chat.socket.maxFramesPer10s + 5; i++) flooder.ws.send('{"type":"x"}');
      assert.strictEqual(await flooder.closed, CLOSE.policy);

      const relogged = assertOk(await login(app, a.username)).token;
      const binary = await open(relogged);
      binary.ws.send(Buffer.from([ 1, 2, 3 ]), { binary: true });
      assert.strictEqual(await binary.closed, CLOSE.policy);

      const again = assertOk(await login(app, a.username)).token;
      const big = await open(again);
      big.ws.send('x'.repeat(app.config.chat.socket.maxPayloadBytes + 1));
      assert.strictEqual(await big.closed, 1009);
      // The other user's socket is untouched and still gets messages.
      assertOk(await send({ ...a, token: assertOk(await login(app, a.username)).token }, b, 'still here'));
      await bystander.waitForChats(1);
      assert.strictEqual(bystander.closeCode, undefined);
    });
  });

  describe('churn', () => {
    it('five hundred connect/disconnect cycles leave no socket, subscription or listener behind', async () => {
      const me = await registerUser(app);
      const baseline = app.chatSockets.size;
      const target = port;
      for (let round = 0; round < 25; round++) {
        const batch = await Promise.all(Array.from({ length: 20 }, () => connect(target, me.token)));
        for (const client of batch) client.ws.terminate();
        await Promise.all(batch.map(client => client.closed));
      }
      await eventuallyTrue(() => app.chatSockets.size === baseline);
      const counts: Map<number, number> | undefined = (app.chatBus as any).counts;
      if (counts) await eventuallyTrue(() => !counts.has(me.id));
      assert.ok(server.listenerCount('upgrade') === 1);
    });
  });

  describe('delivery', () => {
    it('online: the recipient\'s socket gets the message object the sender got as its answer', async () => {
      const [ a, b ] = await pair();
      const client = await open(b.token);
      const answer = assertOk(await send(a, b, '你好', { options: encodeURIComponent(JSON.stringify({ k: 1 })) }));
      assert.deepStrictEqual(Object.keys(answer).sort(), MESSAGE_KEYS);
      assert.strictEqual(answer.from_id, a.id);
      assert.strictEqual(answer.to_id, b.id);
      assert.deepStrictEqual(answer.options, { k: 1 });
      const [ received ] = await client.waitForChats(1);
      assert.deepStrictEqual(received, answer);
      const frame = client.frames.find(f => f.type === 'singleChat')!;
      assert.strictEqual(typeof frame.timestamp, 'number');
    });

    it('offline then back: everything sent meanwhile arrives in order on connect, once; chatGetmessageOffLine adds nothing twice', async () => {
      const [ a, b ] = await pair();
      const sent: string[] = [];
      for (let i = 0; i < 5; i++) sent.push(assertOk(await send(a, b, `离线 ${i}`)).id);
      const client = await open(b.token);
      const chats = await client.waitForChats(5);
      assert.deepStrictEqual(chats.map(c => c.id), sent);
      assertOk(await post(app, '/api/chat/chatGetmessageOffLine', b.token));
      await new Promise(resolve => setTimeout(resolve, 300));
      assert.strictEqual(client.chats().length, 5);
      // Confirmed receipt (the pong): a new socket gets nothing old.
      await waitForCursor(b.id, 5);
      client.close();
      await client.closed;
      const next = await open(b.token);
      assertOk(await post(app, '/api/chat/chatGetmessageOffLine', b.token));
      await new Promise(resolve => setTimeout(resolve, 300));
      assert.strictEqual(next.chats().length, 0);
    });

    it('keeps the order of 100 messages', async () => {
      const [ a, b ] = await pair();
      const client = await open(b.token);
      const ids: string[] = [];
      for (let i = 0; i < 100; i++) ids.push(assertOk(await send(a, b, `#${i}`)).id);
      const chats = await client.waitForChats(100, 20000);
      assert.deepStrictEqual(chats.map(c => c.id), ids);
      assert.deepStrictEqual(chats.map(c => c.data), ids.map((_, i) => `#${i}`));
    });

    it('nobody sees the other side\'s private remark: each side sees its own', async () => {
      const [ a, b ] = await pair();
      await app.model.Goodfriend.update({ nickname: 'A在B这里的备注' }, { where: { user_id: b.id, friend_id: a.id } });
      await app.model.Goodfriend.update({ nickname: 'B在A这里的备注' }, { where: { user_id: a.id, friend_id: b.id } });
      const client = await open(b.token);
      const answer = assertOk(await send(a, b, 'hi'));
      const [ received ] = await client.waitForChats(1);
      // A's view: A's own name, B under A's remark. B's view: A under B's remark, B's own name.
      assert.deepStrictEqual([ answer.from_name, answer.to_name ], [ a.username, 'B在A这里的备注' ]);
      assert.deepStrictEqual([ received.from_name, received.to_name ], [ 'A在B这里的备注', b.username ]);
      assert.deepStrictEqual({ ...received, from_name: 0, to_name: 0 }, { ...answer, from_name: 0, to_name: 0 });
      const notice = assertOk(await post(app, '/api/chat/revokeMessage', a.token).send({ id: answer.id, chatType: 'single', to_id: b.id }));
      assert.strictEqual(notice.data.data, `${a.username}撤回了一条消息`);
    });

    it('a retry with the same client_msg_id (or Idempotency-Key) answers the first message and delivers once', async () => {
      const [ a, b ] = await pair();
      const client = await open(b.token);
      const first = assertOk(await send(a, b, 'once', { client_msg_id: 'm-1' }));
      const retry = assertOk(await send(a, b, 'once', { client_msg_id: 'm-1' }));
      assert.deepStrictEqual(retry, first);
      const byHeader = assertOk(await send(a, b, 'twice').set('Idempotency-Key', 'm-2'));
      assert.strictEqual(assertOk(await send(a, b, 'twice').set('Idempotency-Key', 'm-2')).id, byHeader.id);
      // The key names one message: another recipient or content with it is refused; an empty key is none.
      assertFail(await send(a, b, 'something else', { client_msg_id: 'm-1' }), 422, IDEMPOTENCY_KEY_REUSED);
      const unkeyed = assertOk(await send(a, b, 'no key', { client_msg_id: '' }));
      await client.waitForChats(3);
      await new Promise(resolve => setTimeout(resolve, 200));
      assert.deepStrictEqual(client.chats().map(c => c.id), [ first.id, byHeader.id, unkeyed.id ]);
      assert.strictEqual(await app.model.query('SELECT COUNT(*) AS n FROM message WHERE from_id = ?', { replacements: [ a.id ], plain: true }).then((r: any) => Number(r.n)), 3);
    });
  });

  describe('POST /api/chat/revokeMessage', () => {
    it('online: the recipient gets the revoke notice; the stored message is marked, not deleted', async () => {
      const [ a, b ] = await pair();
      const client = await open(b.token);
      const message = assertOk(await send(a, b, '说错了'));
      const notice = assertOk(await post(app, '/api/chat/revokeMessage', a.token).send({
        id: message.id, chatType: 'single', to_id: b.id, to_name: message.to_name, to_avatar: message.to_avatar, create_time: message.create_time,
      }));
      assert.strictEqual(notice.actionType, 'revoke');
      assert.strictEqual(notice.id, message.id);
      assert.strictEqual(notice.type, 'systemNotice');
      const chats = await client.waitForChats(2);
      assert.strictEqual(chats[1].actionType, 'revoke');
      assert.strictEqual(chats[1].id, message.id);
      const row: any = await app.model.query('SELECT isremove FROM message WHERE uuid = ?', { replacements: [ message.id ], plain: true });
      assert.strictEqual(Number(row.isremove), 1);
      // Again: the same notice, nothing new pushed.
      assertOk(await post(app, '/api/chat/revokeMessage', a.token).send({ id: message.id, chatType: 'single', to_id: b.id }));
      await new Promise(resolve => setTimeout(resolve, 200));
      assert.strictEqual(client.chats().length, 2);
    });

    it('offline: the notice comes with the offline fetch, after the message', async () => {
      const [ a, b ] = await pair();
      const message = assertOk(await send(a, b, '撤回我'));
      assertOk(await post(app, '/api/chat/revokeMessage', a.token).send({ id: message.id, chatType: 'single', to_id: b.id }));
      const client = await open(b.token);
      const chats = await client.waitForChats(2);
      assert.deepStrictEqual(chats.map(c => [ c.id, c.actionType ?? 'message' ]), [[ message.id, 'message' ], [ message.id, 'revoke' ]]);
    });

    it('only the sender, only within the window; 401, 422', async () => {
      const [ a, b ] = await pair();
      const message = assertOk(await send(a, b, 'mine'));
      assertFail(await post(app, '/api/chat/revokeMessage', b.token).send({ id: message.id, chatType: 'single', to_id: b.id }), 400, MSG.messageMissing);
      // Sent six minutes ago.
      const { REVOKE_WINDOW_MS } = { REVOKE_WINDOW_MS: app.config.chat.message.revokeWindowSeconds * 1000 };
      const stale = JSON.stringify({ ...message, create_time: Date.now() - REVOKE_WINDOW_MS - 60_000 });
      await app.model.query('UPDATE chat_inbox SET payload = ? WHERE user_id = ? AND payload LIKE ?', { replacements: [ stale, b.id, `%${message.id}%` ] });
      assertFail(await post(app, '/api/chat/revokeMessage', a.token).send({ id: message.id, chatType: 'single', to_id: b.id }), 400, MSG.revokeTooLate);
      assertFail(await post(app, '/api/chat/revokeMessage').send({ id: message.id, chatType: 'single', to_id: b.id }), 401, MSG.authMissing);
      assertFail(await post(app, '/api/chat/revokeMessage', a.token).send({ id: 'x', chatType: 'single', to_id: b.id }), 422, '消息uuid 的长度 必须 在 36 和 36 之间');
      assertFail(await post(app, '/api/chat/revokeMessage', a.token).send({ id: message.id, chatType: 'room', to_id: b.id }), 422);
    });
  });

  describe('POST /api/chat/socket/sendmessage refusals', () => {
    it('the original\'s refusals: missing recipient, blacklisted, strangers per the recipient\'s settings', async () => {
      const [ a, b ] = await pair();
      assertFail(await send(a, { id: 2147483647 }, 'x'), 400, MSG.recipientUnavailable);
      assertFail(await send(a, a, 'x'), 400, MSG.sendToSelf);
      await app.model.Goodfriend.update({ isblack: 1 }, { where: { user_id: b.id, friend_id: a.id } });
      assertFail(await send(a, b, 'x'), 400, MSG.blockedByRecipient);
      // A stranger may send one message by default, then no more — online or not.
      const stranger = await registerUser(app);
      assertOk(await send(stranger, b, 'hello?'));
      assertFail(await send(stranger, b, 'hello??'), 400, MSG.strangerOneMessage);
      // Settings: 0 = friends only, 2 = no limit.
      assertOk(await post(app, '/api/chat/userset', b.token).send({ userset: '{"chatset":{"visitor":0,"user":2}}' }));
      assertOk(await send(stranger, b, 'now unlimited'));
      const visitor = await registerVisitor(app);
      assertFail(await post(app, '/api/chat/socket/sendmessage', visitor.token).send({ sendto_id: b.id, chatType: 'single', type: 'text', data: 'hi' }), 400, MSG.strangerNeedsLogin);
      assertOk(await post(app, '/api/chat/userset', b.token).send({ userset: '{"chatset":{"visitor":1,"user":0}}' }));
      assertFail(await send(stranger, b, 'x'), 400, MSG.strangerNeedsFriendship);
      assertOk(await post(app, '/api/chat/socket/sendmessage', visitor.token).send({ sendto_id: b.id, chatType: 'single', type: 'text', data: 'hi' }));
      assertFail(await send(a, b, 'x', { chatType: 'group' }), 400, MSG.groupUnavailable);
    });

    it('422 for unknown chatType/type, oversized data, non-JSON options; 401 without a token; 429 past the send limit', async () => {
      const [ a, b ] = await pair();
      assertFail(await send(a, b, 'x', { chatType: 'room' }), 422);
      assertFail(await send(a, b, 'x', { type: 'exe' }), 422);
      assertFail(await send(a, b, 'x'.repeat(app.config.chat.message.maxDataLength + 1)), 422);
      assertFail(await send(a, b, 'x', { options: '{not json' }), 422, '额外参数 必须是 JSON 对象字符串');
      assertFail(await send(a, b, 'x', { options: '[1]' }), 422, '额外参数 必须是 JSON 对象字符串');
      assertFail(await send(a, b, ''), 422, '消息内容不能为空');
      assertFail(await send(a, b, 'x', { sendto_id: 'abc' }), 422);
      assertFail(await post(app, '/api/chat/socket/sendmessage').send({ sendto_id: b.id, chatType: 'single', type: 'text', data: 'x' }), 401, MSG.authMissing);
      mock(app.config.chat.throttle, 'sendPerUser', { limit: 2, windowSeconds: 10 });
      try {
        const c = await registerUser(app);
        await friends(c, b);
        assertOk(await send(c, b, '1'));
        assertOk(await send(c, b, '2'));
        assertFail(await send(c, b, '3'), 429, MSG.sendTooFrequent);
      } finally {
        mock.restore();
      }
    });
  });

  describe('sessions', () => {
    it('a second login sends the old socket force_logout and closes it with a code that is not 1006', async () => {
      const [ a ] = await pair();
      const first = await open(a.token);
      assertOk(await login(app, a.username));
      assert.strictEqual(await first.closed, CLOSE.forceLogout);
      assert.deepStrictEqual(first.frames.filter(f => f.msg), [{ msg: 'force_logout', data: FRAME_TEXT.forceLogout }]);
    });

    it('a second socket of the same session replaces the first', async () => {
      const [ a ] = await pair();
      const first = await open(a.token);
      const second = await open(a.token);
      assert.strictEqual(await first.closed, CLOSE.forceLogout);
      assert.strictEqual(second.closeCode, undefined);
    });

    it('an account disabled through the bus event (what the operators\' console publishes) closes its socket within a second', async () => {
      const [ a ] = await pair();
      const client = await open(a.token);
      const started = Date.now();
      await app.chatBus.publish(a.id, { k: 'disabled' });
      assert.strictEqual(await client.closed, CLOSE.disabled);
      assert.ok(Date.now() - started < 1000);
      assert.deepStrictEqual(client.frames.filter(f => f.msg), [{ msg: 'fail', data: FRAME_TEXT.disabled }]);
    });

    it('logout closes the socket at once', async () => {
      const [ a ] = await pair();
      const client = await open(a.token);
      const started = Date.now();
      assertOk(await post(app, '/api/chat/logout', a.token));
      assert.strictEqual(await client.closed, CLOSE.sessionEnded);
      assert.ok(Date.now() - started < 1000);
    });
  });

  describe('friend notices', () => {
    it('an application reaches the target; an agreement reaches both sides', async () => {
      const a = await registerUser(app);
      const b = await registerUser(app);
      const aSocket = await open(a.token);
      const bSocket = await open(b.token);
      assertOk(await post(app, '/api/chat/applyfriend', a.token).send({ friend_id: b.id, nickname: 'hi' }));
      const [ applyNotice ] = await bSocket.waitForChats(1);
      assert.strictEqual(applyNotice.from_id, `redirect-applyFriend-${a.id}`);
      assert.match(applyNotice.data.data, /申请添加您为好友/);
      assert.strictEqual(applyNotice.redirect.url, '/pages/applyMyfriend/applyMyfriend');
      const apply: any = await app.model.Goodfriendapply.findOne({ where: { user_id: a.id, friend_id: b.id }, raw: true });
      assertOk(await post(app, `/api/chat/handleapply/${apply.id}`, b.token).send({ status: 'agree', nickname: 'A君' }));
      const [ toA ] = await aSocket.waitForChats(1);
      assert.strictEqual(toA.type, 'systemNotice');
      assert.strictEqual(toA.from_id, b.id);
      assert.strictEqual(toA.data.data, '我们已经是好友了，可以开始聊天了');
      const bChats = await bSocket.waitForChats(2);
      assert.strictEqual(bChats[1].from_id, a.id);
      assert.strictEqual(bChats[1].from_name, 'A君');
    });

    it('a refused or failed change sends nothing', async () => {
      const a = await registerUser(app);
      const b = await registerUser(app);
      const bSocket = await open(b.token);
      assertFail(await post(app, '/api/chat/applyfriend', a.token).send({ friend_id: a.id }), 400, MSG.applySelf);
      assertFail(await post(app, '/api/chat/autoAddFriendAndAgree', a.token).send({ friend_id: b.id }), 400, MSG.autoAddNeedsApproval);
      await new Promise(resolve => setTimeout(resolve, 300));
      assert.strictEqual(bSocket.chats().length, 0);
      const inbox: any = await app.model.query('SELECT COUNT(*) AS n FROM chat_inbox WHERE user_id = ?', { replacements: [ b.id ], plain: true });
      assert.strictEqual(Number(inbox.n), 0);
    });
  });
});

async function eventuallyTrue(check: () => boolean, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition never became true');
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

async function waitForCursor(userId: number, seq: number) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const row: any = await app.model.query('SELECT delivered_seq FROM chat_cursor WHERE user_id = ?', { replacements: [ userId ], plain: true });
    if (row && Number(row.delivered_seq) >= seq) return;
    if (Date.now() > deadline) throw new Error(`cursor of ${userId} never reached ${seq}: ${JSON.stringify(row)}`);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}
