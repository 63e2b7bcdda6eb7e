import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { resetDatabase } from '../../../helpers/db';
import { adminSession } from '../../../helpers/admin';
import { registerUser } from '../../../helpers/api';

describe('test/app/controller/admin/audit.test.ts', () => {
  before(() => resetDatabase(app));

  it('GET /admin/audit lists writes newest first with who, what, before → after and the address; filters; escapes', async () => {
    const { client: operator, admin } = await adminSession(app, 'operator');
    const user = await registerUser(app);
    await operator.get(`/admin/users/${user.id}`);
    await operator.post(`/admin/users/${user.id}/profile`, { nickname: '<i>x</i>', avatar: '' });
    await operator.post(`/admin/users/${user.id}/disable`);
    const { client: viewer } = await adminSession(app, 'viewer');
    assert.strictEqual((await viewer.post(`/admin/users/${user.id}/enable`)).status, 403);
    const page = await viewer.get('/admin/audit');
    assert.strictEqual(page.status, 200);
    const actions = [ ...page.text.matchAll(/<td class="action">([^<]+)<\/td>/g) ].map(m => m[1]);
    assert.ok(actions.includes('user.disable') && actions.includes('user.update'));
    assert.ok(actions.indexOf('user.disable') < actions.indexOf('user.update'), 'newest first');
    assert.ok(page.text.includes(admin.username));
    assert.ok(page.text.includes('&lt;i&gt;x&lt;/i&gt;'));
    assert.ok(!page.text.includes('<i>x</i>'));

    const filtered = await viewer.get(`/admin/audit?action=user.disable&target=${user.id}`);
    const only = [ ...filtered.text.matchAll(/<td class="action">([^<]+)<\/td>/g) ].map(m => m[1]);
    assert.deepStrictEqual(only, [ 'user.disable' ]);
    const denied = await viewer.get('/admin/audit?outcome=denied');
    const outcomes = [ ...denied.text.matchAll(/class="outcome-([a-z]+)"/g) ].map(m => m[1]);
    assert.ok(outcomes.length > 0 && outcomes.every(outcome => outcome === 'denied'));
  });

  it('is append-only: no route changes or deletes an entry', () => {
    const routes = (app as any).router.stack.filter((layer: any) => /^\/admin\/audit/.test(layer.path));
    assert.deepStrictEqual(routes.map((layer: any) => layer.methods.filter((m: string) => m !== 'HEAD')), [[ 'GET' ]]);
  });
});
