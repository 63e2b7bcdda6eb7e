import * as assert from 'node:assert';
import { app, mock } from 'egg-mock/bootstrap';
import { resetDatabase } from '../helpers/db';
import { uniqueName, PASSWORD } from '../helpers/api';
import { deref, findOperation, jsonSchemaOf, operations, schemaErrors, spec } from '../helpers/openapi';
import { MSG } from '../../app/lib/messages';
import { IDEMPOTENCY_KEY_REUSED } from '../../app/service/message';
import { pageRules } from '../../app/lib/validation/paging';
import { USERSET_MAX_LENGTH } from '../../app/lib/userSettings';
import { newDeviceId, registerVisitor, signedPost } from '../helpers/visitor';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import sharp from 'sharp';
import { startS3 } from '../helpers/s3';

/**
 * docs/openapi.yaml against the running server:
 *  (a) the documented operations are exactly the routes of app/router.ts;
 *  (b) real responses of a full flow validate against the schema documented for their status.
 */

/** The Swagger UI routes serve the documentation itself; they are not part of the API it documents. */
const DOCS_UI_ROUTES = [ 'GET /docs', 'GET /docs/:file' ];

interface RouteLayer { path: string; methods: string[]; paramNames: Array<{ name: string; optional?: boolean }>; stack: Array<(...args: any[]) => unknown> }

function routerLayers(): RouteLayer[] {
  return (app.router as any).stack as RouteLayer[];
}

/**
 * Router path → OpenAPI path templates. `:id` → `{id}`. An optional segment (`/:page?`) cannot be one
 * OpenAPI path (path parameters are always required), so it yields BOTH the path with `/{page}` and the
 * path without the segment: both are URLs the router answers, and both are documented.
 */
export function openApiTemplates(routerPath: string): string[] {
  let templates = [ '' ];
  for (const segment of routerPath.split('/').slice(1)) {
    const optional = /^:(\w+)\?$/.exec(segment);
    const param = /^:(\w+)$/.exec(segment);
    if (optional) templates = templates.flatMap(t => [ t, `${t}/{${optional[1]}}` ]);
    else templates = templates.map(t => `${t}/${param ? `{${param[1]}}` : segment}`);
  }
  return templates.map(t => t || '/');
}

/** Every response checked below, as "operationId status", to prove the flow covered the document. */
const checked = new Set<string>();

interface Res { status: number; body: any; headers: Record<string, string> }

/** Validates a real response against the schema the document gives for its status on this operation. */
function check(res: Res, method: string, url: string, expectedStatus?: number): any {
  const where = `${method} ${url} → ${res.status} ${JSON.stringify(res.body)}`;
  if (expectedStatus !== undefined) assert.strictEqual(res.status, expectedStatus, where);
  const op = findOperation(method, url);
  assert.ok(op, `no documented operation for ${method} ${url}`);
  const response = op.operation.responses[String(res.status)];
  assert.ok(response, `status ${res.status} is not documented for ${op.method} ${op.template}: ${where}`);
  assert.match(res.headers['content-type'], /^application\/json/, where);
  const errors = schemaErrors(jsonSchemaOf(response), res.body);
  assert.ok(!errors, `${where}\ndoes not match the documented schema:\n  ${errors}`);
  for (const name of Object.keys(deref(response).headers || {})) {
    assert.ok(res.headers[name.toLowerCase()] !== undefined, `documented header ${name} missing: ${where}`);
  }
  checked.add(`${op.operation.operationId} ${res.status}`);
  return res.body;
}

const form = (url: string, token?: string) => {
  const req = app.httpRequest().post(url).type('form');
  return token ? req.set('token', token) : req;
};
const getWith = (url: string, token?: string) => {
  const req = app.httpRequest().get(url);
  return token ? req.set('token', token) : req;
};

/** The admin console (issue 20): HTML pages, not the chat API. */
function isConsolePath(path: string): boolean {
  return path === '/admin' || path.startsWith('/admin/');
}

