import * as assert from 'node:assert';
import * as http from 'node:http';
import * as zlib from 'node:zlib';
import { app } from 'egg-mock/bootstrap';
import { resetDatabase } from '../../helpers/db';
import { assertOk, registerUser, uniqueName, PASSWORD } from '../../helpers/api';
import { MSG } from '../../../app/lib/messages';
import { isBodyDecodeError, toHttpError } from '../../../app/lib/errors/toHttpError';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ONE_MB = 1024 * 1024;

interface Res { status: number; body: any; text: string; headers: Record<string, string> }

/** Exactly {"msg":"fail","data":message} with the status, as JSON (never an HTML page). */
function assertJsonFail(res: Res, status: number, message: string) {
  assert.strictEqual(res.status, status, `expected ${status}, got ${res.status}: ${res.text?.slice(0, 200)}`);
  assert.match(res.headers['content-type'] || '', /^application\/json/, `content-type ${res.headers['content-type']}`);
  assert.ok(!/<html|<!doctype/i.test(res.text || ''), 'no HTML in the body');
  assert.deepStrictEqual(JSON.parse(res.text), { msg: 'fail', data: message });
}

/** Sends the bytes as they are (superagent would serialize a Buffer under a JSON Content-Type). */
const raw = (body: any) => body;

function assertRequestId(res: Res) {
  assert.match(res.headers['x-request-id'] || '', UUID, `X-Request-Id: ${res.headers['x-request-id']}`);
}

