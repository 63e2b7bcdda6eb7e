import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { resetDatabase } from '../../../helpers/db';
import { AdminClient, adminSession } from '../../../helpers/admin';
import { rows } from '../chat/groupHelpers';
import { ADMIN_MSG } from '../../../../app/lib/messages';

describe('test/app/controller/admin/admins.test.ts', () => {
  before(() => resetDatabase(app));

  it('an owner lists and creates admins, disables one (out at its next request) and enables it again; every write audited', async () => {
    const { client: owner, admin: me } = await adminSession(app, 'owner');
    const list = await owner.get('/admin/admins');
    assert.strictEqual(list.status, 200);
    assert.ok(list.text.includes(me.username));

    const created = await owner.post('/admin/admins', { username: 'new_operator', password: 'Operator2026x', role: 'operator' });
    assert.strictEqual(created.status, 302);
    const fresh = new AdminClient(app);
    assert.strictEqual((await fresh.login('new_operator', 'Operator2026x')).status, 302);
    assert.strictEqual((await fresh.get('/admin/users')).status, 200);
    const [ row ] = await rows(app, "SELECT id, role FROM admin_users WHERE username = 'new_operator'");
    assert.strictEqual(row.role, 'operator');

    await owner.get('/admin/admins');
    assert.strictEqual((await owner.post(`/admin/admins/${row.id}/disable`)).status, 302);
    assert.strictEqual((await fresh.get('/admin/users')).status, 302, 'a disabled admin is out at once');
    assert.strictEqual((await new AdminClient(app).login('new_operator', 'Operator2026x')).status, 400);
    await owner.get('/admin/admins');
    assert.strictEqual((await owner.post(`/admin/admins/${row.id}/enable`)).status, 302);
    assert.strictEqual((await new AdminClient(app).login('new_operator', 'Operator2026x')).status, 302);

    const actions = (await rows(app, "SELECT action FROM admin_audit_log WHERE target_type = 'admin' AND outcome = 'ok' AND action <> 'admin.login' ORDER BY id")).map(r => r.action);
    assert.deepStrictEqual(actions, [ 'admin.create', 'admin.disable', 'admin.enable' ]);
  });

  it('refuses a taken name, a weak password, an unknown role, disabling oneself, an unknown id; nothing written', async () => {
    const { client: owner, admin: me } = await adminSession(app, 'owner');
    const before = (await rows(app, 'SELECT COUNT(*) AS n FROM admin_users'))[0].n;
    const cases: Array<[ string, Record<string, string>, number, string? ]> = [
      [ '/admin/admins', { username: me.username, password: 'Whatever2026x', role: 'viewer' }, 400, ADMIN_MSG.adminTaken ],
      [ '/admin/admins', { username: 'weak_one', password: 'weak_one2026', role: 'viewer' }, 400, ADMIN_MSG.adminPasswordWeak ],
      [ '/admin/admins', { username: 'weak_two', password: 'short1', role: 'viewer' }, 422 ],
      [ '/admin/admins', { username: 'role_less', password: 'Whatever2026x', role: 'god' }, 422 ],
      [ '/admin/admins', { username: '<script>', password: 'Whatever2026x', role: 'viewer' }, 422 ],
      [ `/admin/admins/${me.id}/disable`, {}, 400, ADMIN_MSG.adminSelf ],
      [ '/admin/admins/987654/disable', {}, 404, ADMIN_MSG.adminMissing ],
    ];
    for (const [ path, form, status, message ] of cases) {
      await owner.get('/admin/admins');
      const res = await owner.post(path, form);
      assert.strictEqual(res.status, status, `${path} ${JSON.stringify(form)}`);
      if (message) assert.ok(res.text.includes(message), message);
    }
    assert.strictEqual(Number((await rows(app, 'SELECT COUNT(*) AS n FROM admin_users'))[0].n), Number(before));
    assert.strictEqual(Number((await rows(app, "SELECT COUNT(*) AS n FROM admin_audit_log WHERE action = 'admin.create' AND outcome = 'failed'"))[0].n), 5);
  });

  it('operators and viewers may not: 403, audited', async () => {
    for (const role of [ 'operator', 'viewer' ] as const) {
      const { client } = await adminSession(app, role);
      assert.strictEqual((await client.get('/admin/admins')).status, 403);
      assert.ok(!(await client.get('/admin')).text.includes('id="nav-admins"'));
      assert.strictEqual((await client.post('/admin/admins', { username: 'sneaky', password: 'Sneaky2026xx', role: 'owner' })).status, 403);
    }
    assert.strictEqual(Number((await rows(app, "SELECT COUNT(*) AS n FROM admin_users WHERE username = 'sneaky'"))[0].n), 0);
    assert.strictEqual(Number((await rows(app, "SELECT COUNT(*) AS n FROM admin_audit_log WHERE action = 'admin.create' AND outcome = 'denied'"))[0].n), 2);
  });
});
