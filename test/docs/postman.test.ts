import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { app } from 'egg-mock/bootstrap';

/**
 * docs/postman against app/router.ts (the collection itself runs green against a real server in
 * `npm run test:postman`): every API route has a request, bodies are x-www-form-urlencoded, chat routes
 * send `token: {{token}}`, register/login store data.token, every request checks status and msg.
 */

const DIR = path.resolve(__dirname, '..', '..', 'docs', 'postman');
const collection = JSON.parse(fs.readFileSync(path.join(DIR, 'eggchat.postman_collection.json'), 'utf8'));
const environment = JSON.parse(fs.readFileSync(path.join(DIR, 'eggchat.postman_environment.json'), 'utf8'));

interface PostmanRequest { name: string; event: Array<{ listen: string; script: { exec: string[] } }>; request: any }

function requests(items: any[]): PostmanRequest[] {
  return items.flatMap(item => (item.item ? requests(item.item) : [ item ]));
}

const all = requests(collection.item);
const script = (item: PostmanRequest, listen: string) => (item.event.find(e => e.listen === listen)?.script.exec ?? []).join('\n');
const pathOf = (item: PostmanRequest) => '/' + item.request.url.path.join('/');

/** `/api/chat/listapplyfriend/:page?` → a RegExp for the collection's concrete paths ({{var}} or digits). */
function routePattern(routerPath: string): RegExp {
  const source = routerPath.replace(/\/:(\w+)(\?)?/g, (_, _name, optional) => `(?:/(?:\\d+|\\{\\{\\w+\\}\\}))${optional ? '?' : ''}`);
  return new RegExp(`^${source}$`);
}

describe('test/docs/postman.test.ts', () => {
  it('is a Postman v2.1 collection with an environment that defines baseUrl', () => {
    assert.strictEqual(collection.info.schema, 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json');
    const baseUrl = environment.values.find((v: any) => v.key === 'baseUrl');
    assert.strictEqual(baseUrl?.value, 'http://127.0.0.1:7001');
    for (const item of all) assert.strictEqual(item.request.url.host[0], '{{baseUrl}}', item.name);
  });

  it('has a request for every API route of app/router.ts (12 API routes + GET /api/health)', () => {
    const layers = ((app.router as any).stack as Array<{ path: string; methods: string[] }>)
      .filter(layer => layer.path.startsWith('/api/'));
    assert.strictEqual(layers.length, 13, layers.map(l => l.path).join(', '));
    for (const layer of layers) {
      const method = layer.methods.includes('POST') ? 'POST' : 'GET';
      const pattern = routePattern(layer.path);
      const found = all.filter(item => item.request.method === method && pattern.test(pathOf(item)));
      assert.ok(found.length > 0, `no request for ${method} ${layer.path}`);
    }
  });

  it('sends x-www-form-urlencoded bodies and `token: {{token}}` on every chat route but the 401 check', () => {
    for (const item of all) {
      if (item.request.body) assert.strictEqual(item.request.body.mode, 'urlencoded', item.name);
      const token = item.request.header.find((h: any) => h.key === 'token');
      if (pathOf(item).startsWith('/api/chat/') && !/没有 token/.test(item.name)) {
        assert.strictEqual(token?.value, '{{token}}', item.name);
      }
    }
    const seedValues = all.flatMap(item => item.request.body?.urlencoded ?? []).map((field: any) => `${field.key}=${field.value}`);
    for (const value of [ 'status=agree', 'nickname=阿三', 'friendlookme=0', 'melookfriend=1' ]) {
      assert.ok(seedValues.includes(value), `seed example ${value}`);
    }
    assert.strictEqual(environment.values.find((v: any) => v.key === 'password')?.value, '123456');
  });

  it('stores data.token after register and login, and checks status and msg in every request', () => {
    for (const item of all.filter(i => /^\/api\/(regChat|loginChat)$/.test(pathOf(i)))) {
      const tests = script(item, 'test');
      if (/200/.test(tests)) assert.match(tests, /pm\.environment\.set\('token', body\.data\.token\)/, item.name);
    }
    for (const item of all) {
      const tests = script(item, 'test');
      assert.match(tests, /pm\.response\.to\.have\.status\((200|400|401|422)\)/, item.name);
      assert.match(tests, /body\.msg\)\.to\.eql\('(ok|fail)'\)/, item.name);
    }
  });

  it('ends with a logout and a 401 for the logged-out token', () => {
    const names = all.map(item => pathOf(item));
    const logout = names.lastIndexOf('/api/chat/logout');
    assert.ok(logout > 0);
    assert.match(script(all[all.length - 2], 'test'), /401[\s\S]*Token 令牌不合法！/);
  });
});
