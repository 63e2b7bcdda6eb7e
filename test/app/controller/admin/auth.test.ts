import * as assert from 'node:assert';
import { app, mm } from 'egg-mock/bootstrap';
import { resetDatabase } from '../../../helpers/db';
import { AdminClient, ADMIN_PASSWORD, adminSession, createAdmin } from '../../../helpers/admin';
import { assertFail, registerUser } from '../../../helpers/api';
import { ADMIN_MSG, MSG } from '../../../../app/lib/messages';

/** The ids of the console sessions in the store (Redis or kv_store). */
async function storedSessionIds(): Promise<string[]> {
  const redis = (app as any).redis;
  const keys: string[] = redis ? await redis.keys('admin_session:*')
    : (await app.model.query("SELECT `key` FROM kv_store WHERE `key` LIKE 'admin_session:%'", { type: 'SELECT' }) as any[]).map(row => row.key);
  return keys.map(key => key.slice('admin_session:'.length));
}

async function auditRows(action: string) {
  return app.model.query('SELECT * FROM admin_audit_log WHERE action = ? ORDER BY id', { replacements: [ action ], type: 'SELECT' }) as Promise<any[]>;
}

describe('test/app/controller/admin/auth.test.ts', () => {
  before(() => resetDatabase(app));
  afterEach(() => mm.restore());

  describe('GET /admin/login', () => {
    it('is a form with a CSRF field, the security headers and the session cookie HttpOnly, SameSite=Strict, path /admin', async () => {
      const client = new AdminClient(app);
      const res = await client.get('/admin/login');
      assert.strictEqual(res.status, 200);
      assert.match(res.headers['content-type'], /text\/html/);
      assert.ok(client.csrf.length > 10);
      const csp = res.headers['content-security-policy'];
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.strictEqual(res.headers['x-frame-options'], 'DENY');
      assert.doesNotMatch(res.text, /<script(?![^>]*\bsrc=)/, 'no inline script');
      // No session before login (nothing stored for an anonymous visitor): only the CSRF secret's cookie.
      const cookies = res.headers['set-cookie'] as string[];
      assert.ok(!cookies.some(line => line.startsWith('EGGCHAT_ADMIN_SID=')));
      const csrfCookie = cookies.find(line => line.startsWith('EGGCHAT_ADMIN_CSRF='))!;
      assert.match(csrfCookie, /httponly/i);
      assert.match(csrfCookie, /samesite=strict/i);
      assert.match(csrfCookie, /path=\/admin/);
    });

    it('the session cookie after login: HttpOnly, SameSite=Strict, path /admin, the idle timeout as max-age, Secure only when configured', async () => {
      const admin = await createAdmin(app, 'viewer');
      const res = await new AdminClient(app).login(admin.username);
      const cookie = (res.headers['set-cookie'] as string[]).find(line => line.startsWith('EGGCHAT_ADMIN_SID='))!;
      assert.match(cookie, /httponly/i);
      assert.match(cookie, /samesite=strict/i);
      assert.match(cookie, /path=\/admin/);
      assert.match(cookie, /max-age=1800/);
      assert.doesNotMatch(cookie, /secure/i, 'Secure only when ADMIN_COOKIE_SECURE=1 (HTTPS)');
    });

    it('speaks English for Accept-Language: en, Chinese by default, and ?locale= switches', async () => {
      const en = await new AdminClient(app).get('/admin/login', { 'Accept-Language': 'en-US,en;q=0.8' });
      assert.match(en.text, /<h1>Log in<\/h1>/);
      const zh = await new AdminClient(app).get('/admin/login');
      assert.match(zh.text, /<h1>登录<\/h1>/);
      const switched = await new AdminClient(app).get('/admin/login?locale=en-US', { 'Accept-Language': 'zh-CN' });
      assert.match(switched.text, /<h1>Log in<\/h1>/);
    });
  });

  describe('POST /admin/login', () => {
    it('opens a session under a new id (no fixation): a session id held before the login opens nothing after it', async () => {
      const admin = await createAdmin(app, 'viewer');
      const other = await createAdmin(app, 'viewer');
      const client = new AdminClient(app);
      assert.strictEqual((await client.login(other.username)).status, 302);
      const before = client.sessionId;
      const csrfBefore = client.cookies.get('EGGCHAT_ADMIN_CSRF');
      assert.ok(before);
      // The same browser (its session cookie known, as a planted one would be) logs in as someone else.
      await client.get('/admin');
      const res = await client.post('/admin/login', { username: admin.username, password: ADMIN_PASSWORD });
      assert.notStrictEqual(client.cookies.get('EGGCHAT_ADMIN_CSRF'), csrfBefore, 'a new CSRF secret at login');
      assert.strictEqual(res.status, 302);
      assert.strictEqual(res.headers.location, '/admin');
      assert.ok(client.sessionId && client.sessionId !== before, 'a new session id at login');
      assert.strictEqual((await client.get('/admin')).status, 200);

      const fixed = new AdminClient(app);
      fixed.cookies.set('EGGCHAT_ADMIN_SID', before!);
      const page = await fixed.get('/admin');
      assert.strictEqual(page.status, 302);
      assert.strictEqual(page.headers.location, '/admin/login');
      const [ row ] = (await auditRows('admin.login')).filter(r => r.admin_username === admin.username);
      assert.strictEqual(row.outcome, 'ok');
    });

    it('refuses a wrong password and an unknown name with the same generic page, and records both', async () => {
      const admin = await createAdmin(app, 'viewer');
      const wrong = await new AdminClient(app).login(admin.username, 'not-the-password1');
      const unknown = await new AdminClient(app).login('nobody_here', 'not-the-password1');
      for (const res of [ wrong, unknown ]) {
        assert.strictEqual(res.status, 400);
        assert.match(res.headers['content-type'], /text\/html/);
        assert.ok(res.text.includes(ADMIN_MSG.loginFailed));
        assert.ok(!res.text.includes('not-the-password1'), 'the password is never shown back');
      }
      const rows = await auditRows('admin.login');
      assert.ok(rows.some(r => r.admin_username === admin.username && r.outcome === 'denied'));
      assert.ok(rows.some(r => r.admin_username === 'nobody_here' && r.outcome === 'denied'));
      assert.ok(rows.every(r => !String(r.after_json).includes('not-the-password1')));
    });

    it('is throttled per username: after the limit even the right password waits (429)', async () => {
      mm(app.config.admin, 'loginFailPerUser', { limit: 3, windowSeconds: 900 });
      const admin = await createAdmin(app, 'viewer');
      for (let i = 0; i < 3; i++) assert.strictEqual((await new AdminClient(app).login(admin.username, 'wrong-password1')).status, 400);
      const res = await new AdminClient(app).login(admin.username);
      assert.strictEqual(res.status, 429);
      assert.ok(res.text.includes(MSG.tooManyAttempts));
      assert.ok(Number(res.headers['retry-after']) > 0);
    });

    it('is throttled per address across usernames', async () => {
      mm(app.config.admin, 'loginFailPerIp', { limit: 4, windowSeconds: 900 });
      const admin = await createAdmin(app, 'viewer');
      for (let i = 0; i < 4; i++) await new AdminClient(app).login(`someone_${i}`, 'wrong-password1');
      assert.strictEqual((await new AdminClient(app).login(admin.username)).status, 429);
      await app.kvStore.del('throttle:admin-login:ip:127.0.0.1');
      await app.kvStore.del('throttle:admin-login:ip:::ffff:127.0.0.1');
    });

    it('needs the CSRF token: missing or forged → 403, nothing logged in', async () => {
      const admin = await createAdmin(app, 'viewer');
      const client = new AdminClient(app);
      await client.get('/admin/login');
      const missing = await client.post('/admin/login', { username: admin.username, password: ADMIN_PASSWORD }, { csrf: false });
      assert.strictEqual(missing.status, 403);
      assert.match(missing.headers['content-type'], /text\/html/);
      assert.ok(missing.text.includes(ADMIN_MSG.csrfInvalid));
      const forged = await client.post('/admin/login', { username: admin.username, password: ADMIN_PASSWORD }, { csrf: 'forged-token-123' });
      assert.strictEqual(forged.status, 403);
      assert.strictEqual((await client.get('/admin')).status, 302);
    });

    it('answers 422 for a field over its length, with control characters or missing', async () => {
      for (const form of [{ username: 'a'.repeat(51), password: 'x' }, { username: 'ab\u0001c', password: 'x' }, { username: 'abc' }]) {
        const client = new AdminClient(app);
        await client.get('/admin/login');
        const res = await client.post('/admin/login', form as Record<string, string>);
        assert.strictEqual(res.status, 422, JSON.stringify(form));
        assert.match(res.headers['content-type'], /text\/html/);
      }
    });
  });

  describe('sessions', () => {
    it('POST /admin/logout ends the session (the cookie no longer opens anything); without CSRF it is refused', async () => {
      const { client } = await adminSession(app, 'viewer');
      const sid = client.sessionId!;
      assert.strictEqual((await client.post('/admin/logout', {}, { csrf: false })).status, 403);
      const res = await client.post('/admin/logout');
      assert.strictEqual(res.status, 302);
      assert.strictEqual(res.headers.location, '/admin/login');
      const replay = new AdminClient(app);
      replay.cookies.set('EGGCHAT_ADMIN_SID', sid);
      assert.strictEqual((await replay.get('/admin')).status, 302);
    });

    it('ends after the absolute timeout whatever the activity', async () => {
      const { client } = await adminSession(app, 'viewer');
      mm(app.config.admin, 'absoluteSeconds', -1);
      const res = await client.get('/admin/users');
      assert.strictEqual(res.status, 302);
      assert.strictEqual(res.headers.location, '/admin/login');
    });

    it('the session lives server-side for the idle timeout only (its store entry expires, the cookie holds an id)', async () => {
      const { client } = await adminSession(app, 'viewer');
      const sid = client.sessionId!;
      assert.doesNotMatch(Buffer.from(sid.split('.')[0], 'base64').toString('latin1'), /adminId/);
      // The store entry gone (as after the idle timeout): the cookie alone opens nothing.
      const ids = await storedSessionIds();
      assert.ok(ids.length > 0, 'the session is stored server-side');
      app.mockLog();
      for (const id of ids) await app.kvStore.del(`admin_session:${id}`);
      assert.strictEqual((await client.get('/admin')).status, 302);
      // The missed session is logged without its id.
      app.expectLog('[admin session] missed', 'coreLogger');
      for (const id of ids) app.notExpectLog(id, 'coreLogger');
    });

    it('a disabled admin is out at its next request', async () => {
      const { admin, client } = await adminSession(app, 'operator');
      await app.model.query('UPDATE admin_users SET status = 0 WHERE id = ?', { replacements: [ admin.id ] });
      assert.strictEqual((await client.get('/admin')).status, 302);
    });
  });

  describe('separation from the chat API', () => {
    it('a chat token never opens /admin', async () => {
      const user = await registerUser(app);
      for (const headers of [{ token: user.token }, { Authorization: `Bearer ${user.token}` }]) {
        const res = await app.httpRequest().get('/admin').set(headers)
          .redirects(0);
        assert.strictEqual(res.status, 302);
        assert.strictEqual(res.headers.location, '/admin/login');
      }
    });

    it('an admin session never opens /api/chat/* (and its cookie is scoped to /admin)', async () => {
      const { client } = await adminSession(app, 'owner');
      const res = await app.httpRequest().post('/api/chat/getUserSetInfo').set('Cookie', client.cookieHeader);
      assertFail(res, 401, MSG.authMissing);
    });
  });

  describe('ADMIN_ENABLED and ADMIN_ALLOWED_IPS', () => {
    it('off: every console path answers the API 404', async () => {
      mm(app.config.admin, 'enabled', false);
      for (const path of [ '/admin', '/admin/login', '/admin/users', '/admin/assets/admin.js' ]) {
        assertFail(await app.httpRequest().get(path), 404, MSG.notFound);
      }
      assertFail(await app.httpRequest().post('/admin/login').type('form')
        .send({ username: 'a', password: 'b' }), 404, MSG.notFound);
    });

    it('an address outside ADMIN_ALLOWED_IPS gets 404; an allowed one the page', async () => {
      mm(app.config.admin, 'allowedIps', [ '10.9.9.9' ]);
      assertFail(await app.httpRequest().get('/admin/login'), 404, MSG.notFound);
      mm(app.config.admin, 'allowedIps', [ '127.0.0.1', '::ffff:127.0.0.1', '::1' ]);
      assert.strictEqual((await app.httpRequest().get('/admin/login')).status, 200);
    });
  });
});
