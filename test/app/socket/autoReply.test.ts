import * as assert from 'node:assert';
import { app, mock } from 'egg-mock/bootstrap';
import { QueryTypes } from 'sequelize';
import { resetDatabase } from '../../helpers/db';
import { assertFail, assertOk, post, registerUser, TestUser } from '../../helpers/api';
import { ChatClient, socketHooks } from '../../helpers/socket';
import { FRAME_TEXT } from '../../../app/delivery/frames';

/**
 * The auto-reply (issue 19): a message with `options.askanswer` to a user or group with entries is
 * answered after the delay through the stored inbox — online, or on the asker's next connection, exactly
 * once — with the original's note to the owner.
 */

const ASK_OPTIONS = encodeURIComponent(JSON.stringify({ askanswer: true }));

function ask(from: TestUser, toId: number, data: string, extra: Record<string, unknown> = {}) {
  return post(app, '/api/chat/socket/sendmessage', from.token).send({ sendto_id: toId, chatType: 'single', type: 'text', data, options: ASK_OPTIONS, ...extra });
}

async function entry(owner: TestUser, type: 'single' | 'group', ownerId: number, question: string, answer: string) {
  assertOk(await post(app, '/api/chat/askanswer/create', owner.token).send({ type, create_userId: ownerId, ask: question, answer }));
}

