import * as assert from 'node:assert';
import { app, mock } from 'egg-mock/bootstrap';
import { QueryTypes } from 'sequelize';
import { resetDatabase } from '../../helpers/db';
import { assertFail, assertOk, get, post, registerUser, TestUser } from '../../helpers/api';
import { ChatClient, connectReady, Frame, listenApp } from '../../helpers/socket';
import { MSG } from '../../../app/lib/messages';
import { IDEMPOTENCY_KEY_REUSED } from '../../../app/service/message';

/**
 * Group messages over real sockets (in-process app, embedded or MariaDB + Redis per the environment):
 * stored once, pushed to every member but the sender, offline members on connect, membership bounds,
 * recall, dissolve. Two workers / two instances: test/outage/socketDelivery.test.ts.
 */
let port = 0;
let stop: () => Promise<void>;
const clients: ChatClient[] = [];

async function open(user: TestUser): Promise<ChatClient> {
  const client = await connectReady(port, user.token);
  clients.push(client);
  return client;
}

async function rows<T = any>(sql: string, replacements: unknown[] = []): Promise<T[]> {
  return (app.model as any).query(sql, { replacements, type: QueryTypes.SELECT });
}

async function count(sql: string, replacements: unknown[] = []): Promise<number> {
  const [ row ] = await rows<{ n: number }>(sql, replacements);
  return Number(row.n);
}

/** The owner and `others`, friends of the owner (rows made directly: friendship is not under test here). */
async function befriend(owner: TestUser, others: TestUser[]): Promise<number[]> {
  const ids: number[] = [];
  for (const other of others) {
    const mine = await app.model.Goodfriend.create({ user_id: owner.id, friend_id: other.id } as any);
    await app.model.Goodfriend.create({ user_id: other.id, friend_id: owner.id } as any);
    ids.push((mine as any).id);
  }
  return ids;
}

/** A group made through the real route; answers its id. */
async function createGroup(owner: TestUser, members: TestUser[]): Promise<number> {
  const userIds = await befriend(owner, members);
  assert.strictEqual(assertOk(await post(app, '/api/chat/group/create', owner.token).send({ userIds })), 'ok');
  const [ group ] = await rows<{ id: number }>('SELECT id FROM `group` WHERE user_id = ? ORDER BY id DESC LIMIT 1', [ owner.id ]);
  return Number(group.id);
}

function sendToGroup(from: TestUser, groupId: number, data: string, extra: Record<string, unknown> = {}) {
  return post(app, '/api/chat/socket/sendmessage', from.token).send({ sendto_id: groupId, chatType: 'group', type: 'text', data, ...extra });
}

function groupChats(client: ChatClient, groupId: number): Frame[] {
  return client.chats().filter(data => data.chatType === 'group' && Number(data.to_id) === groupId);
}

function texts(client: ChatClient, groupId: number): string[] {
  return groupChats(client, groupId).filter(data => data.type === 'text').map(data => data.data);
}

async function waitForTexts(client: ChatClient, groupId: number, n: number, ms = 5000): Promise<string[]> {
  await client.waitFor(c => texts(c, groupId).length >= n, ms, `${n} group texts`);
  return texts(client, groupId);
}

async function settle(ms = 300): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms));
}

