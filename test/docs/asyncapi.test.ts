import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import Ajv, { ValidateFunction } from 'ajv';
import { app } from 'egg-mock/bootstrap';
import { resetDatabase } from '../helpers/db';
import { assertOk, login, post, registerUser } from '../helpers/api';
import { ChatClient, connect, connectReady, listenApp } from '../helpers/socket';
import { spec as openapi } from '../helpers/openapi';
import { CLOSE, FRAME_TEXT, pingFrame } from '../../app/delivery/frames';
import { MSG } from '../../app/lib/messages';

/**
 * docs/asyncapi.yaml against the running server:
 *  (a) every example matches its payload schema; the message schemas are the OpenAPI ones; the texts,
 *      limits, close codes and HTTP triggers it names are the code's;
 *  (b) real frames of a full flow (welcome, friend notices, a message, its recall, pong, force_logout,
 *      refusals) match the documented payload of their kind, and arrive equal to the HTTP answers.
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
      for (const name of [ 'Message', 'RevokeNotice', 'NoticeText', 'EpochMillis', 'Uuid', 'Id' ]) {
        assert.deepStrictEqual(withoutDescriptions(spec.components.schemas[name]), withoutDescriptions(openapi.components.schemas[name]), name);
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

    it('a binary frame: a fail frame, then 1008', async () => {
      const me = await registerUser(app);
      const client = await open(me.token);
      client.ws.send(Buffer.from([ 1, 2, 3 ]), { binary: true });
      assert.strictEqual(await client.closed, CLOSE.policy);
      assertFrame('Fail', client.frames[client.frames.length - 1]);
    });
  });
});