async function stored(fromId: number, toId: number): Promise<number> {
  const [ row ] = await app.model.query('SELECT COUNT(*) AS n FROM message WHERE from_id = ? AND to_id = ?', { replacements: [ fromId, toId ], type: QueryTypes.SELECT }) as any[];
  return Number(row.n);
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe('test/app/socket/autoReply.test.ts', () => {
  before(async () => {
    await app.ready();
    await resetDatabase(app);
  });
  const { open } = socketHooks(app);
  afterEach(() => mock.restore());

  it('reaches an offline asker on their next connection exactly once; the online owner gets the question and the note', async () => {
    const owner = await registerUser(app);
    const asker = await registerUser(app);
    await entry(owner, 'single', owner.id, '营业时间是几点', '每天 9 点到 21 点');
    const ownerSocket = await open(owner.token);
    const sent = assertOk(await ask(asker, owner.id, JSON.stringify({ data: '你们营业时间？' })));
    await ownerSocket.waitForChats(2);
    const [ question, note ] = ownerSocket.chats();
    assert.strictEqual(question.id, sent.id);
    assert.strictEqual(note.type, 'systemNotice');
    assert.strictEqual(note.from_id, asker.id);
    assert.strictEqual(JSON.parse(note.data).data, `${FRAME_TEXT.askReplyNote}每天 9 点到 21 点`);
    // The asker was offline all along: the answer waits in the inbox (and in `message`, from the owner).
    assert.strictEqual(await stored(owner.id, asker.id), 1);
    const first = await open(asker.token);
    const chats = await first.waitForChats(1);
    await sleep(300);
    assert.strictEqual(first.chats().length, 1, JSON.stringify(first.chats()));
    assert.strictEqual(chats[0].from_id, owner.id);
    assert.strictEqual(chats[0].to_id, asker.id);
    assert.strictEqual(chats[0].chatType, 'single');
    assert.strictEqual(chats[0].id, note.id, 'the note names the answer');
    assert.deepStrictEqual(JSON.parse(chats[0].data), { data: '每天 9 点到 21 点' });
    // Confirmed by the socket's pong: a later connection does not get it again.
    await sleep(500);
    first.ws.terminate();
    const second = await open(asker.token);
    await sleep(500);
    assert.strictEqual(second.chats().length, 0, JSON.stringify(second.chats()));
    // Through the offline fetch route too: nothing more.
    assertOk(await post(app, '/api/chat/chatGetmessageOffLine', asker.token));
    await sleep(300);
    assert.strictEqual(second.chats().length, 0);
  });

  it('a plain-text question gets a plain-text answer; online askers get it at once', async () => {
    const owner = await registerUser(app);
    const asker = await registerUser(app);
    await entry(owner, 'single', owner.id, '运费怎么算', '满 99 包邮');
    const askerSocket = await open(asker.token);
    assertOk(await ask(asker, owner.id, '运费多少'));
    const [ answer ] = await askerSocket.waitForChats(1, 5000);
    assert.strictEqual(answer.data, '满 99 包邮');
  });

  it('no entries, no match, or no askanswer option: no reply; a retried send (same key) replies once', async () => {
    const owner = await registerUser(app);
    const asker = await registerUser(app);
    assertOk(await ask(asker, owner.id, '营业时间'));
    await sleep(400);
    assert.strictEqual(await stored(owner.id, asker.id), 0, 'no entries');
    await entry(owner, 'single', owner.id, '营业时间', '9 点');
    const friend = await registerUser(app);
    await app.model.Goodfriend.bulkCreate([{ user_id: owner.id, friend_id: friend.id }, { user_id: friend.id, friend_id: owner.id }] as any);
    assertOk(await ask(friend, owner.id, '今天天气怎么样'));
    assertOk(await ask(friend, owner.id, '营业时间', { options: '' }));
    await sleep(400);
    assert.strictEqual(await stored(owner.id, friend.id), 0, 'no match, no option');
    const [ a, b ] = await Promise.all([ ask(friend, owner.id, '营业时间', { client_msg_id: 'k-1' }), ask(friend, owner.id, '营业时间', { client_msg_id: 'k-1' }) ]);
    assert.strictEqual(assertOk(a).id, assertOk(b).id);
    assertOk(await ask(friend, owner.id, '营业时间', { client_msg_id: 'k-1' }));
    await sleep(500);
    assert.strictEqual(await stored(owner.id, friend.id), 1, 'one reply for one message');
  });

  it('options that are not JSON: 422, nothing sent, no reply', async () => {
    const owner = await registerUser(app);
    const asker = await registerUser(app);
    await entry(owner, 'single', owner.id, '营业时间', '9 点');
    assertFail(await ask(asker, owner.id, '营业时间', { options: '{askanswer:' }), 422);
    await sleep(300);
    assert.strictEqual(await stored(asker.id, owner.id), 0);
    assert.strictEqual(await stored(owner.id, asker.id), 0);
  });

  it('a group: the asking member alone gets the answer in the group\'s conversation; the owner the note; other members nothing more', async () => {
    const owner = await registerUser(app);
    const asker = await registerUser(app);
    const other = await registerUser(app);
    const rows = [];
    for (const member of [ asker, other ]) {
      await app.model.Goodfriend.bulkCreate([{ user_id: owner.id, friend_id: member.id }, { user_id: member.id, friend_id: owner.id }] as any);
      rows.push((await app.model.Goodfriend.findOne({ where: { user_id: owner.id, friend_id: member.id }, raw: true }))!.id);
    }
    assertOk(await post(app, '/api/chat/group/create', owner.token).send({ userIds: rows }));
    const [ group ] = await app.model.query('SELECT id FROM `group` WHERE user_id = ? ORDER BY id DESC LIMIT 1', { replacements: [ owner.id ], type: QueryTypes.SELECT }) as any[];
    const groupId = Number(group.id);
    await entry(owner, 'group', groupId, '群规是什么', '友善交流');
    const sockets: Record<string, ChatClient> = { owner: await open(owner.token), asker: await open(asker.token), other: await open(other.token) };
    await sleep(300);
    const before = Object.fromEntries(Object.entries(sockets).map(([ name, s ]) => [ name, s.chats().length ]));
    const sent = assertOk(await ask(asker, groupId, '群规', { chatType: 'group' }));
    await sockets.asker.waitFor(s => s.chats().length > before.asker, 5000, 'the answer');
    await sockets.owner.waitFor(s => s.chats().some(c => c.type === 'systemNotice' && c.id !== sent.id), 5000, 'the note');
    await sleep(300);
    const answer = sockets.asker.chats().slice(before.asker);
    assert.strictEqual(answer.length, 1, JSON.stringify(answer));
    assert.strictEqual(answer[0].chatType, 'group');
    assert.strictEqual(answer[0].to_id, groupId);
    assert.strictEqual(answer[0].from_id, owner.id);
    assert.strictEqual(answer[0].data, '友善交流');
    // The other member got the question only.
    assert.deepStrictEqual(sockets.other.chats().slice(before.other).map(c => c.id), [ sent.id ]);
  });
});