describe('test/app/middleware/errorHandler.test.ts', () => {
  before(() => resetDatabase(app));

  describe('unknown routes', () => {
    it('GET on an unknown path answers 404 {"msg":"fail","data":"404 错误"}', async () => {
      assertJsonFail(await app.httpRequest().get('/no/such/route'), 404, MSG.notFound);
      assertJsonFail(await app.httpRequest().get('/'), 404, MSG.notFound);
      assertJsonFail(await app.httpRequest().get('/api/chat/nothing-here'), 404, MSG.notFound);
    });

    it('POST on an unknown path answers the same 404', async () => {
      assertJsonFail(await app.httpRequest().post('/api/nothing').type('form')
        .send({ a: 1 }), 404, MSG.notFound);
      assertJsonFail(await app.httpRequest().post('/api/chat/nothing').set('token', 'x'), 404, MSG.notFound);
    });

    it('a known path with another method answers 404 too', async () => {
      assertJsonFail(await app.httpRequest().get('/api/loginChat'), 404, MSG.notFound);
      assertJsonFail(await app.httpRequest().put('/api/regChat').send({}), 404, MSG.notFound);
    });
  });

  describe('request bodies', () => {
    it('accepts form-encoded bodies', async () => {
      const username = uniqueName('form');
      const data = assertOk(await app.httpRequest().post('/api/regChat').type('form')
        .send({ username, password: PASSWORD }));
      assert.strictEqual(data.username, username);
      assert.strictEqual(assertOk(await app.httpRequest().post('/api/loginChat').type('form')
        .send({ username, password: PASSWORD })).username, username);
    });

    it('accepts JSON bodies', async () => {
      const username = uniqueName('json');
      const res = await app.httpRequest().post('/api/regChat').set('Content-Type', 'application/json')
        .send(JSON.stringify({ username, password: PASSWORD }));
      assert.strictEqual(assertOk(res).username, username);
      const again = await app.httpRequest().post('/api/loginChat').set('Content-Type', 'application/json; charset=utf-8')
        .send(JSON.stringify({ username, password: PASSWORD }));
      assert.strictEqual(assertOk(again).username, username);
    });

    it('answers 400 for malformed JSON and creates nothing', async () => {
      const before = await app.model.User.count();
      for (const body of [ '{"username":', '{username: "abcd"}', '[1,2', '{"a":1}}' ]) {
        const res = await app.httpRequest().post('/api/loginChat').set('Content-Type', 'application/json')
          .send(body);
        assertJsonFail(res, 400, MSG.badBody);
        assertRequestId(res);
      }
      assertJsonFail(await app.httpRequest().post('/api/regChat').set('Content-Type', 'application/json')
        .send('{"username":"abcdef","password":'), 400, MSG.badBody);
      assert.strictEqual(await app.model.User.count(), before);
    });

    it('answers 413 for a JSON body over 1 MB', async () => {
      const body = JSON.stringify({ username: 'abcd', password: PASSWORD, padding: 'x'.repeat(ONE_MB + 10) });
      const res = await app.httpRequest().post('/api/loginChat').set('Content-Type', 'application/json')
        .send(body);
      assertJsonFail(res, 413, MSG.bodyTooLarge);
      assertRequestId(res);
    });

    it('answers 413 for a form body over 1 MB', async () => {
      const body = `username=abcd&password=${PASSWORD}&padding=${'x'.repeat(ONE_MB + 10)}`;
      const res = await app.httpRequest().post('/api/regChat').type('form')
        .send(body);
      assertJsonFail(res, 413, MSG.bodyTooLarge);
    });

    it('decodes a gzip, deflate or br body', async () => {
      for (const [ encoding, compress ] of [[ 'gzip', zlib.gzipSync ], [ 'deflate', zlib.deflateSync ], [ 'br', zlib.brotliCompressSync ]] as const) {
        const username = uniqueName(encoding);
        const body = compress(Buffer.from(JSON.stringify({ username, password: PASSWORD })));
        const res = await app.httpRequest().post('/api/regChat').set('Content-Type', 'application/json')
          .set('Content-Encoding', encoding)
          .serialize(raw)
          .send(body);
        assert.strictEqual(assertOk(res).username, username, encoding);
      }
    });

    it('answers 400 (not 404) for a body whose bytes do not decode under its Content-Encoding, and creates nothing', async () => {
      const before = await app.model.User.count();
      const json = Buffer.from(JSON.stringify({ username: uniqueName('bad'), password: PASSWORD }));
      const gzip = zlib.gzipSync(json);
      const corrupt = Buffer.from(gzip);
      corrupt[gzip.length - 6] = 255 - corrupt[gzip.length - 6]; // the CRC-32 no longer matches
      const cases: Array<[string, Buffer]> = [
        [ 'gzip', json ], [ 'deflate', json ], [ 'br', json ],
        [ 'gzip', gzip.subarray(0, gzip.length - 10) ], [ 'gzip', corrupt ],
        [ 'deflate', zlib.deflateSync(json).subarray(0, 8) ], [ 'br', zlib.brotliCompressSync(json).subarray(0, 5) ],
        [ 'gzip', Buffer.from('not compressed at all') ],
      ];
      for (const [ encoding, body ] of cases) {
        for (const path of [ '/api/regChat', '/api/chat/searchUser', '/api/nothing' ]) {
          const res = await app.httpRequest().post(path).set('Content-Type', 'application/json')
            .set('Content-Encoding', encoding)
            .serialize(raw)
            .send(body);
          assertJsonFail(res, 400, MSG.badBody);
          assertRequestId(res);
        }
      }
      assert.strictEqual(await app.model.User.count(), before);
    });

    it('answers 415 for a Content-Encoding it does not decode', async () => {
      for (const encoding of [ 'compress', 'zstd', 'x-gzip' ]) {
        const res = await app.httpRequest().post('/api/loginChat').set('Content-Type', 'application/json')
          .set('Content-Encoding', encoding)
          .send(JSON.stringify({ username: 'abcd', password: PASSWORD }));
        assertJsonFail(res, 415, MSG.badBody);
      }
    });

    it('maps zlib\'s decoding errors (status 400 from the body parser, no type) to 400, nothing else', () => {
      const decodeError = (fn: () => unknown) => {
        try {
          fn();
        } catch (err: any) {
          err.status = 400; // what egg's bodyParser onerror adds
          return err;
        }
        throw new Error('did not throw');
      };
      for (const err of [ decodeError(() => zlib.gunzipSync(Buffer.from('x'))), decodeError(() => zlib.inflateSync(Buffer.from('xyz'))), decodeError(() => zlib.brotliDecompressSync(Buffer.from('garbage!'))) ]) {
        assert.ok(isBodyDecodeError(err), err.code);
        const mapped = toHttpError(err);
        assert.deepStrictEqual([ mapped.status, mapped.message ], [ 400, MSG.badBody ], err.code);
      }
      const refused = Object.assign(new Error('Forbidden'), { status: 403 });
      assert.strictEqual(isBodyDecodeError(refused), false);
      assert.strictEqual(toHttpError(Object.assign(new Error('path'), { status: 400 })).status, 404, 'a framework refusal stays 404');
    });

    it('ignores a body on GET and HEAD: no 400/413/415 for a body the route does not take', async () => {
      const plain = await app.httpRequest().get('/api/health');
      assert.strictEqual(plain.status, 200);
      const bodies: Array<[Record<string, string>, Buffer | string]> = [
        [{ 'Content-Type': 'application/json' }, '{"broken":' ],
        [{ 'Content-Type': 'application/json' }, JSON.stringify({ padding: 'x'.repeat(ONE_MB + 10) }) ],
        [{ 'Content-Type': 'application/json', 'Content-Encoding': 'zstd' }, '{}' ],
        [{ 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, Buffer.from('not gzip') ],
        [{ 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Encoding': 'br' }, Buffer.from('a=1') ],
      ];
      for (const [ headers, body ] of bodies) {
        const res = await app.httpRequest().get('/api/health').set(headers)
          .serialize(raw)
          .send(body as any);
        assert.strictEqual(res.status, 200, `${JSON.stringify(headers)}: ${res.status} ${res.text.slice(0, 200)}`);
        assert.strictEqual(res.body.msg, 'ok');
        const unknown = await app.httpRequest().get('/api/nothing').set(headers)
          .serialize(raw)
          .send(body as any);
        assertJsonFail(unknown as any, 404, MSG.notFound);
        // superagent sends a HEAD's body without its length: a raw request instead.
        const bytes = Buffer.from(body);
        const server = http.createServer(app.callback());
        await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
        try {
          const status = await new Promise<number>((resolve, reject) => {
            const req = http.request({ host: '127.0.0.1', port: (server.address() as any).port, method: 'HEAD', path: '/api/health', headers: { ...headers, 'Content-Length': bytes.length } }, answer => {
              answer.resume();
              resolve(answer.statusCode || 0);
            });
            req.on('error', reject);
            req.end(bytes);
          });
          assert.strictEqual(status, 200, `HEAD ${JSON.stringify(headers)}: ${status}`);
        } finally {
          server.close();
        }
      }
    });

    it('accepts a body just under the limit', async () => {
      const username = uniqueName('big');
      const body = JSON.stringify({ username, password: PASSWORD, padding: 'x'.repeat(ONE_MB - 200) });
      assert.ok(Buffer.byteLength(body) < ONE_MB);
      assert.strictEqual(assertOk(await app.httpRequest().post('/api/regChat').set('Content-Type', 'application/json')
        .send(body)).username, username);
    });
  });

  describe('X-Request-Id', () => {
    it('is set on success, 401, 404, 422 and 400 responses, different each time', async () => {
      const user = await registerUser(app);
      const responses: Res[] = [
        await app.httpRequest().post('/api/loginChat').type('form')
          .send({ username: user.username, password: PASSWORD }),
        await app.httpRequest().post('/api/chat/logout'),
        await app.httpRequest().get('/missing'),
        await app.httpRequest().post('/api/loginChat').send({}),
        await app.httpRequest().post('/api/loginChat').type('form')
          .send({ username: 'nobody_x', password: PASSWORD }),
      ];
      assert.deepStrictEqual(responses.map(r => r.status), [ 200, 401, 404, 422, 400 ]);
      for (const res of responses) assertRequestId(res);
      const ids = new Set(responses.map(r => r.headers['x-request-id']));
      assert.strictEqual(ids.size, responses.length, 'one id per request');
    });
  });

  describe('never HTML', () => {
    const html = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

    it('404 stays JSON with Accept: text/html', async () => {
      assertJsonFail(await app.httpRequest().get('/missing-page').set('Accept', html), 404, MSG.notFound);
      assertJsonFail(await app.httpRequest().post('/missing-page').set('Accept', 'text/html'), 404, MSG.notFound);
    });

    it('401, 422 and 400 stay JSON with Accept: text/html', async () => {
      assertJsonFail(await app.httpRequest().post('/api/chat/logout').set('Accept', html), 401, MSG.authMissing);
      assertJsonFail(await app.httpRequest().post('/api/chat/logout').set('Accept', html)
        .set('token', 'garbage'), 401, MSG.authInvalid);
      assertJsonFail(await app.httpRequest().post('/api/loginChat').set('Accept', html)
        .type('form')
        .send({ password: PASSWORD }), 422, '账号不能为空');
      assertJsonFail(await app.httpRequest().post('/api/loginChat').set('Accept', html)
        .type('form')
        .send({ username: 'nobody_y', password: PASSWORD }), 400, MSG.accountMissingOrDisabled);
    });

    it('malformed and oversized bodies stay JSON with Accept: text/html', async () => {
      assertJsonFail(await app.httpRequest().post('/api/loginChat').set('Accept', html)
        .set('Content-Type', 'application/json')
        .send('{"x"'), 400, MSG.badBody);
      assertJsonFail(await app.httpRequest().post('/api/loginChat').set('Accept', html)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ padding: 'y'.repeat(ONE_MB + 1) })), 413, MSG.bodyTooLarge);
    });
  });
});
