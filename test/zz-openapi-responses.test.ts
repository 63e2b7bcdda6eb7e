import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { get, post, recordedResponses, recordResponses, setCurrentTest } from './helpers/api';
import { findOperation, responseDivergence } from './helpers/openapi';

/**
 * Runs last (egg-bin sorts the files): every response the in-process app gave during this run — whichever
 * test files ran, the whole suite or a few — is checked against docs/openapi.yaml the way a validating
 * proxy would (test/helpers/openapi.ts, responseDivergence: documented operation and status, Content-Type,
 * the JSON body against its strict schema, required headers). A divergence between document and server
 * fails here, for every route, including routes added later: fix the document, or the server when it is
 * the one that is wrong.
 */

// Root hooks (this file is loaded, like every test file, before any test runs): from the first test of the
// run on, every response of the in-process app is recorded, naming the test that made the request.
before(async () => {
  await app.ready();
  recordResponses(app, record => {
    // The document's own viewer (Swagger UI and the YAML it loads) is not an operation of the API it shows.
    if ((record.method === 'GET' || record.method === 'HEAD') && /^\/docs(?:[/?]|$)/.test(record.url)) return undefined;
    // egg's site file (the browser asks for it while showing Swagger UI): not an operation of the API.
    if (record.method === 'GET' && /^\/favicon\.ico(?:\?|$)/.test(record.url)) return undefined;
    return responseDivergence(record);
  });
});
beforeEach(function() {
  setCurrentTest(this.currentTest?.fullTitle() ?? '');
});
afterEach(function() {
  setCurrentTest(`a hook after "${this.currentTest?.fullTitle() ?? ''}"`);
});

describe('test/zz-openapi-responses.test.ts', () => {
  it('knows a divergence when it sees one', () => {
    const base = { method: 'GET', url: '/api/health', headers: { 'content-type': 'application/json; charset=utf-8' }, binary: false };
    assert.ok(findOperation('GET', '/api/health'));
    assert.match(String(responseDivergence({ ...base, status: 418, body: { msg: 'fail', data: 'x' } })), /418 is not documented/);
    assert.match(String(responseDivergence({ ...base, status: 404, body: { msg: 'fail', data: '404 错误', extra: 1 } })), /does not match the schema/);
    assert.match(String(responseDivergence({ ...base, status: 404, body: undefined, binary: true, headers: { 'content-type': 'text/html' } })), /Content-Type text\/html/);
    assert.match(String(responseDivergence({ ...base, url: '/nowhere', status: 200, body: { msg: 'ok', data: 1 } })), /outside every documented operation/);
    assert.strictEqual(responseDivergence({ ...base, url: '/nowhere', status: 404, body: { msg: 'fail', data: '404 错误' } }), undefined);
  });

  it('a few responses of its own, so that a run of this file alone checks something', async () => {
    await get(app, '/api/health');
    assert.strictEqual((await get(app, '/api/health/')).status, 200, 'one trailing slash is ignored (as the document says)');
    await get(app, '/api/nowhere');
    await post(app, '/api/loginChat').type('form').send({ username: 'x' });
    await get(app, '/api/chat/grouplist?limit=1&limit=abc');
    const mine = recordedResponses().filter(r => r.test.endsWith('a run of this file alone checks something'));
    assert.deepStrictEqual(mine.map(r => [ r.method, r.url, r.status, r.divergence ]), [
      [ 'GET', '/api/health', 200, undefined ], [ 'GET', '/api/health/', 200, undefined ], [ 'GET', '/api/nowhere', 404, undefined ],
      [ 'POST', '/api/loginChat', 422, undefined ], [ 'GET', '/api/chat/grouplist?limit=1&limit=abc', 401, undefined ],
    ]);
  });

  it('every recorded response of the run is one docs/openapi.yaml describes', () => {
    const seen = new Map<string, { count: number; example: string }>();
    for (const record of recordedResponses()) {
      const divergence = record.divergence;
      if (!divergence) continue;
      const op = findOperation(record.method === 'HEAD' ? 'GET' : record.method, record.url);
      const key = `${record.method} ${op?.template ?? record.url.split('?')[0]} → ${record.status}: ${divergence}`;
      const entry = seen.get(key);
      if (entry) entry.count += 1;
      else seen.set(key, { count: 1, example: `${record.method} ${record.url.slice(0, 200)} in "${record.test}"; body ${JSON.stringify(record.body)?.slice(0, 300)}` });
    }
    const report = [ ...seen ].map(([ key, { count, example }]) => `${key}\n    ${count}×, e.g. ${example}`);
    assert.strictEqual(report.length, 0, `${recordedResponses().length} responses recorded, ${report.length} kinds diverge from docs/openapi.yaml:\n${report.join('\n')}`);
  });
});
