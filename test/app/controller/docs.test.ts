import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { app, mock } from 'egg-mock/bootstrap';
import { assertFail } from '../../helpers/api';
import { MSG } from '../../../app/lib/messages';
import configDefault from '../../../config/config.default';

const DIST = path.dirname(require.resolve('swagger-ui-dist/package.json'));

describe('test/app/controller/docs.test.ts', () => {
  afterEach(() => mock.restore());

  it('is enabled outside production by default', () => {
    assert.strictEqual(app.config.chat.docsEnabled, true);
  });

  it('config: off in production unless DOCS_ENABLED=1; DOCS_ENABLED=0 turns it off anywhere', () => {
    const configOf = configDefault as unknown as (appInfo: object) => { chat: { docsEnabled: boolean } };
    const docsEnabled = (env: string, flag: string | undefined) => {
      const saved = process.env.DOCS_ENABLED;
      if (flag === undefined) delete process.env.DOCS_ENABLED; else process.env.DOCS_ENABLED = flag;
      try {
        return configOf({ name: 'eggchat', baseDir: app.baseDir, env }).chat.docsEnabled;
      } finally {
        if (saved === undefined) delete process.env.DOCS_ENABLED; else process.env.DOCS_ENABLED = saved;
      }
    };
    assert.strictEqual(docsEnabled('prod', undefined), false);
    assert.strictEqual(docsEnabled('prod', '1'), true);
    assert.strictEqual(docsEnabled('prod', '0'), false);
    assert.strictEqual(docsEnabled('local', undefined), true);
    assert.strictEqual(docsEnabled('unittest', undefined), true);
    assert.strictEqual(docsEnabled('local', '0'), false);
  });

  it('GET /docs serves the Swagger UI page referencing local assets only (no CDN)', async () => {
    for (const url of [ '/docs', '/docs/' ]) {
      const res = await app.httpRequest().get(url);
      assert.strictEqual(res.status, 200, url);
      assert.match(res.headers['content-type'], /^text\/html; charset=utf-8/);
      assert.match(res.text, /<div id="swagger-ui">/);
      for (const asset of [ '/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui-standalone-preset.js', '/docs/swagger-initializer.js' ]) {
        assert.ok(res.text.includes(`"${asset}"`), `references ${asset}`);
      }
      assert.ok(!/https?:\/\//.test(res.text), 'no absolute URL: nothing is loaded from a CDN');
    }
  });

  const assets: Array<[string, RegExp, string | undefined]> = [
    [ 'swagger-ui.css', /^text\/css; charset=utf-8/, path.join(DIST, 'swagger-ui.css') ],
    [ 'swagger-ui-bundle.js', /^application\/javascript; charset=utf-8/, path.join(DIST, 'swagger-ui-bundle.js') ],
    [ 'swagger-ui-standalone-preset.js', /^application\/javascript; charset=utf-8/, path.join(DIST, 'swagger-ui-standalone-preset.js') ],
    [ 'swagger-initializer.js', /^application\/javascript; charset=utf-8/, undefined ],
  ];
  for (const [ name, type, file ] of assets) {
    it(`GET /docs/${name} is served as ${type.source.slice(1, -16)}`, async () => {
      const res = await app.httpRequest().get(`/docs/${name}`).buffer(true)
        .parse((r, done) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => done(null, Buffer.concat(chunks)));
        });
      assert.strictEqual(res.status, 200);
      assert.match(res.headers['content-type'], type);
      assert.strictEqual(res.headers['x-content-type-options'], 'nosniff');
      if (file) assert.ok((res.body as Buffer).equals(fs.readFileSync(file)), 'the file from node_modules/swagger-ui-dist');
      else assert.match(String(res.body), /url: '\/docs\/openapi\.yaml'/);
    });
  }

  it('GET /docs/openapi.yaml serves the document of docs/ as YAML', async () => {
    const res = await app.httpRequest().get('/docs/openapi.yaml').buffer(true)
      .parse((r, done) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => { text += c; });
        r.on('end', () => done(null, text));
      });
    assert.strictEqual(res.status, 200);
    assert.match(res.headers['content-type'], /^application\/yaml; charset=utf-8/);
    assert.strictEqual(res.headers['cache-control'], 'no-cache');
    assert.strictEqual(res.body, fs.readFileSync(path.join(app.baseDir, 'docs/openapi.yaml'), 'utf8'));
    const doc = yaml.load(res.body as string) as any;
    assert.strictEqual(doc.openapi, '3.1.0');
    assert.deepStrictEqual(doc.servers, [{ url: '/', description: doc.servers[0].description }]);
  });

  it('answers HEAD like GET, without a body', async () => {
    const res = await app.httpRequest().head('/docs/swagger-ui.css');
    assert.strictEqual(res.status, 200);
    assert.match(res.headers['content-type'], /^text\/css/);
  });

  const refused = [
    '/docs/package.json',
    '/docs/..%2Fpackage.json',
    '/docs/%2e%2e%2fconfig%2fconfig.default.ts',
    '/docs/..%5Cpackage.json',
    '/docs/%2Fetc%2Fpasswd',
    '/docs/swagger-ui.css%00.js',
    '/docs/swagger-ui-bundle.js.map',
    '/docs/index.html',
    '/docs/absolute-path.js',
    '/docs/__proto__',
    '/docs/constructor',
    '/docs/swagger-ui/index.html',
    '/docs/img/swagger-register.png',
  ];
  for (const url of refused) {
    it(`refuses ${url} with the normal 404 JSON (whitelisted names only, no path traversal)`, async () => {
      assertFail(await app.httpRequest().get(url), 404, MSG.notFound);
    });
  }

  // egg-security's `dta` middleware already answers 400 to a path whose decoded form climbs out of
  // the root ('/docs/../../x'); either way nothing is read from disk.
  for (const url of [ '/docs/../package.json', '/docs/..%2F..%2Fpackage.json', '/docs/%2e%2e/%2e%2e/package.json', '/docs/..%2F..%2F..%2F..%2Fetc%2Fpasswd' ]) {
    it(`refuses ${url} (400 from egg-security or 404) without leaking a file`, async () => {
      const res = await app.httpRequest().get(url);
      assert.ok([ 400, 404 ].includes(res.status), `status ${res.status}`);
      assert.strictEqual(res.body.msg, 'fail');
      assert.match(res.headers['content-type'], /^application\/json/);
      assert.ok(!/dependencies|root:/.test(res.text));
    });
  }

  it('answers the normal 404 JSON on every /docs URL when disabled', async () => {
    mock(app.config.chat, 'docsEnabled', false);
    for (const url of [ '/docs', '/docs/', '/docs/openapi.yaml', '/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js', '/docs/swagger-initializer.js' ]) {
      const res = await app.httpRequest().get(url);
      assertFail(res, 404, MSG.notFound);
      assert.match(res.headers['content-type'], /^application\/json/);
    }
  });
});