describe('test/app/socket/group.test.ts', () => {
  before(async () => {
    await resetDatabase(app);
    ({ port, close: stop } = await listenApp(app));
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.ws.terminate();
  });

  after(async () => {
    await stop();
  });

  it('create: every member, the creator too, gets the notice; an offline member gets it on connect', async () => {
    const [ owner, online, offline ] = [ await registerUser(app), await registerUser(app), await registerUser(app) ];
    const [ ownerSocket, onlineSocket ] = [ await open(owner), await open(online) ];
    const groupId = await createGroup(owner, [ online, offline ]);
    for (const client of [ ownerSocket, onlineSocket ]) {
      await client.waitFor(c => groupChats(c, groupId).length === 1, 5000, 'the create notice');
      const [ notice ] = groupChats(client, groupId);
      assert.strictEqual(notice.type, 'systemNotice');
      assert.strictEqual(notice.from_id, owner.id);
      assert.match(notice.data.data, /创建了一个群，大家可以开始聊天了$/);
      assert.strictEqual(notice.group.id, groupId);
      assert.ok(!('group_users' in notice.group), 'no member list in pushes');
    }
    const later = await open(offline);
    await later.waitFor(c => groupChats(c, groupId).length === 1, 5000, 'the create notice on connect');
  });

  it('a message reaches every member but the sender, online at once and offline on connect; stored once whatever the member count', async () => {
    const owner = await registerUser(app);
    const members = [ await registerUser(app), await registerUser(app), await registerUser(app), await registerUser(app) ];
    const groupId = await createGroup(owner, members);
    const [ a, b ] = [ await open(members[0]), await open(members[1]) ];
    const ownerSocket = await open(owner);
    const beforeMessages = await count('SELECT COUNT(*) AS n FROM message');
    const beforeLog = await count('SELECT COUNT(*) AS n FROM group_log WHERE group_id = ?', [ groupId ]);
    const beforeInbox = await count('SELECT COUNT(*) AS n FROM chat_inbox');

    const answer = assertOk(await sendToGroup(owner, groupId, 'hello group'));
    assert.strictEqual(answer.chatType, 'group');
    assert.strictEqual(answer.to_id, groupId);
    assert.strictEqual(answer.from_id, owner.id);
    assert.strictEqual(answer.isremove, 0);
    for (const client of [ a, b ]) {
      await waitForTexts(client, groupId, 1);
      assert.deepStrictEqual(groupChats(client, groupId).find(data => data.type === 'text'), answer, 'the pushed object is the answer');
    }
    await settle();
    assert.deepStrictEqual(texts(ownerSocket, groupId), [], 'not pushed back to the sender');
    // One message row and one log row, none per member.
    assert.strictEqual(await count('SELECT COUNT(*) AS n FROM message') - beforeMessages, 1);
    assert.strictEqual(await count('SELECT COUNT(*) AS n FROM group_log WHERE group_id = ?', [ groupId ]) - beforeLog, 1);
    assert.strictEqual(await count('SELECT COUNT(*) AS n FROM chat_inbox') - beforeInbox, 0);

    // The two offline members get it when they connect; chatGetmessageOffLine then adds nothing twice.
    const c = await open(members[2]);
    assert.deepStrictEqual(await waitForTexts(c, groupId, 1), [ 'hello group' ]);
    assertOk(await post(app, '/api/chat/chatGetmessageOffLine', members[2].token));
    await settle();
    assert.deepStrictEqual(texts(c, groupId), [ 'hello group' ]);
  });

  it('keeps the order of 50 messages from two senders, and shows each once after a reconnect', async () => {
    const owner = await registerUser(app);
    const [ m1, m2 ] = [ await registerUser(app), await registerUser(app) ];
    const groupId = await createGroup(owner, [ m1, m2 ]);
    const reader = await open(m2);
    const sent: string[] = [];
    for (let i = 0; i < 50; i++) {
      const from = i % 2 ? owner : m1;
      const text = `n${i}`;
      assertOk(await sendToGroup(from, groupId, text));
      sent.push(text);
    }
    assert.deepStrictEqual(await waitForTexts(reader, groupId, 50, 10_000), sent);
    // The confirmations are written (every GROUP_CURSOR_FLUSH_MS); a new socket then pushes nothing again.
    const cursor = () => count('SELECT delivered_seq AS n FROM group_user WHERE group_id = ? AND user_id = ?', [ groupId, m2.id ]);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && await cursor() < 51) await settle(100);
    assert.strictEqual(await cursor(), 51, 'the create notice and 50 messages confirmed');
    reader.ws.terminate();
    const again = await open(m2);
    await settle(500);
    assert.deepStrictEqual(groupChats(again, groupId), []);
  });

  it('a member\'s own messages (never pushed back) count as received: the cursor reaches the group\'s last entry', async () => {
    const owner = await registerUser(app);
    const member = await registerUser(app);
    const groupId = await createGroup(owner, [ member ]);
    const socket = await open(member);
    await socket.waitFor(c => groupChats(c, groupId).length === 1, 5000, 'the create notice');
    for (const text of [ 'mine 1', 'mine 2', 'mine 3' ]) assertOk(await sendToGroup(member, groupId, text));
    const cursor = () => count('SELECT delivered_seq AS n FROM group_user WHERE group_id = ? AND user_id = ?', [ groupId, member.id ]);
    const last = () => count('SELECT last_seq AS n FROM `group` WHERE id = ?', [ groupId ]);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && await cursor() < await last()) await settle(100);
    assert.strictEqual(await cursor(), await last());
    assert.deepStrictEqual(texts(socket, groupId), []);
  });

  it('a member who joins later gets the join notice and nothing older; a removed member gets nothing after the removal', async () => {
    const owner = await registerUser(app);
    const [ early, late ] = [ await registerUser(app), await registerUser(app) ];
    const groupId = await createGroup(owner, [ early ]);
    assertOk(await sendToGroup(owner, groupId, 'before the join'));
    await befriend(owner, [ late ]);
    const lateSocket = await open(late);
    const earlySocket = await open(early);
    assert.strictEqual(assertOk(await post(app, '/api/chat/groupInviteUser', owner.token).send({ group_id: groupId, user_id: late.id, inviteuser_id: owner.id })), '加群成功');
    await lateSocket.waitFor(c => groupChats(c, groupId).some(data => /加入了群聊$/.test(data.data?.data || '')), 5000, 'the join notice');
    assertOk(await sendToGroup(owner, groupId, 'after the join'));
    assert.deepStrictEqual(await waitForTexts(lateSocket, groupId, 1), [ 'after the join' ]);
    await waitForTexts(earlySocket, groupId, 2);

    // Removal: nothing sent after it reaches the removed member's open socket, nor a later one.
    assertOk(await post(app, '/api/chat/groupDeleteUser', owner.token).send({ group_id: groupId, user_id: early.id }));
    assertOk(await sendToGroup(owner, groupId, 'after the removal'));
    assert.deepStrictEqual(await waitForTexts(lateSocket, groupId, 2), [ 'after the join', 'after the removal' ]);
    await settle(500);
    assert.deepStrictEqual(texts(earlySocket, groupId), [ 'before the join', 'after the join' ]);
    earlySocket.ws.terminate();
    const again = await open(early);
    await settle(500);
    assert.ok(!texts(again, groupId).includes('after the removal'));
    // And the removed member may not send.
    assertFail(await sendToGroup(early, groupId, 'still here?'), 400, MSG.notInGroupSend);
  });

  it('recall: the sender only, within the window; every member, the sender too, gets the notice; offline on connect', async () => {
    const owner = await registerUser(app);
    const [ m1, m2 ] = [ await registerUser(app), await registerUser(app) ];
    const groupId = await createGroup(owner, [ m1, m2 ]);
    const [ ownerSocket, s1 ] = [ await open(owner), await open(m1) ];
    const message = assertOk(await sendToGroup(owner, groupId, 'oops'));
    await waitForTexts(s1, groupId, 1);
    const body = { id: message.id, chatType: 'group', to_id: groupId, create_time: message.create_time };
    assertFail(await post(app, '/api/chat/revokeMessage', m1.token).send(body), 400, MSG.messageMissing);
    const notice = assertOk(await post(app, '/api/chat/revokeMessage', owner.token).send(body));
    assert.strictEqual(notice.actionType, 'revoke');
    assert.strictEqual(notice.id, message.id);
    assert.match(notice.data.data, / 撤回了一条消息$/);
    for (const client of [ ownerSocket, s1 ]) {
      await client.waitFor(c => groupChats(c, groupId).some(data => data.actionType === 'revoke'), 5000, 'the revoke notice');
    }
    const [ stored ] = await rows<{ isremove: number }>('SELECT isremove FROM message WHERE uuid = ?', [ message.id ]);
    assert.strictEqual(Number(stored.isremove), 1, 'marked, not deleted');
    // A second recall answers the notice and writes nothing more.
    const logRows = await count('SELECT COUNT(*) AS n FROM group_log WHERE group_id = ?', [ groupId ]);
    assertOk(await post(app, '/api/chat/revokeMessage', owner.token).send(body));
    assert.strictEqual(await count('SELECT COUNT(*) AS n FROM group_log WHERE group_id = ?', [ groupId ]), logRows);
    const s2 = await open(m2);
    await s2.waitFor(c => groupChats(c, groupId).some(data => data.actionType === 'revoke'), 5000, 'the notice on connect');
    const seen = groupChats(s2, groupId).filter(data => data.id === message.id);
    assert.deepStrictEqual(seen.map(data => data.actionType || 'message'), [ 'message', 'revoke' ], 'the message, then its recall, once each');
  });

  it('refusals: not a member, a missing or dissolved group, 401, 422; a retry with the same client_msg_id answers the first message', async () => {
    const owner = await registerUser(app);
    const [ member, stranger ] = [ await registerUser(app), await registerUser(app) ];
    const groupId = await createGroup(owner, [ member ]);
    assertFail(await sendToGroup(stranger, groupId, 'let me in'), 400, MSG.notInGroupSend);
    assertFail(await sendToGroup(owner, 999_999, 'nowhere'), 400, MSG.groupUnavailable);
    assertFail(await post(app, '/api/chat/socket/sendmessage').send({ sendto_id: groupId, chatType: 'group', type: 'text', data: 'x' }), 401);
    assertFail(await sendToGroup(owner, groupId, 'x', { type: 'gif' }), 422);
    assertFail(await sendToGroup(owner, groupId, 'x', { sendto_id: 'abc' }), 422);

    const first = assertOk(await sendToGroup(member, groupId, 'once', { client_msg_id: 'g-retry-1' }));
    const again = assertOk(await sendToGroup(member, groupId, 'once', { client_msg_id: 'g-retry-1' }));
    assert.deepStrictEqual(again, first);
    assertFail(await sendToGroup(member, groupId, 'other text', { client_msg_id: 'g-retry-1' }), 422, IDEMPOTENCY_KEY_REUSED);
    assert.strictEqual(await count('SELECT COUNT(*) AS n FROM message WHERE from_id = ? AND client_msg_id = ?', [ member.id, 'g-retry-1' ]), 1);

    assertOk(await post(app, '/api/chat/groupDeleteOrQuit', owner.token).send({ id: groupId }));
    assertFail(await sendToGroup(owner, groupId, 'after the end'), 400, MSG.groupUnavailable);
  });

  it('429 past the send limit, one budget for single and group sends', async () => {
    const owner = await registerUser(app);
    const member = await registerUser(app);
    const groupId = await createGroup(owner, [ member ]);
    mock(app.config.chat.throttle, 'sendPerUser', { limit: 2, windowSeconds: 10 });
    try {
      assertOk(await post(app, '/api/chat/socket/sendmessage', member.token).send({ sendto_id: owner.id, chatType: 'single', type: 'text', data: 'single' }));
      assertOk(await sendToGroup(member, groupId, 'group'));
      assertFail(await sendToGroup(member, groupId, 'one too many'), 429, MSG.sendTooFrequent);
    } finally {
      mock.restore();
    }
  });

  it('dissolve while messages are being sent: every accepted message comes before the dissolve notice, nothing after it', async () => {
    const owner = await registerUser(app);
    const [ m1, m2 ] = [ await registerUser(app), await registerUser(app) ];
    const groupId = await createGroup(owner, [ m1, m2 ]);
    const reader = await open(m2);
    const sends = Array.from({ length: 20 }, (_, i) => sendToGroup(m1, groupId, `race ${i}`));
    const dissolve = post(app, '/api/chat/groupDeleteOrQuit', owner.token).send({ id: groupId });
    const results = await Promise.all([ ...sends, dissolve ]);
    assertOk(results[20]);
    const accepted = results.slice(0, 20).filter(res => res.status === 200).map(res => res.body.data.data);
    for (const res of results.slice(0, 20)) if (res.status !== 200) assertFail(res, 400, MSG.groupUnavailable);
    await reader.waitFor(c => groupChats(c, groupId).some(data => /解散了该群$/.test(data.data?.data || '')), 5000, 'the dissolve notice');
    await settle();
    const frames = groupChats(reader, groupId);
    const dissolveAt = frames.findIndex(data => /解散了该群$/.test(data.data?.data || ''));
    assert.strictEqual(dissolveAt, frames.length - 1, 'nothing after the dissolve notice');
    assert.deepStrictEqual(frames.filter(data => data.type === 'text').map(data => data.data).sort(), accepted.sort(), 'every accepted message, once');
  });

  it('groupinfo and grouplist are not readable by a non-member, and no message of the group reaches them', async () => {
    const owner = await registerUser(app);
    const [ member, outsider ] = [ await registerUser(app), await registerUser(app) ];
    const groupId = await createGroup(owner, [ member ]);
    const outsiderSocket = await open(outsider);
    assertOk(await sendToGroup(member, groupId, 'members only'));
    await settle(500);
    assert.deepStrictEqual(groupChats(outsiderSocket, groupId), []);
    const card = assertOk(await get(app, `/api/chat/groupinfo/${groupId}`, outsider.token));
    assert.deepStrictEqual(card.group_users, []);
  });
});
