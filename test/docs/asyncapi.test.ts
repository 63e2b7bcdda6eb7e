import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import Ajv, { ValidateFunction } from 'ajv';
import { app } from 'egg-mock/bootstrap';
import { resetDatabase } from '../helpers/db';
import { assertOk, get, login, post, registerUser, TestUser } from '../helpers/api';
import { ChatClient, connect, connectReady, Frame, listenApp } from '../helpers/socket';
import { spec as openapi } from '../helpers/openapi';
import { CLOSE, FRAME_TEXT, pingFrame } from '../../app/delivery/frames';
import { MSG } from '../../app/lib/messages';
import { GROUP_NOTICE_AVATAR, groupSnapshot, inviterPrefix, joinKey, noticeText } from '../../app/lib/groupNotices';
import { formatLocalDateTime } from '../../app/lib/time';

/**
 * docs/asyncapi.yaml against the running server:
 *  (a) every example matches its payload schema; the message schemas are the OpenAPI ones; the texts,
 *      limits, close codes and HTTP triggers it names are the code's;
 *  (b) real frames of a full flow (welcome, friend notices, a message, its recall, pong, force_logout,
 *      refusals; a group's notices, message, recall, join, join request, removal, quit, dissolve) match the
 *      documented payload of their kind, arrive equal to the HTTP answers, and the receipt pings carry the
 *      socket's frame count.
 */

const spec: any = yaml.load(fs.readFileSync(path.join(__dirname, '../../docs/asyncapi.yaml'), 'utf8'));
const SCHEMAS_ID = 'https://eggchat.invalid/asyncapi/components';

/** '#/components/schemas/X' → the copy of components.schemas registered below. */
function rewriteRefs(node: any): any {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [ key, value ] of Object.entries(node)) {
    out[key] = key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/')
      ? `${SCHEMAS_ID}#/definitions/${value.slice('#/components/schemas/'.length)}`
      : rewriteRefs(value);
  }
  return out;
}

// AsyncAPI 3's default schema format is a superset of JSON Schema draft-07: Ajv's default dialect.
const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
ajv.addSchema({ $id: SCHEMAS_ID, definitions: rewriteRefs(spec.components.schemas) });
const validators = new Map<string, ValidateFunction>();

/** The payload schema of components.messages[name], compiled once. */
function validatorOf(name: string): ValidateFunction {
  let validate = validators.get(name);
  if (!validate) {
    const message = spec.components.messages[name];
    assert.ok(message, `no message ${name} in docs/asyncapi.yaml`);
    validate = ajv.compile(rewriteRefs(message.payload));
    validators.set(name, validate);
  }
  return validate;
}

function assertFrame(name: string, frame: unknown): void {
  const validate = validatorOf(name);
  assert.ok(validate(frame), `${JSON.stringify(frame)}\ndoes not match ${name}:\n  ${ajv.errorsText(validate.errors, { separator: '\n  ' })}`);
}

/** '#/channels/chat/messages/x' → the name under components.messages it refers to. */
function messageName(ref: string): string {
  const [ , , channel, , key ] = ref.split('/');
  return spec.channels[channel].messages[key].$ref.split('/').pop();
}

/** The kinds each side sends: the server's are its `send` operations' messages and the replies it gives. */
function kindsSentBy(side: 'server' | 'client'): string[] {
  const names = Object.values<any>(spec.operations).flatMap(op => {
    if (side === 'server') return [ ...(op.action === 'send' ? op.messages : []), ...(op.reply?.messages ?? []) ];
    return op.action === 'receive' ? op.messages : [];
  }).map((ref: any) => messageName(ref.$ref));
  return [ ...new Set(names) ];
}

/** The kinds of frame, from that side, that match a frame (exactly one is expected). */
function kindsOf(frame: unknown, side: 'server' | 'client' = 'server'): string[] {
  return kindsSentBy(side).filter(name => validatorOf(name)(frame));
}

function withoutDescriptions(node: any): any {
  if (Array.isArray(node)) return node.map(withoutDescriptions);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node).filter(([ key ]) => key !== 'description').map(([ key, value ]) => [ key, withoutDescriptions(value) ]));
}

let port = 0;
let stopServer: () => Promise<void>;
const clients: ChatClient[] = [];

async function open(token: string): Promise<ChatClient> {
  const client = await connectReady(port, token);
  clients.push(client);
  return client;
}

