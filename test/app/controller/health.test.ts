import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { assertOk } from '../../helpers/api';

describe('test/app/controller/health.test.ts', () => {
  it('GET /api/health answers up without a token and reveals no versions', async () => {
    const res = await app.httpRequest().get('/api/health');
    const data = assertOk(res);
    assert.deepStrictEqual(data, { db: 'up', redis: (app as any).redis ? 'up' : 'embedded' });
    assert.ok(!/\d+\.\d+\.\d+/.test(JSON.stringify(res.body)), 'no version numbers');
    assert.strictEqual(res.headers['x-powered-by'], undefined);
  });
});
