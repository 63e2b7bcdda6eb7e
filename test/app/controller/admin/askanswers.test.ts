import * as assert from 'node:assert';
import { app, mm } from 'egg-mock/bootstrap';
import { resetDatabase } from '../../../helpers/db';
import { AdminClient, adminSession } from '../../../helpers/admin';
import { assertOk, post, registerUser, TestUser } from '../../../helpers/api';
import { createGroup, rows } from '../chat/groupHelpers';
import { ADMIN_MSG, MSG } from '../../../../app/lib/messages';

/** An entry created the way a chat user does (the real route). */
async function entry(owner: TestUser, ask: string, answer = '答案', type: 'single' | 'group' = 'single', ownerId = owner.id): Promise<number> {
  const body = assertOk(await post(app, '/api/chat/askanswer/create', owner.token).send({ type, create_userId: ownerId, ask, answer }));
  return Number(body.id);
}

async function entryRow(id: number) {
  return (await rows(app, 'SELECT * FROM askanswer WHERE id = ?', [ id ]))[0];
}

async function audit(action: string, targetId: number) {
  return rows(app, 'SELECT * FROM admin_audit_log WHERE action = ? AND target_id = ? ORDER BY id', [ action, targetId ]);
}

describe('test/app/controller/admin/askanswers.test.ts', () => {
  let owner: AdminClient;
  let operator: AdminClient;
  let viewer: AdminClient;
  let alice: TestUser;

  before(async () => {
    await resetDatabase(app);
    owner = (await adminSession(app, 'owner')).client;
    operator = (await adminSession(app, 'operator')).client;
    viewer = (await adminSession(app, 'viewer')).client;
    alice = await registerUser(app);
  });
  afterEach(() => mm.restore());

  it('GET /admin/askanswers: keyset pages newest first; search by question text, by owner user id, by group id', async () => {
    mm(app.config.admin, 'pageSize', 2);
    const bob = await registerUser(app);
    const carol = await registerUser(app);
    const groupId = await createGroup(app, carol, [ bob, alice ]);
    const a = await entry(bob, '运费怎么算_kp');
    const b = await entry(bob, '退货 100%_kp');
    const c = await entry(carol, '群里的营业时间_kp', '9 点', 'group', groupId);
    const first = await viewer.get('/admin/askanswers');
    assert.strictEqual(first.status, 200);
    assert.ok(first.text.indexOf(`/admin/askanswers/${c}"`) < first.text.indexOf(`/admin/askanswers/${b}"`));
    assert.ok(!first.text.includes(`/admin/askanswers/${a}"`));
    const next = /id="next-page" href="([^"]+)"/.exec(first.text)![1].replace(/&amp;/g, '&');
    assert.strictEqual(next, `/admin/askanswers?before=${b}`);
    assert.ok((await viewer.get(next)).text.includes(`/admin/askanswers/${a}"`));

    const byText = await viewer.get(`/admin/askanswers?q=${encodeURIComponent('100%')}`);
    assert.ok(byText.text.includes(`/admin/askanswers/${b}"`));
    assert.ok(!byText.text.includes(`/admin/askanswers/${a}"`), 'the % of the search is a character, not a wildcard');
    const byUser = await viewer.get(`/admin/askanswers?owner_type=single&owner_id=${bob.id}`);
    assert.ok(byUser.text.includes(`/admin/askanswers/${a}"`) && byUser.text.includes(`/admin/askanswers/${b}"`));
    assert.ok(!byUser.text.includes(`/admin/askanswers/${c}"`));
    const byGroup = await viewer.get(`/admin/askanswers?owner_type=group&owner_id=${groupId}`);
    assert.ok(byGroup.text.includes(`/admin/askanswers/${c}"`) && !byGroup.text.includes(`/admin/askanswers/${a}"`));
    // What the page's search form sends: its empty fields too (no owner filter, not a bad id).
    const fromForm = await viewer.get(`/admin/askanswers?q=${encodeURIComponent('100%')}&owner_type=&owner_id=`);
    assert.strictEqual(fromForm.status, 200, fromForm.text);
    assert.ok(fromForm.text.includes(`/admin/askanswers/${b}"`) && !fromForm.text.includes(`/admin/askanswers/${a}"`));

    const detail = await viewer.get(`/admin/askanswers/${c}`);
    assert.strictEqual(detail.status, 200);
    assert.ok(detail.text.includes('群里的营业时间_kp'));
    assert.ok(!detail.text.includes('/edit"'), 'a viewer gets no write forms');
  });

  it('POST /admin/askanswers/:id/edit: an operator edits within the chat limits, audited before → after; the owner sees it', async () => {
    const id = await entry(alice, '问题一', '旧答案');
    await operator.get(`/admin/askanswers/${id}`);
    const res = await operator.post(`/admin/askanswers/${id}/edit`, { ask: '问题一改', answer: '新答案' });
    assert.strictEqual(res.status, 302);
    assert.strictEqual(res.headers.location, `/admin/askanswers/${id}`);
    const row = await entryRow(id);
    assert.strictEqual(row.ask, '问题一改');
    assert.strictEqual(row.answer, '新答案');
    const [ logged ] = await audit('askanswer.update', id);
    assert.strictEqual(logged.outcome, 'ok');
    assert.strictEqual(logged.target_type, 'askanswer');
    assert.strictEqual(JSON.parse(logged.before_json).answer, '旧答案');
    assert.strictEqual(JSON.parse(logged.after_json).answer, '新答案');
    const seen = assertOk(await post(app, '/api/chat/askanswer/detail', alice.token).send({ id }));
    assert.strictEqual(seen.answer, '新答案');
    // The same values again: still a success (no change is not "missing").
    assert.strictEqual((await operator.post(`/admin/askanswers/${id}/edit`, { ask: '问题一改', answer: '新答案' })).status, 302);
  });

  it('edit refusals: over the chat side limits or empty → 422, a question the owner already has → 4xx; nothing changes', async () => {
    const id = await entry(alice, '限制题', '限制答');
    await entry(alice, '已有的题');
    await owner.get(`/admin/askanswers/${id}`);
    const max = app.config.chat.care.askanswer;
    assert.strictEqual((await owner.post(`/admin/askanswers/${id}/edit`, { ask: 'x'.repeat(max.maxAskLength + 1), answer: 'a' })).status, 422);
    assert.strictEqual((await owner.post(`/admin/askanswers/${id}/edit`, { ask: 'q', answer: 'a'.repeat(max.maxAnswerLength + 1) })).status, 422);
    assert.strictEqual((await owner.post(`/admin/askanswers/${id}/edit`, { ask: '', answer: 'a' })).status, 422);
    const dup = await owner.post(`/admin/askanswers/${id}/edit`, { ask: '已有的题', answer: 'a' });
    assert.ok(dup.status >= 400 && dup.status < 500, String(dup.status));
    assert.ok(dup.text.includes(MSG.askDuplicate));
    const row = await entryRow(id);
    assert.strictEqual(row.ask, '限制题');
    assert.strictEqual(row.answer, '限制答');
    assert.strictEqual((await audit('askanswer.update', id)).filter(r => r.outcome === 'ok').length, 0);
  });

  it('POST /admin/askanswers/:id/delete: gone, audited with what it was', async () => {
    const id = await entry(alice, '删除题', '删除答');
    await operator.get(`/admin/askanswers/${id}`);
    const res = await operator.post(`/admin/askanswers/${id}/delete`);
    assert.strictEqual(res.status, 302);
    assert.strictEqual(res.headers.location, '/admin/askanswers');
    assert.strictEqual(await entryRow(id), undefined);
    const [ logged ] = await audit('askanswer.delete', id);
    assert.strictEqual(JSON.parse(logged.before_json).ask, '删除题');
    assert.strictEqual((await operator.post(`/admin/askanswers/${id}/delete`)).status, 404);
  });

  it('no session: pages go to the login, writes 403; a viewer posting a write 403 and audited; CSRF missing or forged 403', async () => {
    const id = await entry(alice, '守护题', '守护答');
    const anonymous = new AdminClient(app);
    for (const path of [ '/admin/askanswers', `/admin/askanswers/${id}` ]) {
      const res = await anonymous.get(path);
      assert.strictEqual(res.status, 302, path);
      assert.strictEqual(res.headers.location, '/admin/login');
    }
    for (const path of [ `/admin/askanswers/${id}/edit`, `/admin/askanswers/${id}/delete` ]) {
      assert.strictEqual((await anonymous.post(path, { ask: 'x', answer: 'y' }, { csrf: 'no-session-token' })).status, 403, path);
    }
    await viewer.get('/admin');
    for (const path of [ `/admin/askanswers/${id}/edit`, `/admin/askanswers/${id}/delete` ]) {
      const res = await viewer.post(path, { ask: 'x', answer: 'y' });
      assert.strictEqual(res.status, 403, path);
      assert.ok(res.text.includes(ADMIN_MSG.forbidden));
    }
    await operator.get('/admin');
    assert.strictEqual((await operator.post(`/admin/askanswers/${id}/delete`, {}, { csrf: false })).status, 403);
    assert.strictEqual((await operator.post(`/admin/askanswers/${id}/edit`, { ask: 'x', answer: 'y' }, { csrf: 'forged-abc-123' })).status, 403);
    const row = await entryRow(id);
    assert.strictEqual(row.ask, '守护题');
    const refused = await rows(app, "SELECT * FROM admin_audit_log WHERE outcome = 'denied' AND target_type = 'askanswer' AND target_id = ?", [ id ]);
    assert.ok(refused.some(r => r.action === 'askanswer.update' && r.admin_username.startsWith('adm_viewer')));
    // The CSRF check runs before the route: recorded under the route's action, with the target and the
    // session's admin when there is one — two without a session (nobody named), two by the operator.
    const csrf = refused.filter(r => r.after_json.includes(ADMIN_MSG.csrfInvalid));
    assert.deepStrictEqual(csrf.map(r => r.action).sort(), [ 'askanswer.delete', 'askanswer.delete', 'askanswer.update', 'askanswer.update' ]);
    assert.strictEqual(csrf.filter(r => r.admin_username === '' && r.admin_id === null).length, 2);
    assert.strictEqual(csrf.filter(r => r.admin_username.startsWith('adm_operator')).length, 2);
  });

  it('ids that do not exist: 404; ids or filters that are not valid: 422', async () => {
    await owner.get('/admin');
    assert.strictEqual((await owner.get('/admin/askanswers/987654')).status, 404);
    assert.strictEqual((await owner.post('/admin/askanswers/987654/edit', { ask: 'q', answer: 'a' })).status, 404);
    assert.strictEqual((await owner.post('/admin/askanswers/987654/delete')).status, 404);
    assert.strictEqual((await owner.get('/admin/askanswers/abc')).status, 422);
    assert.strictEqual((await owner.get('/admin/askanswers?before=abc')).status, 422);
    assert.strictEqual((await owner.get('/admin/askanswers?owner_type=room')).status, 422);
    assert.strictEqual((await owner.get('/admin/askanswers?owner_id=x')).status, 422);
    assert.strictEqual((await owner.get(`/admin/askanswers?q=${'x'.repeat(51)}`)).status, 422);
  });

  it('HTML in the question and answer is rendered as text on the list and the detail page', async () => {
    const xss = '<img src=x onerror=alert(1)>';
    const id = await entry(alice, `${xss}q`, `${xss}a`);
    for (const page of [ `/admin/askanswers?owner_type=single&owner_id=${alice.id}`, `/admin/askanswers/${id}` ]) {
      const res = await operator.get(page);
      assert.strictEqual(res.status, 200, page);
      assert.ok(!res.text.includes(xss), page);
      assert.ok(res.text.includes('&lt;img src=x onerror=alert(1)&gt;'), page);
    }
  });
});