describe('test/docs/asyncapi.test.ts', () => {
  describe('(a) the document', () => {
    it('is AsyncAPI 3.0 with the /ws channel and its token in the query string only', () => {
      assert.strictEqual(spec.asyncapi, '3.0.0');
      assert.strictEqual(spec.channels.chat.address, '/ws');
      assert.deepStrictEqual(spec.channels.chat.bindings.ws.query.required, [ 'token' ]);
      assert.deepStrictEqual(spec.components.securitySchemes.token, { ...spec.components.securitySchemes.token, type: 'httpApiKey', in: 'query', name: 'token' });
    });

    it('every example matches its payload schema, and exactly one kind of frame', () => {
      const server = kindsSentBy('server');
      const client = kindsSentBy('client');
      assert.deepStrictEqual([ ...server, ...client ].sort(), Object.keys(spec.components.messages).sort(), 'every message is sent by one side');
      for (const [ name, message ] of Object.entries<any>(spec.components.messages)) {
        assert.ok(message.examples?.length, `${name} has examples`);
        for (const example of message.examples) {
          assertFrame(name, example.payload);
          const side = server.includes(name) ? 'server' : 'client';
          assert.deepStrictEqual(kindsOf(example.payload, side), [ name ], `${name}/${example.name} is told apart from the other kinds`);
        }
      }
    });

    it('the message and the recall notice are the schemas of docs/openapi.yaml', () => {
      for (const name of [ 'Message', 'RevokeNotice', 'NoticeText', 'EpochMillis', 'Uuid', 'Id', 'LocalDateTime' ]) {
        assert.deepStrictEqual(withoutDescriptions(spec.components.schemas[name]), withoutDescriptions(openapi.components.schemas[name]), name);
      }
      // The group answers of sendmessage / revokeMessage: the same schemas once docs/openapi.yaml has them under
      // these names (test (b) checks the real answers against these).
      for (const name of [ 'GroupMessage', 'GroupRevokeNotice', 'GroupSnapshot' ]) {
        if (openapi.components.schemas[name]) {
          assert.deepStrictEqual(withoutDescriptions(spec.components.schemas[name]), withoutDescriptions(openapi.components.schemas[name]), name);
        }
      }
    });

    it('names the code\'s texts, close codes and limits', () => {
      const { socket } = app.config.chat;
      assert.strictEqual(spec.components.messages.Welcome.payload.properties.data.const, FRAME_TEXT.welcome);
      assert.strictEqual(spec.components.messages.ForceLogout.payload.properties.data.const, FRAME_TEXT.forceLogout);
      const failTexts: string[] = spec.components.messages.Fail.payload.properties.data.enum;
      for (const text of [ FRAME_TEXT.missingToken, FRAME_TEXT.disabled, MSG.authInvalid, MSG.authExpired, MSG.authUserDisabled, '消息发送过于频繁', '只接受文本消息' ]) {
        assert.ok(failTexts.includes(text), text);
      }
      const about = spec.info.description as string;
      for (const code of [ CLOSE.sessionEnded, CLOSE.forceLogout, CLOSE.disabled, CLOSE.policy, 1009, 1006 ]) {
        assert.match(about, new RegExp(`\\n\\| ${code} \\|`), `close code ${code} in the table`);
      }
      assert.ok(about.includes(`\`WS_HEARTBEAT_MS\` (${socket.heartbeatMs} ms)`));
      assert.ok(about.includes(`\`WS_MAX_FRAMES_10S\` (${socket.maxFramesPer10s})`));
      assert.ok(about.includes(`\`WS_MAX_PAYLOAD_BYTES\` (${socket.maxPayloadBytes})`));
      assert.ok(about.includes(`\`WS_MAX_SOCKETS_PER_WORKER\` (${socket.maxSocketsPerWorker})`));
      // GROUP_CURSOR_FLUSH_MS: unittest shortens it, the document names the default.
      const defaults = fs.readFileSync(path.join(__dirname, '../../config/config.default.ts'), 'utf8');
      const flushMs = /intFromEnv\('GROUP_CURSOR_FLUSH_MS', (\d+)\)/.exec(defaults)?.[1];
      assert.ok(flushMs && about.includes(`\`GROUP_CURSOR_FLUSH_MS\` (${flushMs} ms)`), `GROUP_CURSOR_FLUSH_MS (${flushMs} ms)`);
      // The receipt ping carries the socket's frame count (test (b) checks the numbers), no inbox sequence.
      assert.ok(about.includes('`ack:<n>`'));
      assert.ok(!/ack:<seq>/.test(JSON.stringify(spec)), 'no description still says ack:<seq>');
    });

    it('names the group notices\' texts, their sender, the join key and the group snapshot as the code makes them', () => {
      const schemas = spec.components.schemas;
      const textPattern = (name: string) => new RegExp(schemas[name].properties.data.allOf[1].properties.data.pattern, 'u');
      // The description's table shows every text of app/lib/groupNotices.ts (`\n` written as in the code).
      const table = (schemas.GroupNotice.description as string).replace(/\\n/g, '\n');
      const templates = [
        noticeText.created('<creator>'), noticeText.renamed('<name>'), noticeText.remark('<notice>'),
        noticeText.joined(inviterPrefix('<inviter>'), '<joiner>'), noticeText.joined(inviterPrefix(null), '<joiner>'),
        noticeText.removed('<member>'), noticeText.dissolved('<time>'), noticeText.quit('<member>', '<time>'),
      ];
      for (const text of templates) assert.ok(table.includes(`\`${text}\``), `GroupNotice names ${JSON.stringify(text)}`);
      const request = schemas.GroupJoinRequest.description as string;
      for (const text of [ noticeText.approval(inviterPrefix('<inviter>'), '<joiner>', '<group name>'), noticeText.approval('', '<joiner>', '<group name>') ]) {
        assert.ok(request.includes(`\`${text}\``), `GroupJoinRequest names ${text}`);
      }
      // Real texts match the schemas' patterns.
      const time = formatLocalDateTime(new Date(), app.config.chat.timezone)!;
      for (const text of [
        noticeText.created('my06'), noticeText.renamed('技术交流群'), noticeText.remark('第一行\n第二行'),
        noticeText.joined(inviterPrefix('my06'), '阿祖'), noticeText.joined('', '阿祖'), noticeText.removed('阿祖'),
        noticeText.dissolved(time), noticeText.quit('老二', time),
      ]) assert.match(text, textPattern('GroupNotice'));
      assert.match(noticeText.approval(inviterPrefix('my06'), '阿祖', '技术交流群'), textPattern('GroupJoinRequest'));
      assert.match(noticeText.approval('', '阿祖', '技术交流群'), textPattern('GroupJoinRequest'));
      assert.match(joinKey(33, 12), new RegExp(schemas.GroupJoinKey.pattern));
      // The join notice and the join request come with the original's group icon.
      const joined = spec.components.messages.GroupNotice.examples.find((e: any) => e.name === 'joined');
      assert.strictEqual(joined.payload.data.from_avatar, GROUP_NOTICE_AVATAR);
      assert.strictEqual(spec.components.messages.GroupJoinRequest.examples[0].payload.data.from_avatar, GROUP_NOTICE_AVATAR);
      // The snapshot every push carries: the group's columns, no members, no delivery columns.
      const row = {
        id: 33, uuid: '436937ea-5b1c-4d2e-8f3a-9b0c1d2e3f4a', user_id: 6, name: '群', avatar: '', remark: '', invite_confirm: 0, status: 1, order: 50,
        create_time: new Date(), update_time: new Date(), last_seq: 9, member_version: 3, closed_seq: null,
      };
      const snapshot = groupSnapshot(row as any, app.config.chat.timezone);
      const validate = ajv.compile(rewriteRefs({ $ref: '#/components/schemas/GroupSnapshot' }));
      assert.ok(validate(snapshot), `${JSON.stringify(snapshot)}: ${ajv.errorsText(validate.errors)}`);
    });

    it('the HTTP operations it names exist in docs/openapi.yaml', () => {
      const operationIds = new Set<string>();
      for (const item of Object.values<any>(openapi.paths)) for (const op of Object.values<any>(item)) operationIds.add(op.operationId);
      const named = Object.values<any>(spec.operations).flatMap(op => op['x-triggered-by'] ?? []);
      assert.ok(named.length >= 6);
      for (const id of named) assert.ok(operationIds.has(id), `${id} is an operation of docs/openapi.yaml`);
    });
  });

  describe('(b) real frames match the documented payloads', () => {
    before(async () => {
      await app.ready();
      await resetDatabase(app);
      ({ port, close: stopServer } = await listenApp(app));
    });

    afterEach(() => {
      for (const client of clients.splice(0)) client.ws.terminate();
    });

    after(async () => {
      await stopServer();
    });

    it('refusals at connect: a fail frame, then 4001', async () => {
      for (const token of [ undefined, 'not.a.token' ]) {
        const client = await connect(port, token);
        assert.strictEqual(await client.closed, CLOSE.sessionEnded);
        assert.strictEqual(client.frames.length, 1);
        assertFrame('Fail', client.frames[0]);
      }
    });

    it('welcome, friend notices, a message equal to its HTTP answer, its recall, pong, heartbeat, force_logout, logout', async () => {
      const a = await registerUser(app);
      const b = await registerUser(app);
      const sa = await open(a.token);
      const sb = await open(b.token);
      assertFrame('Welcome', sa.frames[0]);
      assertFrame('Welcome', sb.frames[0]);

      // applyfriend → the target; handleapply agree → both.
      assertOk(await post(app, '/api/chat/applyfriend', a.token).send({ friend_id: b.id, nickname: '我是A' }));
      const [ apply ] = await sb.waitForChats(1);
      assertFrame('FriendApplyNotice', sb.frames.find(f => f.type === 'singleChat'));
      assert.strictEqual(apply.from_id, `redirect-applyFriend-${a.id}`);
      const list = assertOk(await app.httpRequest().get('/api/chat/listapplyfriend/1').set('token', b.token));
      assertOk(await post(app, `/api/chat/handleapply/${list.alldata[0].id}`, b.token).send({ status: 'agree', nickname: '阿A' }));
      await sb.waitForChats(2);
      await sa.waitForChats(1);
      for (const client of [ sa, sb ]) {
        const frame = client.frames.filter(f => f.type === 'singleChat').pop();
        assert.deepStrictEqual(kindsOf(frame), [ 'FriendsNowNotice' ]);
      }

      // sendmessage → the recipient's frame carries the HTTP answer; revokeMessage → the notice.
      const answer = assertOk(await post(app, '/api/chat/socket/sendmessage', a.token)
        .send({ sendto_id: b.id, chatType: 'single', type: 'text', data: '你好', client_msg_id: 'asyncapi-1' }));
      await sb.waitForChats(3);
      const messageFrame = sb.frames.filter(f => f.type === 'singleChat')[2];
      assert.deepStrictEqual(kindsOf(messageFrame), [ 'ChatMessage' ]);
      // The same message; each side sees the other under its own remark (B calls A 阿A), never the other's.
      assert.deepStrictEqual({ ...messageFrame.data, from_name: answer.from_name }, answer);
      assert.strictEqual(messageFrame.data.from_name, '阿A');
      const notice = assertOk(await post(app, '/api/chat/revokeMessage', a.token).send({ id: answer.id, chatType: 'single', to_id: b.id }));
      await sb.waitForChats(4);
      const revokeFrame = sb.frames.filter(f => f.type === 'singleChat')[3];
      assert.deepStrictEqual(kindsOf(revokeFrame), [ 'RevokeNotice' ]);
      assert.deepStrictEqual(revokeFrame.data, notice);

      // The client's ping (JSON or bare text) → pong; the server's heartbeat frame.
      sb.ws.send(JSON.stringify({ type: 'ping', timestamp: Date.now() }));
      sb.ws.send('ping');
      await sb.waitFor(c => c.frames.filter(f => f.type === 'pong').length === 2);
      for (const pong of sb.frames.filter(f => f.type === 'pong')) assert.deepStrictEqual(kindsOf(pong), [ 'Pong' ]);
      assert.deepStrictEqual(kindsOf(JSON.parse(pingFrame())), [ 'Heartbeat' ]);
      assert.ok(spec.components.messages.ClientPing.examples.every((e: any) => validatorOf('ClientPing')(e.payload)));

      // A new login of A → force_logout, 4002. B logs out → 4001, no frame.
      assertOk(await login(app, a.username));
      assert.strictEqual(await sa.closed, CLOSE.forceLogout);
      assertFrame('ForceLogout', sa.frames[sa.frames.length - 1]);
      const framesBefore = sb.frames.length;
      assertOk(await post(app, '/api/chat/logout', b.token));
      assert.strictEqual(await sb.closed, CLOSE.sessionEnded);
      assert.strictEqual(sb.frames.length, framesBefore);
    });

    it('a group: creation, a message equal to its HTTP answer, its recall, a join, a join request, a removal, a quit, the dissolve; receipts numbered per socket', async () => {
      const [ owner, member, joiner, applicant ] = [ await registerUser(app), await registerUser(app), await registerUser(app), await registerUser(app) ];
      const nameOf = (user: TestUser) => user.nickname || user.username;
      // Friends of the owner (the rows the friend routes leave); the client sends the ids of its contact list's rows.
      for (const friend of [ member, joiner ]) {
        await app.model.Goodfriend.create({ user_id: owner.id, friend_id: friend.id } as any);
        await app.model.Goodfriend.create({ user_id: friend.id, friend_id: owner.id } as any);
      }
      const contacts = assertOk(await get(app, '/api/chat/goodfriendlist/1', owner.token));
      const rowOf = (user: TestUser): number => contacts.rows.newList.flatMap((group: any) => group.list).find((f: any) => f.friend_id === user.id).id;

      const [ so, sm, sj, sa ] = [ await open(owner.token), await open(member.token), await open(joiner.token), await open(applicant.token) ];
      // Every receipt ping: its number, and how many singleChat frames the socket had received when it came.
      const acks = new Map<ChatClient, Array<{ n: number; received: number }>>();
      for (const client of [ so, sm, sj, sa ]) {
        acks.set(client, []);
        client.ws.on('ping', (data: Buffer) => {
          const text = data.toString();
          if (text.startsWith('ack:')) acks.get(client)!.push({ n: Number(text.slice(4)), received: client.chats().length });
        });
      }
      let groupId = 0;
      const inGroup = (client: ChatClient): Frame[] => client.frames.filter(f => f.type === 'singleChat' && f.data.chatType === 'group' && f.data.to_id === groupId);
      const waitGroup = (client: ChatClient, count: number, what: string) => client.waitFor(c => inGroup(c).length >= count, 5000, what);
      const last = (client: ChatClient): Frame => inGroup(client)[inGroup(client).length - 1];

      // group/create → every member, the creator too: the creation notice.
      assert.strictEqual(assertOk(await post(app, '/api/chat/group/create', owner.token).send({ userIds: [ rowOf(member) ] })), 'ok');
      await sm.waitFor(c => c.chats().some(d => d.chatType === 'group'), 5000, 'the creation notice');
      groupId = sm.chats().find(d => d.chatType === 'group')!.to_id;
      await waitGroup(so, 1, 'the creation notice');
      for (const client of [ so, sm ]) {
        assert.deepStrictEqual(kindsOf(last(client)), [ 'GroupNotice' ]);
        assert.strictEqual(last(client).data.data.data, noticeText.created(nameOf(owner)));
        assert.strictEqual(last(client).data.group.user_id, owner.id);
      }

      // sendmessage (group) → the other members get the HTTP answer; the sender gets no frame of it.
      const answer = assertOk(await post(app, '/api/chat/socket/sendmessage', member.token)
        .send({ sendto_id: groupId, chatType: 'group', type: 'text', data: '大家好', client_msg_id: 'asyncapi-group-1' }));
      await waitGroup(so, 2, 'the group message');
      assert.deepStrictEqual(kindsOf(last(so)), [ 'GroupMessage' ]);
      assert.deepStrictEqual(last(so).data, answer);

      // revokeMessage (group) → every member, the sender too: the notice, equal to the answer.
      const notice = assertOk(await post(app, '/api/chat/revokeMessage', member.token).send({ id: answer.id, chatType: 'group', to_id: groupId }));
      assert.strictEqual(notice.data.data, `${nameOf(member)} 撤回了一条消息`);
      await waitGroup(so, 3, 'the recall');
      await waitGroup(sm, 2, 'the recall');
      for (const client of [ so, sm ]) {
        assert.deepStrictEqual(kindsOf(last(client)), [ 'GroupRevokeNotice' ]);
        assert.deepStrictEqual(last(client).data, notice);
      }
      assert.deepStrictEqual(inGroup(sm).map(f => f.data.type), [ 'systemNotice', 'systemNotice' ], 'the sender got the notices, not its message');

      // groupInviteUser by the owner → in at once; every member, the newcomer too, gets the join notice, and the
      // newcomer nothing older.
      assert.strictEqual(assertOk(await post(app, '/api/chat/groupInviteUser', owner.token).send({ group_id: groupId, user_id: joiner.id, inviteuser_id: owner.id })), '加群成功');
      await waitGroup(so, 4, 'the join notice');
      await waitGroup(sm, 3, 'the join notice');
      await waitGroup(sj, 1, 'the join notice');
      for (const client of [ so, sm, sj ]) {
        assert.deepStrictEqual(kindsOf(last(client)), [ 'GroupNotice' ]);
        assert.strictEqual(last(client).data.data.data, noticeText.joined(inviterPrefix(nameOf(owner)), nameOf(joiner)));
      }
      assert.strictEqual(inGroup(sj).length, 1, 'nothing older than the join');

      // Join rule 1, then a user asks to join → the owner alone gets the join request, through the inbox.
      assertOk(await post(app, '/api/chat/groupAddUserSet', owner.token).send({ group_id: groupId, addGroupSet: 1 }));
      assert.strictEqual(assertOk(await post(app, '/api/chat/groupInviteUser', applicant.token).send({ group_id: groupId, user_id: applicant.id, inviteuser_id: -1, addGroupDesc: '我想进群' })), '等待群主同意');
      await so.waitFor(c => c.chats().some(d => d.from_name === '加群处理'), 5000, 'the join request');
      const requestFrame = so.frames.find(f => f.type === 'singleChat' && f.data.from_name === '加群处理');
      assert.deepStrictEqual(kindsOf(requestFrame), [ 'GroupJoinRequest' ]);
      assert.strictEqual(requestFrame!.data.data.data, noticeText.approval('', nameOf(applicant), requestFrame!.data.group.name));

      // groupDeleteUser → every member, the removed one too (their last entry), gets the removal notice.
      assertOk(await post(app, '/api/chat/groupDeleteUser', owner.token).send({ group_id: groupId, user_id: joiner.id }));
      for (const [ client, count ] of [[ so, 5 ], [ sm, 4 ], [ sj, 2 ]] as Array<[ ChatClient, number ]>) {
        await waitGroup(client, count, 'the removal notice');
        assert.deepStrictEqual(kindsOf(last(client)), [ 'GroupNotice' ]);
        assert.strictEqual(last(client).data.data.data, noticeText.removed(nameOf(joiner)));
      }

      // groupDeleteOrQuit by a member → the owner alone, through the inbox; by the owner → the dissolve notice.
      assertOk(await post(app, '/api/chat/groupDeleteOrQuit', member.token).send({ id: groupId }));
      await so.waitFor(c => c.chats().some(d => /已退出群聊$/.test(d.data?.data ?? '')), 5000, 'the quit notice');
      const quit = so.frames.find(f => f.type === 'singleChat' && /已退出群聊$/.test(f.data.data?.data ?? ''));
      assert.deepStrictEqual(kindsOf(quit), [ 'GroupNotice' ]);
      assertOk(await post(app, '/api/chat/groupDeleteOrQuit', owner.token).send({ id: groupId }));
      await so.waitFor(c => c.chats().some(d => /解散了该群$/.test(d.data?.data ?? '')), 5000, 'the dissolve notice');
      assert.deepStrictEqual(kindsOf(last(so)), [ 'GroupNotice' ]);
      assert.strictEqual(last(so).data.group.status, 0);
      // The removed member's last entry was the removal notice; the one who quit got nothing after quitting.
      await new Promise(resolve => setTimeout(resolve, 300));
      assert.strictEqual(inGroup(sj).length, 2, 'the removed member got nothing after the removal notice');
      assert.strictEqual(inGroup(sm).length, 4, 'the member who quit got nothing after');
      assert.strictEqual(inGroup(sa).length, 0, 'a pending applicant gets nothing of the group');

      // Every frame of every socket is one documented kind.
      for (const client of [ so, sm, sj ]) {
        for (const frame of client.frames) assert.strictEqual(kindsOf(frame).length, 1, JSON.stringify(frame));
      }
      // Receipts: each `ack:<n>` came right behind the socket's n-th singleChat frame, and the last one covers them all.
      for (const client of [ so, sm, sj ]) {
        await client.waitFor(() => acks.get(client)!.some(a => a.n === client.chats().length), 5000, 'the last receipt ping');
        for (const { n, received } of acks.get(client)!) assert.strictEqual(n, received, 'ack:<n> carries the count of singleChat frames sent before it');
      }
    });

    it('a binary frame: a fail frame, then 1008', async () => {
      const me = await registerUser(app);
      const client = await open(me.token);
      client.ws.send(Buffer.from([ 1, 2, 3 ]), { binary: true });
      assert.strictEqual(await client.closed, CLOSE.policy);
      assertFrame('Fail', client.frames[client.frames.length - 1]);
    });
  });
});
