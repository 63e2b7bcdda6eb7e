import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { resetDatabase } from '../helpers/db';
import { assertOk, registerUser } from '../helpers/api';
import { corsOrigins } from '../../config/config.default';

const H5_ORIGIN = 'http://localhost:8080';

/**
 * The client's H5 build runs on another origin than the API: its browser sends a preflight for every
 * JSON POST (and for the `token` header) and reads answers only with Access-Control-Allow-Origin.
 */
describe('test/app/cors.test.ts', () => {
  before(() => resetDatabase(app));

  it('answers the preflight of a JSON POST with the token header: origin, methods, headers', async () => {
    const res = await app.httpRequest().options('/api/chat/searchUser')
      .set('Origin', H5_ORIGIN)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type,token');
    assert.strictEqual(res.status, 204, res.text);
    assert.strictEqual(res.headers['access-control-allow-origin'], H5_ORIGIN);
    assert.match(res.headers['access-control-allow-methods'], /POST/);
    const allowed = res.headers['access-control-allow-headers'].toLowerCase().split(',');
    for (const header of [ 'token', 'content-type', 'x-security-sign' ]) assert.ok(allowed.includes(header), `${header} in ${allowed}`);
    assert.strictEqual(res.headers['access-control-allow-credentials'], undefined);
  });

  it('puts the origin on real answers, successes and failures alike', async () => {
    const me = await registerUser(app);
    const ok = await app.httpRequest().post('/api/chat/searchUser').set('Origin', H5_ORIGIN)
      .set('token', me.token)
      .send({ keyword: 'abc' });
    assertOk(ok);
    assert.strictEqual(ok.headers['access-control-allow-origin'], H5_ORIGIN);
    const refused = await app.httpRequest().post('/api/chat/searchUser').set('Origin', H5_ORIGIN)
      .send({ keyword: 'abc' });
    assert.strictEqual(refused.status, 401);
    assert.strictEqual(refused.headers['access-control-allow-origin'], H5_ORIGIN);
    // The client reads Retry-After on 429s and the request id helps support.
    assert.match(refused.headers['access-control-expose-headers'], /X-Request-Id/);
  });

  it('a request without Origin (the app, Postman) gets no CORS headers', async () => {
    const res = await app.httpRequest().get('/api/health');
    assert.strictEqual(res.headers['access-control-allow-origin'], undefined);
  });

  describe('allowed origins (CORS_ORIGINS)', () => {
    it('unset: any origin outside production, none in production', () => {
      assert.strictEqual(corsOrigins('local', undefined)('http://192.168.2.7:8080'), true);
      assert.strictEqual(corsOrigins('unittest', '')('https://anything.example'), true);
      assert.strictEqual(corsOrigins('prod', undefined)('https://chat.example.com'), false);
    });

    it('a list: exactly those origins (a trailing slash is ignored), `*` for any', () => {
      const allowed = corsOrigins('prod', 'https://chat.example.com/, http://localhost:8080');
      assert.strictEqual(allowed('https://chat.example.com'), true);
      assert.strictEqual(allowed('http://localhost:8080'), true);
      assert.strictEqual(allowed('https://chat.example.com.evil.test'), false);
      assert.strictEqual(allowed('http://chat.example.com'), false);
      assert.strictEqual(corsOrigins('prod', '*')('https://x.test'), true);
    });
  });
});
