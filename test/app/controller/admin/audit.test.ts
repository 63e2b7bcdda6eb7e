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

  it('a refused write names the admin of the session and the address: a CSRF refusal (before the route runs) as a role refusal', async () => {
    const { client: operator, admin: operatorAdmin } = await adminSession(app, 'operator');
    const { client: viewer, admin: viewerAdmin } = await adminSession(app, 'viewer');
    const user = await registerUser(app);
    const denied = async () => app.model.query("SELECT * FROM admin_audit_log WHERE outcome = 'denied' AND target_id = ? ORDER BY id", { replacements: [ user.id ], type: 'SELECT' }) as Promise<any[]>;
    await operator.get(`/admin/users/${user.id}`);
    assert.strictEqual((await operator.post(`/admin/users/${user.id}/disable`, {}, { csrf: false })).status, 403);
    assert.strictEqual((await operator.post(`/admin/users/${user.id}/profile`, { nickname: 'x' }, { csrf: 'forged-1' })).status, 403);
    assert.strictEqual((await viewer.post(`/admin/users/${user.id}/enable`)).status, 403);
    const rows = await denied();
    assert.deepStrictEqual(rows.map(row => [ row.action, Number(row.admin_id), row.admin_username ]), [
      [ 'user.disable', operatorAdmin.id, operatorAdmin.username ],
      [ 'user.update', operatorAdmin.id, operatorAdmin.username ],
      [ 'user.enable', viewerAdmin.id, viewerAdmin.username ],
    ]);
    assert.ok(rows.every(row => /^(::ffff:)?127\.0\.0\.1$|^::1$/.test(row.ip)), rows.map(row => row.ip).join(','));
    // No session at all: recorded, with nobody named.
    const anonymous = await app.httpRequest().post(`/admin/users/${user.id}/disable`)
      .type('form')
      .send({ _csrf: 'x' });
    assert.strictEqual(anonymous.status, 403);
    const last = (await denied()).pop();
    assert.deepStrictEqual([ last.admin_id, last.admin_username, last.action ], [ null, '', 'user.disable' ]);
  });

  it('is append-only: no route changes or deletes an entry', () => {
    const routes = (app as any).router.stack.filter((layer: any) => /^\/admin\/audit/.test(layer.path));
    assert.deepStrictEqual(routes.map((layer: any) => layer.methods.filter((m: string) => m !== 'HEAD')), [[ 'GET' ]]);
  });
});
