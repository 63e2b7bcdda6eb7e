import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import * as vm from 'node:vm';
import { app } from 'egg-mock/bootstrap';
import { visitorSign } from '../../app/lib/visitorSign';
import { DEFAULT_VISITOR_SIGN_SALT } from '../../config/config.default';
import { SERVED_DIRS } from '../../app/lib/media';

/**
 * docs/postman against app/router.ts (the collection itself runs green against a real server in
 * `npm run test:postman`): every route has a request (the API and the stored files), bodies are
 * x-www-form-urlencoded but the uploads' multipart bodies (real sample files in docs/postman/files/, paths
 * relative to the repository root: newman's --working-dir), chat routes send `token: {{token}}` and no
 * other route does, the visitor routes send `X-Security-Sign` computed by a pre-request script exactly as
 * the server checks it, register/login store data.token, every request checks status and msg (but the two
 * images: the QR code and a stored file).
 */

const ROOT = path.resolve(__dirname, '..', '..');
const DIR = path.resolve(ROOT, 'docs', 'postman');
const collection = JSON.parse(fs.readFileSync(path.join(DIR, 'eggchat.postman_collection.json'), 'utf8'));
const environment = JSON.parse(fs.readFileSync(path.join(DIR, 'eggchat.postman_environment.json'), 'utf8'));

interface PostmanRequest { name: string; event: Array<{ listen: string; script: { exec: string[] } }>; request: any }

function requests(items: any[]): PostmanRequest[] {
  return items.flatMap(item => (item.item ? requests(item.item) : [ item ]));
}

const all = requests(collection.item);
const script = (item: PostmanRequest, listen: string) => (item.event.find(e => e.listen === listen)?.script.exec ?? []).join('\n');
const pathOf = (item: PostmanRequest) => '/' + item.request.url.path.join('/');
const header = (item: PostmanRequest, key: string) => item.request.header.find((h: any) => h.key.toLowerCase() === key.toLowerCase());
const VISITOR_ROUTE = /^\/api\/visitor(Register|regChat|loginChat)$/;

/**
 * Runs a pre-request script the way Postman and newman do, with only what the collection's scripts use:
 * pm.environment, pm.variables.replaceIn('{{$guid}}') and require('crypto-js') (SHA256 + enc.Hex).
 */
function runPreRequest(item: PostmanRequest, env: Map<string, string>) {
  const cryptoJs = {
    enc: { Hex: 'hex' },
    SHA256: (text: string) => ({ toString: (encoding: string) => createHash('sha256').update(text).digest(encoding as 'hex') }),
  };
  const pm = {
    environment: { get: (key: string) => env.get(key), set: (key: string, value: unknown) => env.set(key, String(value)) },
    variables: { replaceIn: (text: string) => text.replace('{{$guid}}', '8d1a344c-bf16-5425-adbc-d12f49cfa332') },
  };
  const require = (name: string) => {
    if (name !== 'crypto-js') throw new Error(`the script requires ${name}`);
    return cryptoJs;
  };
  vm.runInNewContext(script(item, 'prerequest'), { pm, require, Date, String });
}

/**
 * `/api/chat/listapplyfriend/:page?` → a RegExp for the collection's concrete paths ({{var}} or digits; a
 * `:dir` is one of the media folders, as the server allows them).
 */
function routePattern(routerPath: string): RegExp {
  const source = routerPath.replace(/\/:(\w+)(\?)?/g, (_, name, optional) => {
    const value = name === 'dir' ? SERVED_DIRS.join('|') : '\\d+';
    return `(?:/(?:${value}|\\{\\{\\w+\\}\\}))${optional ? '?' : ''}`;
  });
  return new RegExp(`^${source}$`);
}

const UPLOAD_ROUTE = /^\/api\/chat\/(uploadStreamSingleToServerDiy\/\w+|uploadAliyun)$/;
const STORED_FILE = /^\/public\/uploads\/Diy\//;