describe('test/docs/openapi.test.ts', () => {
  before(() => resetDatabase(app));
  afterEach(() => mock.restore());

  describe('(a) the document and the router', () => {
    it('documents exactly the routes of app/router.ts (50 routes, both forms of the optional :page?)', () => {
      const routed = new Map<string, RouteLayer>();
      const docsUi: string[] = [];
      for (const layer of routerLayers()) {
        for (const method of layer.methods.filter(m => m !== 'HEAD')) {
          if (DOCS_UI_ROUTES.includes(`${method} ${layer.path}`)) {
            docsUi.push(`${method} ${layer.path}`);
            continue;
          }
          for (const template of openApiTemplates(layer.path)) routed.set(`${method} ${template}`, layer);
        }
      }
      assert.deepStrictEqual(docsUi.sort(), [ ...DOCS_UI_ROUTES ].sort(), 'the Swagger UI routes are registered');
      const apiLayers = routerLayers().filter(l => !DOCS_UI_ROUTES.includes(`GET ${l.path}`) && !isConsolePath(l.path));
      assert.strictEqual(apiLayers.length, 50);
      assert.ok(routerLayers().some(l => isConsolePath(l.path)), 'the admin console\'s routes are registered (and compared below like the others)');

      const documented = operations().map(op => `${op.method} ${op.template}`);
      assert.deepStrictEqual(documented.filter(d => !routed.has(d)), [], 'documented but not routed');
      assert.deepStrictEqual([ ...routed.keys() ].filter(r => !documented.includes(r)), [], 'routed but not documented');
      assert.strictEqual(new Set(documented).size, documented.length);
    });

    it('converts router paths as described', () => {
      assert.deepStrictEqual(openApiTemplates('/api/chat/listapplyfriend/:page?'), [ '/api/chat/listapplyfriend', '/api/chat/listapplyfriend/{page}' ]);
      assert.deepStrictEqual(openApiTemplates('/api/chat/handleapply/:id'), [ '/api/chat/handleapply/{id}' ]);
      assert.deepStrictEqual(openApiTemplates('/api/health'), [ '/api/health' ]);
      assert.deepStrictEqual(openApiTemplates('/api/userinfo/:uuid'), [ '/api/userinfo/{uuid}' ]);
    });

    it('asks for X-Security-Sign exactly on the three visitor routes, which need no token', () => {
      const signed = operations().filter(op => (op.operation.parameters ?? []).some((p: any) => deref(p).name === 'X-Security-Sign'))
        .map(op => `${op.method} ${op.template}`);
      assert.deepStrictEqual(signed.sort(), [ 'POST /api/visitorRegister', 'POST /api/visitorloginChat', 'POST /api/visitorregChat' ]);
      const header = spec.components.parameters.XSecuritySign;
      assert.strictEqual(header.in, 'header');
      assert.strictEqual(header.required, true);
      assert.ok(header.description.includes(app.config.chat.visitor.signSalt), 'the default salt is the documented one');
      for (const template of [ '/api/visitorRegister', '/api/visitorregChat', '/api/visitorloginChat', '/api/userinfo/{uuid}' ]) {
        const op = spec.paths[template].post ?? spec.paths[template].get;
        assert.deepStrictEqual(op.security, [], `${template} is public`);
        assert.ok(!op.responses['403'], `${template} documents no 403`);
      }
      assert.strictEqual(spec.components.schemas.UsersetBody.properties.userset.maxLength, USERSET_MAX_LENGTH);
    });

    it('asks for a token exactly on the routes guarded by the auth middleware, with both schemes', () => {
      assert.deepStrictEqual(Object.keys(spec.components.securitySchemes).sort(), [ 'adminSession', 'bearerAuth', 'tokenHeader' ]);
      assert.deepStrictEqual(spec.components.securitySchemes.adminSession, { ...spec.components.securitySchemes.adminSession, type: 'apiKey', in: 'cookie' });
      assert.deepStrictEqual(spec.components.securitySchemes.tokenHeader, { ...spec.components.securitySchemes.tokenHeader, type: 'apiKey', in: 'header', name: 'token' });
      assert.deepStrictEqual(spec.components.securitySchemes.bearerAuth, { ...spec.components.securitySchemes.bearerAuth, type: 'http', scheme: 'bearer' });
      for (const layer of routerLayers()) {
        const method = layer.methods.find(m => m !== 'HEAD')!;
        if (DOCS_UI_ROUTES.includes(`${method} ${layer.path}`)) continue;
        const guarded = layer.stack.some(fn => fn.name === 'auth');
        assert.strictEqual(guarded, layer.path.startsWith('/api/chat/'), `${layer.path} auth middleware`);
        if (isConsolePath(layer.path)) {
          // The console's own session cookie, or nothing (its login form and assets); never a chat token.
          for (const template of openApiTemplates(layer.path)) {
            const security = spec.paths[template][method.toLowerCase()].security ?? spec.security;
            assert.ok(JSON.stringify(security) === '[]' || JSON.stringify(security) === '[{"adminSession":[]}]', `${template} security ${JSON.stringify(security)}`);
          }
          continue;
        }
        for (const template of openApiTemplates(layer.path)) {
          const op = spec.paths[template][method.toLowerCase()];
          const security = op.security ?? spec.security;
          if (guarded) {
            assert.deepStrictEqual(security, [{ tokenHeader: [] }, { bearerAuth: [] }], `${template} security`);
            assert.ok(op.responses['401'], `${template} documents 401`);
          } else {
            assert.deepStrictEqual(security, [], `${template} is public`);
            assert.ok(!op.responses['401'], `${template} documents no 401`);
          }
        }
      }
    });

    it('documents the paging defaults and caps of config.default.ts', () => {
      const { pageSize } = app.config.chat;
      const { Page, ApplyLimit, FriendLimit } = spec.components.parameters;
      assert.strictEqual(Page.schema.minimum, 1);
      assert.strictEqual(Page.schema.maximum, pageRules.page.max);
      assert.strictEqual(ApplyLimit.schema.default, pageSize.applyDefault);
      assert.strictEqual(ApplyLimit['x-clamped-to'], pageSize.applyMax);
      assert.ok(ApplyLimit.description.includes(`above ${pageSize.applyMax}`));
      assert.strictEqual(FriendLimit.schema.default, pageSize.friendDefault);
      assert.strictEqual(FriendLimit['x-clamped-to'], pageSize.friendMax);
      assert.ok(FriendLimit.description.includes(`above ${pageSize.friendMax}`));
      assert.strictEqual(spec.components.schemas.OkSearch.properties.data.maxItems, app.config.chat.searchLimit);
    });

    it('spells every failure message exactly as app/lib/messages.ts, and documents every message', () => {
      const known = new Set<string>(Object.values(MSG));
      const seen = new Set<string>();
      const walk = (node: any) => {
        if (Array.isArray(node)) return node.forEach(walk);
        if (!node || typeof node !== 'object') return;
        for (const [ key, value ] of Object.entries<any>(node)) {
          if (key === 'data' && value && typeof value === 'object' && !Array.isArray(value) && (value.enum || typeof value.const === 'string')) {
            for (const message of value.enum ?? [ value.const ]) {
              if (message === 'ok') continue;
              assert.ok(known.has(message), `"${message}" is not a message of app/lib/messages.ts`);
              seen.add(message);
            }
          }
          walk(value);
        }
      };
      walk(spec.paths);
      walk(spec.components);
      assert.deepStrictEqual([ ...known ].filter(m => !seen.has(m)), [], 'messages never documented');
    });

    it('fixes the shape of every response payload: additionalProperties false and every property required', () => {
      const requestBodies = new Set([ 'Credentials', 'SearchBody', 'ApplyBody', 'HandleBody', 'VisibilityBody',
        'VisitorIdentifyBody', 'VisitorCredentialsBody', 'UsersetBody', 'UserSetInfoBody', 'UpdateUserinfoBody', 'SendMessageBody', 'RevokeMessageBody',
        // Issue 19.
        'SetPasswordBody', 'AskCreateBody', 'AskUpdateBody', 'AskIdBody', 'AskListBody', 'AskSearchBody' ]);
      for (const [ name, schema ] of Object.entries<any>(spec.components.schemas)) {
        if (requestBodies.has(name) || !schema.properties) continue;
        assert.strictEqual(schema.additionalProperties, false, `${name}.additionalProperties`);
        assert.deepStrictEqual([ ...schema.required ].sort(), Object.keys(schema.properties).sort(), `${name}.required`);
      }
    });

    it('rejects a payload with a field added or removed (the schemas are strict)', () => {
      const example = spec.paths['/api/regChat'].post.responses['200'].content['application/json'].example;
      const schema = jsonSchemaOf(spec.paths['/api/regChat'].post.responses['200']);
      assert.strictEqual(schemaErrors(schema, example), undefined);
      assert.ok(schemaErrors(schema, { ...example, data: { ...example.data, password: 'x' } }), 'added field refused');
      const { token, ...withoutToken } = example.data;
      assert.ok(token);
      assert.ok(schemaErrors(schema, { ...example, data: withoutToken }), 'removed field refused');
      const contacts = spec.paths['/api/chat/goodfriendlist/{page}'].get.responses['200'];
      const sample = contacts.content['application/json'].examples.contacts.value;
      assert.strictEqual(schemaErrors(jsonSchemaOf(contacts), sample), undefined);
      const { uuid, ...withoutUuid } = sample.data.rows.newList[0].list[0];
      assert.ok(uuid);
      const broken = JSON.parse(JSON.stringify(sample));
      broken.data.rows.newList[0].list[0] = withoutUuid;
      assert.ok(schemaErrors(jsonSchemaOf(contacts), broken));
    });
  });

  describe('(b) real responses match the documented schemas', () => {
    it('a full flow: register, login, search, apply, list, agree, contacts, profile, settings, logout', async () => {
      check(await app.httpRequest().get('/api/health'), 'GET', '/api/health', 200);

      // Accounts: one registration as a form (the client), one as JSON.
      const nameA = uniqueName('docA');
      const nameB = uniqueName('docB');
      const nameC = uniqueName('docC');
      const regA = check(await form('/api/regChat').send({ username: nameA, password: PASSWORD }), 'POST', '/api/regChat', 200).data;
      const regB = check(await app.httpRequest().post('/api/regChat').send({ username: nameB, password: PASSWORD }), 'POST', '/api/regChat', 200).data;
      const regC = check(await form('/api/regChat').send({ username: nameC, password: PASSWORD }), 'POST', '/api/regChat', 200).data;
      check(await form('/api/regChat').send({ username: nameA, password: PASSWORD }), 'POST', '/api/regChat', 400);
      check(await form('/api/regChat').send({ password: PASSWORD }), 'POST', '/api/regChat', 422);
      const a = check(await form('/api/loginChat').send({ username: nameA, password: PASSWORD }), 'POST', '/api/loginChat', 200).data;
      assert.strictEqual(a.id, regA.id);
      check(await form('/api/loginChat').send({ username: nameA, password: 'wrong-password' }), 'POST', '/api/loginChat', 400);
      check(await form('/api/loginChat').send({ username: 'no' }), 'POST', '/api/loginChat', 422);
      const tokenA: string = a.token;
      const tokenB: string = regB.token;
      const tokenC: string = regC.token;

      // Search (also with Authorization: Bearer, the second documented scheme).
      const hits = check(await form('/api/chat/searchUser', tokenA).send({ keyword: nameB }), 'POST', '/api/chat/searchUser', 200).data;
      assert.strictEqual(hits[0].id, regB.id);
      const bearer = await app.httpRequest().post('/api/chat/searchUser').set('Authorization', `Bearer ${tokenA}`)
        .type('form')
        .send({ keyword: 'doc' });
      assert.ok(check(bearer, 'POST', '/api/chat/searchUser', 200).data.length >= 2);
      check(await form('/api/chat/searchUser', tokenA).send({ keyword: '' }), 'POST', '/api/chat/searchUser', 422);

      // Apply A → B; refusals.
      check(await form('/api/chat/applyfriend', tokenA).send({ friend_id: regB.id, nickname: '我是A' }), 'POST', '/api/chat/applyfriend', 200);
      check(await form('/api/chat/applyfriend', tokenA).send({ friend_id: regB.id }), 'POST', '/api/chat/applyfriend', 400);
      check(await form('/api/chat/applyfriend', tokenA).send({ friend_id: a.id }), 'POST', '/api/chat/applyfriend', 400);
      check(await form('/api/chat/applyfriend', tokenA).send({ friend_id: 'x' }), 'POST', '/api/chat/applyfriend', 422);

      // B lists the applications sent to B: with and without the page segment.
      const list = check(await getWith('/api/chat/listapplyfriend/1?limit=5', tokenB), 'GET', '/api/chat/listapplyfriend/1', 200).data;
      assert.strictEqual(list.alldata.length, 1);
      assert.strictEqual(list.pendingCount, 1);
      assert.strictEqual(list.alldata[0].user.id, a.id);
      check(await getWith('/api/chat/listapplyfriend', tokenB), 'GET', '/api/chat/listapplyfriend', 200);
      check(await getWith('/api/chat/listapplyfriend/0', tokenB), 'GET', '/api/chat/listapplyfriend/0', 422);

      // B agrees.
      const applyId = list.alldata[0].id;
      check(await form(`/api/chat/handleapply/${applyId}`, tokenB).send({ status: 'agree', nickname: 'A备注' }), 'POST', `/api/chat/handleapply/${applyId}`, 200);
      check(await form(`/api/chat/handleapply/${applyId}`, tokenB).send({ status: 'agree' }), 'POST', `/api/chat/handleapply/${applyId}`, 400);
      check(await form(`/api/chat/handleapply/${applyId}`, tokenB).send({ status: 'yes' }), 'POST', `/api/chat/handleapply/${applyId}`, 422);

      // Contacts: A has B, B has A, C has nobody.
      const contactsA = check(await getWith('/api/chat/goodfriendlist/1', tokenA), 'GET', '/api/chat/goodfriendlist/1', 200).data;
      assert.strictEqual(contactsA.count, 1);
      assert.strictEqual(contactsA.rows.newList[0].list[0].friend_id, regB.id);
      const contactsB = check(await getWith('/api/chat/goodfriendlist?limit=10', tokenB), 'GET', '/api/chat/goodfriendlist', 200).data;
      assert.strictEqual(contactsB.rows.newList[0].list[0].beizhu, 'A备注');
      const empty = check(await getWith('/api/chat/goodfriendlist', tokenC), 'GET', '/api/chat/goodfriendlist', 200).data;
      assert.deepStrictEqual(empty, { count: 0, rows: { newList: [], indexList: [], total: 0 } });
      check(await getWith('/api/chat/goodfriendlist/1?limit=abc', tokenA), 'GET', '/api/chat/goodfriendlist/1', 422);

      // Profile.
      const info = check(await getWith(`/api/chat/getgoodfriendinfo/${regB.id}`, tokenA), 'GET', `/api/chat/getgoodfriendinfo/${regB.id}`, 200).data;
      assert.strictEqual(info.friendinfo.id, regB.id);
      check(await getWith(`/api/chat/getgoodfriendinfo/${regC.id}`, tokenA), 'GET', `/api/chat/getgoodfriendinfo/${regC.id}`, 400);
      check(await getWith('/api/chat/getgoodfriendinfo/abc', tokenA), 'GET', '/api/chat/getgoodfriendinfo/abc', 422);

      // Blacklist, star, visibility (star and visibility are refused while blacklisted).
      const black = `/api/chat/setblackgoodfriend/${regB.id}`;
      const star = `/api/chat/setstargoodfriend/${regB.id}`;
      const see = `/api/chat/setmeOrfriendCanSee/${regB.id}`;
      check(await form(black, tokenA), 'POST', black, 200);
      check(await form(star, tokenA), 'POST', star, 400);
      check(await form(see, tokenA).send({ friendlookme: 0, melookfriend: 1 }), 'POST', see, 400);
      check(await form(black, tokenA), 'POST', black, 200);
      check(await form(star, tokenA), 'POST', star, 200);
      check(await form(see, tokenA).send({ friendlookme: 0, melookfriend: 1 }), 'POST', see, 200);
      check(await app.httpRequest().post(see).set('token', tokenA)
        .send({ friendlookme: 1, melookfriend: 0 }), 'POST', see, 200);
      check(await form(see, tokenA).send({ friendlookme: 2, melookfriend: 1 }), 'POST', see, 422);
      check(await form(`/api/chat/setblackgoodfriend/${regC.id}`, tokenA), 'POST', `/api/chat/setblackgoodfriend/${regC.id}`, 400);
      check(await form('/api/chat/setstargoodfriend/0', tokenA), 'POST', '/api/chat/setstargoodfriend/0', 422);
      check(await form('/api/chat/setblackgoodfriend/x', tokenA), 'POST', '/api/chat/setblackgoodfriend/x', 422);

      // Logout, then the token is refused (401); no token at all (401).
      check(await form('/api/chat/logout', tokenC), 'POST', '/api/chat/logout', 200);
      check(await form('/api/chat/logout', tokenA), 'POST', '/api/chat/logout', 200);
      check(await form('/api/chat/searchUser', tokenA).send({ keyword: nameB }), 'POST', '/api/chat/searchUser', 401);
      check(await getWith('/api/chat/goodfriendlist', tokenC), 'GET', '/api/chat/goodfriendlist', 401);
      check(await form('/api/chat/logout'), 'POST', '/api/chat/logout', 401);
      check(await getWith('/api/chat/getgoodfriendinfo/1', 'not-a-jwt'), 'GET', '/api/chat/getgoodfriendinfo/1', 401);
    });

    it('the routes of issue #11: visitors, public profile, settings, "is applying / is my friend", auto-add, delete', async () => {
      const reg = async (prefix: string) => check(await form('/api/regChat').send({ username: uniqueName(prefix), password: PASSWORD }), 'POST', '/api/regChat', 200).data;
      const a = await reg('docVa');
      const b = await reg('docVb');
      const c = await reg('docVc');

      // Visitor identity: JSON (the client) and form bodies; the same device again is the same account.
      const deviceId = newDeviceId();
      const visitor = check(await signedPost(app, '/api/visitorRegister', deviceId, { uniplatform: 'web', devicemodel: 'PC', deviceos: 'linux', devicebrand: '' }),
        'POST', '/api/visitorRegister', 200).data;
      assert.strictEqual(visitor.role, 'visitor');
      assert.strictEqual(visitor.devicefingeruuid, deviceId);
      const again = check(await signedPost(app, '/api/visitorRegister', deviceId), 'POST', '/api/visitorRegister', 200).data;
      assert.strictEqual(again.id, visitor.id);
      // The new login replaced the first token (one session per account).
      const visitorToken: string = again.token;
      check(await app.httpRequest().post('/api/visitorRegister').send({ deviceId, timestamp: Date.now() }), 'POST', '/api/visitorRegister', 400);
      check(await signedPost(app, '/api/visitorRegister', deviceId, {}, { timestamp: Date.now() - 600_000 }), 'POST', '/api/visitorRegister', 400);
      check(await signedPost(app, '/api/visitorRegister', 'short'), 'POST', '/api/visitorRegister', 422);

      // Public card: no token.
      const card = check(await app.httpRequest().get(`/api/userinfo/${a.uuid}`), 'GET', `/api/userinfo/${a.uuid}`, 200).data;
      assert.strictEqual(card.id, a.id);
      assert.strictEqual(typeof card.userset, 'string');
      check(await app.httpRequest().get(`/api/userinfo/${visitor.uuid.toUpperCase()}`), 'GET', '/api/userinfo/x', 200);
      check(await app.httpRequest().get('/api/userinfo/00000000-0000-4000-8000-000000000000'), 'GET', '/api/userinfo/x', 400);
      check(await app.httpRequest().get('/api/userinfo/not-a-uuid'), 'GET', '/api/userinfo/not-a-uuid', 422);

      // Settings (B: strangers may send one message; anyone may add B at once).
      check(await form('/api/chat/userset', b.token).send({ userset: JSON.stringify({ chatset: { visitor: 0, user: { sendCount: 1, needFollow: false } } }) }), 'POST', '/api/chat/userset', 200);
      check(await form('/api/chat/userset', b.token).send({ userset: '{"theme":"dark"}' }), 'POST', '/api/chat/userset', 422);
      assert.strictEqual(check(await form('/api/chat/updateUserinfo', b.token).send({ fieldname: 'invite_confirm', fieldValue: '0' }), 'POST', '/api/chat/updateUserinfo', 200).data, MSG.settingUpdated);
      assert.strictEqual(check(await form('/api/chat/updateUserinfo', b.token).send({ fieldname: 'nickname', fieldValue: '魂牵一梦' }), 'POST', '/api/chat/updateUserinfo', 200).data, MSG.nicknameUpdated);
      assert.strictEqual(check(await app.httpRequest().post('/api/chat/updateUserinfo').set('token', b.token)
        .send({ fieldname: 'avatar', fieldValue: 'https://example.com/a.png' }), 'POST', '/api/chat/updateUserinfo', 200).data, MSG.avatarUpdated);
      check(await form('/api/chat/updateUserinfo', b.token).send({ fieldname: 'username', fieldValue: 'hacker' }), 'POST', '/api/chat/updateUserinfo', 400);
      check(await form('/api/chat/updateUserinfo', b.token).send({ fieldname: 'email', fieldValue: 'x@example.com' }), 'POST', '/api/chat/updateUserinfo', 422);
      check(await form('/api/chat/updateUserinfo', b.token).send({ fieldname: 'avatar', fieldValue: 'ftp://example.com/a.png' }), 'POST', '/api/chat/updateUserinfo', 422);
      const cardB = check(await app.httpRequest().get(`/api/userinfo/${b.uuid}`), 'GET', '/api/userinfo/x', 200).data;
      assert.strictEqual(cardB.nickname, '魂牵一梦');
      assert.deepStrictEqual(JSON.parse(cardB.userset), { chatset: { visitor: 0, user: { sendCount: 1, needFollow: false } } });

      // Another user's settings, as a visitor and as a user.
      const setInfo = check(await form('/api/chat/getUserSetInfo', visitorToken).send({ userid: b.id }), 'POST', '/api/chat/getUserSetInfo', 200).data;
      assert.deepStrictEqual([ setInfo.invite_confirm, setInfo.isgoodfriend, setInfo.isgoodfriend_status ], [ 0, false, true ]);
      check(await form('/api/chat/getUserSetInfo', a.token).send({ userid: visitor.id }), 'POST', '/api/chat/getUserSetInfo', 400);
      check(await form('/api/chat/getUserSetInfo', a.token).send({ userid: 'x' }), 'POST', '/api/chat/getUserSetInfo', 422);

      // Auto-add: the visitor adds B at once; C needs approval; refusals.
      check(await form('/api/chat/autoAddFriendAndAgree', visitorToken).send({ friend_id: b.id, nickname: '游客' }), 'POST', '/api/chat/autoAddFriendAndAgree', 200);
      check(await form('/api/chat/autoAddFriendAndAgree', visitorToken).send({ friend_id: b.id }), 'POST', '/api/chat/autoAddFriendAndAgree', 400);
      check(await form('/api/chat/autoAddFriendAndAgree', a.token).send({ friend_id: c.id }), 'POST', '/api/chat/autoAddFriendAndAgree', 400);
      check(await form('/api/chat/autoAddFriendAndAgree', a.token).send({ friend_id: 'x' }), 'POST', '/api/chat/autoAddFriendAndAgree', 422);

      // Is my friend / delete.
      const row = check(await form(`/api/chat/ismygoodfriend/${b.id}`, visitorToken), 'POST', '/api/chat/ismygoodfriend/1', 200).data;
      assert.deepStrictEqual([ row.user_id, row.friend_id ], [ visitor.id, b.id ]);
      check(await form(`/api/chat/ismygoodfriend/${c.id}`, visitorToken), 'POST', '/api/chat/ismygoodfriend/1', 400);
      check(await form('/api/chat/ismygoodfriend/x', visitorToken), 'POST', '/api/chat/ismygoodfriend/x', 422);
      assert.strictEqual(check(await form(`/api/chat/deletegoodfriend/${b.id}`, visitorToken), 'POST', '/api/chat/deletegoodfriend/1', 200).data, MSG.friendDeleted);
      check(await form(`/api/chat/deletegoodfriend/${b.id}`, visitorToken), 'POST', '/api/chat/deletegoodfriend/1', 400);
      check(await form('/api/chat/deletegoodfriend/0', visitorToken), 'POST', '/api/chat/deletegoodfriend/0', 422);

      // Did this user apply to me: A applies to C; C asks.
      check(await form('/api/chat/applyfriend', a.token).send({ friend_id: c.id, nickname: '我是A' }), 'POST', '/api/chat/applyfriend', 200);
      const pending = check(await form(`/api/chat/isApplyfriend/${a.uuid}`, c.token), 'POST', '/api/chat/isApplyfriend/x', 200).data;
      assert.deepStrictEqual([ pending.user_id, pending.userId, pending.friend_id, pending.status ], [ a.id, a.id, c.id, 'pending' ]);
      check(await form(`/api/chat/isApplyfriend/${c.uuid}`, a.token), 'POST', '/api/chat/isApplyfriend/x', 400);
      check(await form('/api/chat/isApplyfriend/00000000-0000-4000-8000-000000000000', a.token), 'POST', '/api/chat/isApplyfriend/x', 400);
      check(await form('/api/chat/isApplyfriend/123', a.token), 'POST', '/api/chat/isApplyfriend/123', 422);

      // Formal registration and login from a device (the visitor becomes a user: same id).
      const username = uniqueName('docVf');
      const formal = check(await signedPost(app, '/api/visitorregChat', deviceId, { username, password: PASSWORD }), 'POST', '/api/visitorregChat', 200).data;
      assert.deepStrictEqual([ formal.id, formal.role, formal.devicefingeruuid ], [ visitor.id, 'user', null ]);
      check(await signedPost(app, '/api/visitorregChat', newDeviceId(), { username, password: PASSWORD }), 'POST', '/api/visitorregChat', 400);
      check(await signedPost(app, '/api/visitorregChat', newDeviceId(), { username: 'x', password: PASSWORD }), 'POST', '/api/visitorregChat', 422);
      const loggedIn = check(await signedPost(app, '/api/visitorloginChat', newDeviceId(), { username, password: PASSWORD }), 'POST', '/api/visitorloginChat', 200).data;
      assert.strictEqual(loggedIn.id, visitor.id);
      check(await signedPost(app, '/api/visitorloginChat', newDeviceId(), { username, password: 'wrong-password' }), 'POST', '/api/visitorloginChat', 400);
      check(await signedPost(app, '/api/visitorloginChat', newDeviceId(), { username }), 'POST', '/api/visitorloginChat', 422);
    });

    it('the routes of issue #12: sendmessage (idempotency key, refusals, 429), chatGetmessageOffLine, revokeMessage', async () => {
      const reg = async (prefix: string) => check(await form('/api/regChat').send({ username: uniqueName(prefix), password: PASSWORD }), 'POST', '/api/regChat', 200).data;
      const a = await reg('docMa');
      const b = await reg('docMb');
      const c = await reg('docMc');
      const send = '/api/chat/socket/sendmessage';
      const revoke = '/api/chat/revokeMessage';
      // A and B friends (B needs no approval); C stays a stranger with the default settings (one message).
      check(await form('/api/chat/updateUserinfo', b.token).send({ fieldname: 'invite_confirm', fieldValue: '0' }), 'POST', '/api/chat/updateUserinfo', 200);
      check(await form('/api/chat/autoAddFriendAndAgree', a.token).send({ friend_id: b.id }), 'POST', '/api/chat/autoAddFriendAndAgree', 200);

      // As the client sends it: a form, options as encodeURIComponent(JSON.stringify(…)).
      const content = JSON.stringify({ data: '你好，阿祖', dataType: false, otherData: null });
      const sent = check(await form(send, a.token).send({ sendto_id: b.id, chatType: 'single', type: 'text', data: content,
        options: encodeURIComponent(JSON.stringify({ k: 'v' })), client_msg_id: 'doc-key-1' }), 'POST', send, 200).data;
      assert.deepStrictEqual([ sent.from_id, sent.to_id, sent.data, sent.options, sent.sendUUid ], [ a.id, b.id, content, { k: 'v' }, a.uuid ]);
      // The same key again (here as the header): the first message, nothing new.
      const retried = check(await form(send, a.token).set('Idempotency-Key', 'doc-key-1').send({ sendto_id: b.id, chatType: 'single', type: 'text', data: content }), 'POST', send, 200).data;
      assert.deepStrictEqual(retried, sent);
      // The key names that message: with other content it is refused.
      assert.strictEqual(check(await form(send, a.token).set('Idempotency-Key', 'doc-key-1').send({ sendto_id: b.id, chatType: 'single', type: 'text', data: 'other' }), 'POST', send, 422).data, IDEMPOTENCY_KEY_REUSED);
      // JSON with an options object.
      const image = check(await app.httpRequest().post(send).set('token', b.token)
        .send({ sendto_id: a.id, chatType: 'single', type: 'image', data: '/public/a.png', options: { width: 300 } }), 'POST', send, 200).data;
      assert.deepStrictEqual(image.options, { width: 300 });

      // Refusals.
      assert.strictEqual(check(await form(send, a.token).send({ sendto_id: a.id, chatType: 'single', type: 'text', data: 'x' }), 'POST', send, 400).data, MSG.sendToSelf);
      assert.strictEqual(check(await form(send, a.token).send({ sendto_id: 1, chatType: 'group', type: 'text', data: 'x' }), 'POST', send, 400).data, MSG.groupUnavailable);
      check(await form(send, a.token).send({ sendto_id: c.id, chatType: 'single', type: 'text', data: 'first' }), 'POST', send, 200);
      assert.strictEqual(check(await form(send, a.token).send({ sendto_id: c.id, chatType: 'single', type: 'text', data: 'second' }), 'POST', send, 400).data, MSG.strangerOneMessage);
      check(await form(`/api/chat/setblackgoodfriend/${a.id}`, b.token), 'POST', '/api/chat/setblackgoodfriend/1', 200);
      assert.strictEqual(check(await form(send, a.token).send({ sendto_id: b.id, chatType: 'single', type: 'text', data: 'x' }), 'POST', send, 400).data, MSG.blockedByRecipient);
      check(await form(`/api/chat/setblackgoodfriend/${a.id}`, b.token), 'POST', '/api/chat/setblackgoodfriend/1', 200);
      check(await form(send, a.token).send({ chatType: 'single', type: 'text', data: 'x' }), 'POST', send, 422);
      check(await form(send, a.token).send({ sendto_id: b.id, chatType: 'single', type: 'sticker', data: 'x' }), 'POST', send, 422);
      check(await form(send, a.token).send({ sendto_id: b.id, chatType: 'single', type: 'text', data: 'x', options: '[1]' }), 'POST', send, 422);
      check(await form(send, a.token).set('Idempotency-Key', 'not a key!').send({ sendto_id: b.id, chatType: 'single', type: 'text', data: 'x' }), 'POST', send, 422);

      // The per-sender throttle: 429 with Retry-After.
      mock(app.config.chat.throttle, 'sendPerUser', { limit: 1, windowSeconds: 10 });
      // (C has sent nothing yet; A lets a stranger send one message, so only the throttle refuses the second.)
      check(await form(send, c.token).send({ sendto_id: a.id, chatType: 'single', type: 'text', data: 'one' }), 'POST', send, 200);
      assert.strictEqual(check(await form(send, c.token).send({ sendto_id: a.id, chatType: 'single', type: 'text', data: 'two' }), 'POST', send, 429).data, MSG.sendTooFrequent);
      mock.restore();

      assert.strictEqual(check(await form('/api/chat/chatGetmessageOffLine', b.token), 'POST', '/api/chat/chatGetmessageOffLine', 200).data, 'ok');

      // Recall: mine only, within the window; again → the notice again.
      const notice = check(await form(revoke, a.token).send({ id: sent.id, chatType: 'single', to_id: b.id, to_name: sent.to_name, to_avatar: sent.to_avatar, create_time: sent.create_time }),
        'POST', revoke, 200).data;
      assert.deepStrictEqual([ notice.id, notice.type, notice.actionType, notice.to_id ], [ sent.id, 'systemNotice', 'revoke', b.id ]);
      check(await app.httpRequest().post(revoke).set('token', a.token)
        .send({ id: sent.id.toUpperCase(), chatType: 'single', to_id: b.id }), 'POST', revoke, 200);
      assert.strictEqual(check(await form(revoke, b.token).send({ id: sent.id, chatType: 'single', to_id: b.id }), 'POST', revoke, 400).data, MSG.messageMissing);
      assert.strictEqual(check(await form(revoke, a.token).send({ id: '00000000-0000-4000-8000-000000000000', chatType: 'single', to_id: b.id }), 'POST', revoke, 400).data, MSG.messageMissing);
      // A group recall looks the message up first: a single message (or none) is no group message of mine.
      assert.strictEqual(check(await form(revoke, a.token).send({ id: sent.id, chatType: 'group', to_id: 1 }), 'POST', revoke, 400).data, MSG.messageMissing);
      mock(app.config.chat.message, 'revokeWindowSeconds', 0);
      await new Promise(resolve => setTimeout(resolve, 5));
      assert.strictEqual(check(await form(revoke, b.token).send({ id: image.id, chatType: 'single', to_id: a.id }), 'POST', revoke, 400).data, MSG.revokeTooLate);
      mock.restore();
      check(await form(revoke, a.token).send({ id: 'abc', chatType: 'single', to_id: b.id }), 'POST', revoke, 422);
      check(await form(revoke, a.token).send({ id: sent.id, chatType: 'single' }), 'POST', revoke, 422);
    });

    it('a visitor token: 403 on exactly the token routes that document it, accepted on the whitelist', async () => {
      const visitor = await registerVisitor(app);
      const concrete = (template: string) => template.replace('{uuid}', visitor.uuid).replace(/\{\w+\}/g, '1');
      const guarded = operations().filter(op => op.template.startsWith('/api/chat/'));
      // logout last: it ends the visitor's session.
      guarded.sort((x, y) => Number(x.operation.operationId === 'logout') - Number(y.operation.operationId === 'logout'));
      const whitelist: string[] = [];
      for (const op of guarded) {
        const url = concrete(op.template);
        const req = op.method === 'GET' ? getWith(url, visitor.token) : form(url, visitor.token);
        const res = await req;
        if (op.operation.responses['403']) {
          assert.strictEqual(check(res, op.method, url, 403).data, MSG.visitorForbidden);
        } else {
          check(res, op.method, url);
          assert.notStrictEqual(res.status, 403, `${op.method} ${url}`);
          whitelist.push(op.operation.operationId);
        }
      }
      assert.deepStrictEqual(whitelist.sort(), [ 'applyFriend', 'autoAddFriendAndAgree', 'chatGetMessageOffLine', 'deleteGoodFriend', 'getUserSetInfo',
        'groupDeleteOrQuit', 'groupInfo', 'groupInviteUser', 'groupList', 'groupListFirstPage', 'groupNickname', 'groupQrcode',
        'isMyGoodFriend', 'logout', 'revokeMessage', 'sendMessage', 'updateUserInfo', 'userSet', 'getVideoScreenshot', 'uploadAliyun', 'uploadStreamSingleToServerDiy',
        // Issue 19: a visitor gets the original's refusal (400), not a 403.
        'setPassword' ].sort());
    });

    it('the group routes of issue #13: create, list, profile and card, rename, notice, nickname, QR code, invite, join rule, approve, remove, quit, dissolve', async () => {
      const reg = async (prefix: string) => check(await form('/api/regChat').send({ username: uniqueName(prefix), password: PASSWORD }), 'POST', '/api/regChat', 200).data;
      const [ owner, a, b, c ] = [ await reg('docGo'), await reg('docGa'), await reg('docGb'), await reg('docGc') ];
      const rowIds: number[] = [];
      for (const friend of [ a, b, c ]) {
        rowIds.push((await app.model.Goodfriend.create({ user_id: owner.id, friend_id: friend.id })).id);
        await app.model.Goodfriend.create({ user_id: friend.id, friend_id: owner.id });
      }
      const create = '/api/chat/group/create';
      check(await app.httpRequest().post(create).set('token', owner.token)
        .send({ userIds: [ rowIds[0] ] }), 'POST', create, 200);
      check(await form(create, owner.token).send(`userIds=${rowIds[0]}&userIds=${rowIds[1]}`), 'POST', create, 200);
      check(await form(create, owner.token).send({ userIds: 999999 }), 'POST', create, 400);
      check(await app.httpRequest().post(create).set('token', owner.token)
        .send({ userIds: [ 'x' ] }), 'POST', create, 422);
      const list = check(await getWith('/api/chat/grouplist/1?limit=5', owner.token), 'GET', '/api/chat/grouplist/1', 200).data;
      assert.strictEqual(list.length, 2);
      check(await getWith('/api/chat/grouplist', a.token), 'GET', '/api/chat/grouplist', 200);
      check(await getWith('/api/chat/grouplist/0', a.token), 'GET', '/api/chat/grouplist/0', 422);
      const id: number = list[0].id;
      const info = `/api/chat/groupinfo/${id}`;
      assert.strictEqual(check(await getWith(info, a.token), 'GET', info, 200).data.group_users.length, 3);
      assert.deepStrictEqual(check(await getWith(info, c.token), 'GET', info, 200).data.group_users, []);
      check(await getWith('/api/chat/groupinfo/999999', a.token), 'GET', '/api/chat/groupinfo/1', 400);
      check(await getWith('/api/chat/groupinfo/x', a.token), 'GET', '/api/chat/groupinfo/1', 422);

      check(await form('/api/chat/groupUpdateName', owner.token).send({ id, name: '文档群' }), 'POST', '/api/chat/groupUpdateName', 200);
      check(await form('/api/chat/groupUpdateName', a.token).send({ id, name: '文档群' }), 'POST', '/api/chat/groupUpdateName', 400);
      check(await form('/api/chat/groupUpdateName', owner.token).send({ id, name: 'x'.repeat(21) }), 'POST', '/api/chat/groupUpdateName', 422);
      check(await form('/api/chat/groupremark', owner.token).send({ id, remark: '公告' }), 'POST', '/api/chat/groupremark', 200);
      check(await form('/api/chat/groupremark', a.token).send({ id, remark: '公告' }), 'POST', '/api/chat/groupremark', 400);
      check(await form('/api/chat/groupremark', owner.token).send({ id }), 'POST', '/api/chat/groupremark', 422);
      check(await form('/api/chat/groupnickname', a.token).send({ id, nickname: '阿A' }), 'POST', '/api/chat/groupnickname', 200);
      check(await form('/api/chat/groupnickname', c.token).send({ id, nickname: '阿C' }), 'POST', '/api/chat/groupnickname', 400);
      check(await form('/api/chat/groupnickname', a.token).send({ id }), 'POST', '/api/chat/groupnickname', 422);

      // A group message and its recall: the GroupMessage / GroupRevokeNotice answers (the member's group nickname).
      const send = '/api/chat/socket/sendmessage';
      const revoke = '/api/chat/revokeMessage';
      const groupMessage = check(await form(send, a.token).send({ sendto_id: id, chatType: 'group', type: 'text', data: '大家好' }), 'POST', send, 200).data;
      assert.deepStrictEqual([ groupMessage.chatType, groupMessage.from_name, groupMessage.to_id, groupMessage.group.id ], [ 'group', '阿A', id, id ]);
      assert.strictEqual(groupMessage.group.group_users, undefined);
      assert.strictEqual(check(await form(send, c.token).send({ sendto_id: id, chatType: 'group', type: 'text', data: 'x' }), 'POST', send, 400).data, MSG.notInGroupSend);
      assert.strictEqual(check(await form(revoke, owner.token).send({ id: groupMessage.id, chatType: 'group', to_id: id }), 'POST', revoke, 400).data, MSG.messageMissing);
      const groupNotice = check(await form(revoke, a.token).send({ id: groupMessage.id, chatType: 'group', to_id: id }), 'POST', revoke, 200).data;
      assert.deepStrictEqual([ groupNotice.id, groupNotice.chatType, groupNotice.type, groupNotice.actionType, groupNotice.data.data, groupNotice.group ],
        [ groupMessage.id, 'group', 'systemNotice', 'revoke', '阿A 撤回了一条消息', null ]);

      // The QR code is a PNG (not JSON): its 200 is checked here, its failures through check().
      const qr = await app.httpRequest().get(`/api/chat/groupQrcode/${id}?token=${a.token}`);
      assert.strictEqual(qr.status, 200);
      assert.strictEqual(qr.headers['content-type'], 'image/png');
      assert.ok(findOperation('GET', `/api/chat/groupQrcode/${id}`)!.operation.responses['200'].content['image/png']);
      checked.add('groupQrcode 200');
      check(await getWith(`/api/chat/groupQrcode/${id}`, c.token), 'GET', '/api/chat/groupQrcode/1', 400);
      check(await getWith('/api/chat/groupQrcode/x', a.token), 'GET', '/api/chat/groupQrcode/1', 422);

      const invite = '/api/chat/groupInviteUser';
      assert.strictEqual(check(await form(invite, owner.token).send({ group_id: id, user_id: c.id, inviteuser_id: owner.id }), 'POST', invite, 200).data, MSG.groupJoined);
      check(await form(invite, owner.token).send({ group_id: id, user_id: c.id }), 'POST', invite, 400);
      check(await form(invite, owner.token).send({ group_id: id }), 'POST', invite, 422);
      check(await form('/api/chat/groupAddUserSet', owner.token).send({ group_id: id, addGroupSet: 1 }), 'POST', '/api/chat/groupAddUserSet', 200);
      check(await form('/api/chat/groupAddUserSet', a.token).send({ group_id: id, addGroupSet: 1 }), 'POST', '/api/chat/groupAddUserSet', 400);
      check(await form('/api/chat/groupAddUserSet', owner.token).send({ group_id: id, addGroupSet: 5 }), 'POST', '/api/chat/groupAddUserSet', 422);
      const d = await reg('docGd');
      assert.strictEqual(check(await form(invite, d.token).send({ group_id: id, user_id: d.id, inviteuser_id: -1 }), 'POST', invite, 200).data, MSG.groupJoinPending);
      const agree = '/api/chat/groupAgreeOrNo';
      check(await form(agree, a.token).send({ group_id: id, user_id: d.id, type: 'agree' }), 'POST', agree, 400);
      check(await form(agree, owner.token).send({ group_id: id, user_id: d.id, type: 'maybe' }), 'POST', agree, 422);
      check(await form(agree, owner.token).send({ group_id: id, user_id: d.id, type: 'agree' }), 'POST', agree, 200);
      const fromD = check(await form(send, d.token).send({ sendto_id: id, chatType: 'group', type: 'text', data: 'd' }), 'POST', send, 200).data;
      const remove = '/api/chat/groupDeleteUser';
      check(await form(remove, owner.token).send({ group_id: id, user_id: d.id }), 'POST', remove, 200);
      // Removed: the sender's own message is found, but they are no longer a member.
      assert.strictEqual(check(await form(revoke, d.token).send({ id: fromD.id, chatType: 'group', to_id: id }), 'POST', revoke, 400).data, MSG.notInGroupRevoke);
      check(await form(remove, owner.token).send({ group_id: id, user_id: owner.id }), 'POST', remove, 400);
      check(await form(remove, owner.token).send({ group_id: id }), 'POST', remove, 422);
      const quit = '/api/chat/groupDeleteOrQuit';
      check(await form(quit, b.token).send({ id }), 'POST', quit, 200);
      check(await form(quit, b.token).send({ id }), 'POST', quit, 400);
      const fromOwner = check(await form(send, owner.token).send({ sendto_id: id, chatType: 'group', type: 'text', data: 'bye' }), 'POST', send, 200).data;
      check(await form(quit, owner.token).send({ id }), 'POST', quit, 200);
      // Dissolved: the group is unavailable (to a send and to a recall).
      assert.strictEqual(check(await form(send, a.token).send({ sendto_id: id, chatType: 'group', type: 'text', data: 'x' }), 'POST', send, 400).data, MSG.groupUnavailable);
      assert.strictEqual(check(await form(revoke, owner.token).send({ id: fromOwner.id, chatType: 'group', to_id: id }), 'POST', revoke, 400).data, MSG.groupUnavailable);
      check(await form(quit, owner.token).send({}), 'POST', quit, 422);
    });

    it('the visitor limits: 429 with the original\'s text and Retry-After', async () => {
      mock(app.config.chat.throttle, 'visitorPerDevice', { limit: 1, windowSeconds: 3600 });
      const deviceId = newDeviceId();
      check(await signedPost(app, '/api/visitorRegister', deviceId), 'POST', '/api/visitorRegister', 200);
      assert.strictEqual(check(await signedPost(app, '/api/visitorRegister', deviceId), 'POST', '/api/visitorRegister', 429).data, MSG.visitorTooFrequent);
      const formal = { username: uniqueName('docVl'), password: PASSWORD };
      assert.strictEqual(check(await signedPost(app, '/api/visitorregChat', deviceId, formal), 'POST', '/api/visitorregChat', 429).data, MSG.visitorTooFrequent);
      assert.strictEqual(check(await signedPost(app, '/api/visitorloginChat', deviceId, formal), 'POST', '/api/visitorloginChat', 429).data, MSG.visitorTooFrequent);
    });

    it('the documented failures outside the flow: 400 bad body, 404, 413, 415, 429', async () => {
      const user = check(await form('/api/regChat').send({ username: uniqueName('docD'), password: PASSWORD }), 'POST', '/api/regChat', 200).data;

      // Malformed JSON → 400 请求体格式错误.
      const badJson = await app.httpRequest().post('/api/chat/searchUser').set('token', user.token)
        .set('Content-Type', 'application/json')
        .send('{"keyword":');
      assert.strictEqual(check(badJson, 'POST', '/api/chat/searchUser', 400).data, MSG.badBody);

      // Unknown route and wrong method → 404, validated against components.responses.NotFound.
      for (const res of [ await app.httpRequest().get('/api/nope'), await app.httpRequest().get('/api/regChat'), await app.httpRequest().post('/api/chat/handleapply/') ]) {
        assert.strictEqual(res.status, 404);
        assert.strictEqual(schemaErrors(jsonSchemaOf(spec.components.responses.NotFound), res.body), undefined, JSON.stringify(res.body));
      }

      // A body in a Content-Encoding the server cannot decode (not identity/gzip/deflate) → 415 请求体格式错误.
      const encoded = await app.httpRequest().post('/api/chat/searchUser').set('token', user.token)
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'klingon')
        .send('{"keyword":"abc"}');
      assert.strictEqual(check(encoded, 'POST', '/api/chat/searchUser', 415).data, MSG.badBody);

      // Body over the limit → 413.
      const huge = await app.httpRequest().post('/api/regChat').set('Content-Type', 'application/json')
        .send(JSON.stringify({ username: 'abcd', password: 'x'.repeat(1_100_000) }));
      check(huge, 'POST', '/api/regChat', 413);

      // Throttled login → 429 with Retry-After.
      mock(app.config.chat.throttle, 'loginFailPerAccount', { limit: 1, windowSeconds: 60 });
      const name = uniqueName('docT');
      check(await form('/api/regChat').send({ username: name, password: PASSWORD }), 'POST', '/api/regChat', 200);
      check(await form('/api/loginChat').send({ username: name, password: 'wrong-password' }), 'POST', '/api/loginChat', 400);
      const throttled = check(await form('/api/loginChat').send({ username: name, password: PASSWORD }), 'POST', '/api/loginChat', 429);
      assert.strictEqual(throttled.data, MSG.tooManyAttempts);
    });

    it('the media routes of issue #14: uploads (local disk), the served file, the video cover; uploadAliyun on a loopback S3 server', async () => {
      const user = check(await form('/api/regChat').send({ username: uniqueName('docM'), password: PASSWORD }), 'POST', '/api/regChat', 200).data;
      const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#336699' } }).png().toBuffer();
      const diy = '/api/chat/uploadStreamSingleToServerDiy/chatImgs';
      const uploaded = check(await app.httpRequest().post(diy).set('token', user.token)
        .attach('file', png, 'a.png'), 'POST', diy, 200).data;
      const served = await app.httpRequest().get(uploaded.url);
      assert.strictEqual(served.status, 200);
      assert.strictEqual(served.headers['content-type'], 'image/png');
      assert.ok(findOperation('GET', uploaded.url)!.operation.responses['200'].content['image/png']);
      checked.add('getUploadedFile 200');
      check(await app.httpRequest().get(uploaded.url.replace(/\d{13}_/, '1000000000000_')), 'GET', uploaded.url, 404);
      check(await app.httpRequest().post(diy).set('token', user.token)
        .attach('file', Buffer.from('<html></html>'), 'x.png'), 'POST', diy, 400);
      check(await form('/api/chat/uploadStreamSingleToServerDiy/etc', user.token), 'POST', '/api/chat/uploadStreamSingleToServerDiy/etc', 422);
      const mp4 = path.join(os.tmpdir(), `eggchat-doc-${process.pid}.mp4`);
      execFileSync('ffmpeg', [ '-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=duration=1:size=160x120:rate=5', '-pix_fmt', 'yuv420p', mp4 ]);
      const video = check(await app.httpRequest().post('/api/chat/uploadStreamSingleToServerDiy/chatVideos').set('token', user.token)
        .attach('file', fs.readFileSync(mp4), 'v.mp4'),
      'POST', '/api/chat/uploadStreamSingleToServerDiy/chatVideos', 200).data;
      fs.rmSync(mp4, { force: true });
      const cover = '/api/chat/getVideoScreenshot';
      check(await form(cover, user.token).send({ videoUrl: video.url, time: 20, width: 64, format: 'png' }), 'POST', cover, 200);
      check(await form(cover, user.token).send({ videoUrl: 'http://169.254.169.254/x.mp4' }), 'POST', cover, 400);
      check(await form(cover, user.token).send({}), 'POST', cover, 422);
      const aliyun = '/api/chat/uploadAliyun';
      check(await app.httpRequest().post(aliyun).set('token', user.token)
        .attach('img', png, 'a.png'), 'POST', aliyun, 400);
      const s3 = await startS3();
      try {
        mock(app.config.chat, 'media', { ...app.config.chat.media, s3: s3.settings });
        check(await app.httpRequest().post(aliyun).set('token', user.token)
          .field('imageClassId', '0')
          .attach('img', png, 'a.png'), 'POST', aliyun, 200);
      } finally {
        await s3.stop();
      }
    });

    it('issue 19: setPassword and the auto-answer routes answer as documented', async () => {
      const reg = '/api/regChat';
      const user = check(await form(reg).send({ username: uniqueName('ask'), password: PASSWORD }), 'POST', reg, 200).data;
      const setPassword = '/api/chat/setPassword';
      check(await form(setPassword, user.token).send({ oldpassword: PASSWORD, newpassword: 'changed456', checknewpassword: 'changed456' }), 'POST', setPassword, 200);
      check(await form(setPassword, user.token).send({ oldpassword: 'wrong-old', newpassword: 'changed456', checknewpassword: 'changed456' }), 'POST', setPassword, 400);
      check(await form(setPassword, user.token).send({ oldpassword: 'changed456' }), 'POST', setPassword, 422);
      check(await form(setPassword).send({}), 'POST', setPassword, 401);
      const url = (action: string) => `/api/chat/askanswer/${action}`;
      const owner = { type: 'single', create_userId: user.id };
      const entry = check(await form(url('create'), user.token).send({ ...owner, ask: '运费怎么算', answer: '满 99 元包邮' }), 'POST', url('create'), 200).data;
      check(await form(url('create'), user.token).send({ ...owner, ask: '' }), 'POST', url('create'), 422);
      check(await form(url('create'), user.token).send({ type: 'single', create_userId: user.id + 1, ask: 'x', answer: 'y' }), 'POST', url('create'), 400);
      check(await form(url('update'), user.token).send({ ...owner, id: entry.id, ask: '运费怎么算', answer: '满 88 元包邮' }), 'POST', url('update'), 200);
      check(await form(url('list'), user.token).send({ type: 'single', userId: user.id }), 'POST', url('list'), 200);
      check(await form(url('detail'), user.token).send({ id: entry.id }), 'POST', url('detail'), 200);
      check(await form(url('search'), user.token).send({ ...owner, ask: '运费多少' }), 'POST', url('search'), 200);
      check(await form(url('search'), user.token).send({ ...owner, ask: '你好' }), 'POST', url('search'), 400);
      check(await form(url('delete'), user.token).send({ id: entry.id }), 'POST', url('delete'), 200);
      check(await form(url('detail'), user.token).send({ id: entry.id }), 'POST', url('detail'), 400);
      check(await form(url('list')).send({}), 'POST', url('list'), 401);
    });

    it('the flow answered 200 on every documented operation (the console\'s pages: test/app/controller/admin/*, checked against this document by test/zz-openapi-responses.test.ts)', () => {
      const missing = operations().filter(op => !isConsolePath(op.template) && !checked.has(`${op.operation.operationId} 200`)).map(op => `${op.method} ${op.template}`);
      assert.deepStrictEqual(missing, []);
    });
  });
});