describe('test/docs/postman.test.ts', () => {
  it('is a Postman v2.1 collection with an environment that defines baseUrl', () => {
    assert.strictEqual(collection.info.schema, 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json');
    const baseUrl = environment.values.find((v: any) => v.key === 'baseUrl');
    assert.strictEqual(baseUrl?.value, 'http://127.0.0.1:7001');
    for (const item of all) assert.strictEqual(item.request.url.host[0], '{{baseUrl}}', item.name);
  });

  it('has a request for every route of app/router.ts (48 API routes + GET /api/health + the stored files; not /docs, not the /admin console)', () => {
    // The admin console is HTML pages for a browser (test/admin/console.browser.test.ts), not an API to call.
    const layers = ((app.router as any).stack as Array<{ path: string; methods: string[] }>)
      .filter(layer => !/^\/(docs|admin)(\/|$)/.test(layer.path));
    assert.strictEqual(layers.filter(layer => layer.path.startsWith('/api/')).length, 49, layers.map(l => l.path).join(', '));
    assert.deepStrictEqual(layers.filter(layer => !layer.path.startsWith('/api/')).map(l => l.path), [ '/public/uploads/Diy/:dir/:date/:name' ]);
    for (const layer of layers) {
      const method = layer.methods.includes('POST') ? 'POST' : 'GET';
      const pattern = routePattern(layer.path);
      const found = all.filter(item => item.request.method === method && pattern.test(pathOf(item)));
      assert.ok(found.length > 0, `no request for ${method} ${layer.path}`);
    }
  });

  it('sends x-www-form-urlencoded bodies and `token: {{token}}` on every chat route but the 401 checks, and on no other route', () => {
    for (const item of all) {
      // The uploads send multipart bodies (below); everything else is a form.
      if (item.request.body) assert.strictEqual(item.request.body.mode, UPLOAD_ROUTE.test(pathOf(item)) ? 'formdata' : 'urlencoded', item.name);
      const token = header(item, 'token');
      if (pathOf(item).startsWith('/api/chat/') && !/没有 token/.test(item.name)) {
        assert.strictEqual(token?.value, '{{token}}', item.name);
      }
      // The public routes (health, userinfo, the visitor routes, register, login) need none.
      if (!pathOf(item).startsWith('/api/chat/')) assert.strictEqual(token, undefined, item.name);
    }
    const seedValues = all.flatMap(item => item.request.body?.urlencoded ?? []).map((field: any) => `${field.key}=${field.value}`);
    for (const value of [ 'status=agree', 'nickname=阿三', 'friendlookme=0', 'melookfriend=1', 'fieldname=nickname', 'fieldname=avatar', 'fieldname=invite_confirm' ]) {
      assert.ok(seedValues.includes(value), `seed example ${value}`);
    }
    assert.strictEqual(environment.values.find((v: any) => v.key === 'password')?.value, '123456');
    assert.ok(all.some(item => pathOf(item).startsWith('/api/userinfo/') && item.request.method === 'GET'), 'GET /api/userinfo/:uuid without a token');
  });

  it('uploads real sample files from docs/postman/files (paths from the repository root, newman\'s --working-dir): a JPEG, a disguised HTML, an MP4', () => {
    const uploads = all.filter(item => UPLOAD_ROUTE.test(pathOf(item)));
    const sent = new Map<string, string>();
    for (const item of uploads) {
      const fields = item.request.body.formdata as Array<{ key: string; type: string; src?: string; contentType?: string }>;
      const files = fields.filter(field => field.type === 'file');
      assert.strictEqual(files.length, 1, item.name);
      // The client's field names: `file` (this server), `img` (object storage).
      assert.strictEqual(files[0].key, pathOf(item) === '/api/chat/uploadAliyun' ? 'img' : 'file', item.name);
      assert.match(files[0].src ?? '', /^docs\/postman\/files\/[\w.-]+$/, item.name);
      assert.ok(fs.existsSync(path.join(ROOT, files[0].src!)), `${item.name}: ${files[0].src} exists`);
      sent.set(files[0].src!, files[0].contentType ?? '');
    }
    const bytes = (name: string) => fs.readFileSync(path.join(DIR, 'files', name));
    assert.deepStrictEqual([ ...sent.keys() ].sort(), [ 'docs/postman/files/not-an-image.png', 'docs/postman/files/photo.jpg', 'docs/postman/files/tiny.mp4' ]);
    assert.strictEqual(bytes('photo.jpg').subarray(0, 3).toString('hex'), 'ffd8ff');
    assert.strictEqual(bytes('tiny.mp4').subarray(4, 8).toString(), 'ftyp');
    // Disguised: named and sent as a PNG, but an HTML page (the server decides from the content).
    assert.match(bytes('not-an-image.png').toString(), /^<!DOCTYPE html>/);
    assert.strictEqual(sent.get('docs/postman/files/not-an-image.png'), 'image/png');
    for (const name of fs.readdirSync(path.join(DIR, 'files'))) assert.ok(bytes(name).length < 16 * 1024, `${name} is small`);
    assert.match(fs.readFileSync(path.join(ROOT, 'scripts', 'newman.sh'), 'utf8'), /--working-dir "\$ROOT"/);

    // The video's cover is asked for after the upload that stores videoUrl, and checked as a base64 image.
    const names = all.map(item => item.name);
    const video = all.findIndex(item => /pm\.environment\.set\('videoUrl'/.test(script(item, 'test')));
    const cover = all.findIndex(item => pathOf(item) === '/api/chat/getVideoScreenshot' && /status\(200\)/.test(script(item, 'test')));
    assert.ok(video >= 0 && cover > video, names.join(', '));
    assert.match(script(all[cover], 'test'), /data:image\\\/png;base64,/);
  });

  it('signs the visitor routes: X-Security-Sign from a pre-request script, as app/lib/visitorSign.ts checks it', () => {
    assert.strictEqual(environment.values.find((v: any) => v.key === 'visitorSalt')?.value, DEFAULT_VISITOR_SIGN_SALT);
    const visitorItems = all.filter(item => VISITOR_ROUTE.test(pathOf(item)));
    assert.deepStrictEqual([ ...new Set(visitorItems.map(pathOf)) ].sort(), [ '/api/visitorRegister', '/api/visitorloginChat', '/api/visitorregChat' ]);
    for (const item of visitorItems) {
      const fields = (item.request.body?.urlencoded ?? []).map((f: any) => f.key);
      assert.ok(fields.includes('deviceId') && fields.includes('timestamp'), `${item.name}: deviceId and timestamp in the body`);
      if (/没有签名/.test(item.name)) {
        assert.strictEqual(header(item, 'X-Security-Sign'), undefined, item.name);
        continue;
      }
      assert.strictEqual(header(item, 'X-Security-Sign')?.value, '{{visitorSign}}', item.name);
    }
    // Each successful call signs anew (a signature is accepted once); the first makes a new device id per run.
    const signing = visitorItems.filter(item => /^pm\.test\('HTTP 200'/.test(script(item, 'test')));
    assert.strictEqual(signing.length, 3);
    for (const item of signing) assert.match(script(item, 'prerequest'), /CryptoJSLib\.SHA256\(/, item.name);
    assert.match(script(signing[0], 'prerequest'), /\{\{\$guid\}\}/);

    // The scripts compute what the server expects, for the deviceId and timestamp the body sends.
    for (const item of visitorItems.filter(i => script(i, 'prerequest'))) {
      const env = new Map<string, string>([[ 'deviceId', '0a1b2c3d-bf16-5425-adbc-d12f49cfa332' ], [ 'visitorSalt', DEFAULT_VISITOR_SIGN_SALT ], [ 'usernameA', 'my01_abcdefghi' ]]);
      runPreRequest(item, env);
      const sent = (key: string) => {
        const value = item.request.body.urlencoded.find((f: any) => f.key === key).value as string;
        return value.replace(/\{\{(\w+)\}\}/g, (_: string, name: string) => env.get(name) ?? '');
      };
      assert.match(sent('deviceId'), /^.{36}$/, item.name);
      assert.strictEqual(env.get('visitorSign'), visitorSign(sent('deviceId'), sent('timestamp'), DEFAULT_VISITOR_SIGN_SALT), item.name);
      if (!/过期/.test(item.name)) assert.ok(Math.abs(Number(sent('timestamp')) - Date.now()) < 60_000, `${item.name}: a fresh timestamp`);
    }
  });

  it('stores data.token after register and login, and checks status and msg in every request (the QR code PNG and a stored file: status and image type)', () => {
    for (const item of all.filter(i => /^\/api\/(regChat|loginChat)$/.test(pathOf(i)))) {
      const tests = script(item, 'test');
      if (/200/.test(tests)) assert.match(tests, /pm\.environment\.set\('token', body\.data\.token\)/, item.name);
    }
    let pngs = 0;
    let stored = 0;
    for (const item of all) {
      const tests = script(item, 'test');
      assert.match(tests, /pm\.response\.to\.have\.status\((200|400|401|403|404|422)\)/, item.name);
      // GET /api/chat/groupQrcode/:id answers a PNG (its refusals are JSON and checked like the rest).
      if (/^\/api\/chat\/groupQrcode\//.test(pathOf(item)) && /status\(200\)/.test(tests)) {
        assert.match(tests, /Content-Type'\)\)\.to\.eql\('image\/png'\)/, item.name);
        pngs++;
        continue;
      }
      // GET /public/uploads/Diy/… answers the stored file itself (a missing one is JSON, checked like the rest).
      if (STORED_FILE.test(pathOf(item)) && /status\(200\)/.test(tests)) {
        assert.match(tests, /Content-Type'\)\)\.to\.eql\('image\/(jpeg|png)'\)/, item.name);
        assert.match(tests, /X-Content-Type-Options'\)\)\.to\.eql\('nosniff'\)/, item.name);
        stored++;
        continue;
      }
      assert.match(tests, /body\.msg\)\.to\.eql\('(ok|fail)'\)/, item.name);
    }
    assert.strictEqual(pngs, 1, 'one request gets the QR code image');
    assert.strictEqual(stored, 1, 'one request gets an uploaded image back');
  });

  it('ends with a logout and a 401 for the logged-out token', () => {
    const names = all.map(item => pathOf(item));
    const logout = names.lastIndexOf('/api/chat/logout');
    assert.ok(logout > 0);
    assert.match(script(all[all.length - 2], 'test'), /401[\s\S]*Token 令牌不合法！/);
  });
});
