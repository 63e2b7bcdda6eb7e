import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { resetDatabase } from '../../helpers/db';
import { assertOk, get, login, post, registerUser, TestUser } from '../../helpers/api';
import { MSG } from '../../../app/lib/messages';
import { hashPassword } from '../../../app/lib/password';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const jwt = require('jsonwebtoken');

const LOGOUT = '/api/chat/logout';

interface Payload { id: number; uuid: string; role: string; sid: string; iat: number; exp: number }

function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

function decodePayload(token: string): Payload {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

/** The payload of a real session token, re-signed with other claims/options. */
function resign(token: string, changes: Partial<Payload>, secret: string, algorithm = 'HS256'): string {
  return jwt.sign({ ...decodePayload(token), ...changes }, secret, { algorithm, noTimestamp: true });
}

/** The contract's 401: exactly {"msg":"fail","data":message}, as JSON. */
function assert401(res: { status: number; body: any; headers: Record<string, string> }, message: string) {
  assert.strictEqual(res.status, 401, `expected 401, got ${res.status}: ${JSON.stringify(res.body)}`);
  assert.match(res.headers['content-type'], /^application\/json/);
  assert.deepStrictEqual(res.body, { msg: 'fail', data: message });
}

/** The token still opens a session (and closes it: logout is the route under test). */
async function assertAccepted(token: string) {
  assert.strictEqual(assertOk(await post(app, LOGOUT, token)), true);
}

describe('test/app/middleware/auth.test.ts', () => {
  let secret: string;
  before(async () => {
    await resetDatabase(app);
    secret = app.config.jwt.secret;
    assert.ok(secret, 'the app has a JWT secret');
  });

  describe('where the token is read from', () => {
    it('accepts the `token` header', async () => {
      const user = await registerUser(app);
      const res = await app.httpRequest().post(LOGOUT).set('token', user.token);
      assert.deepStrictEqual(res.body, { msg: 'ok', data: true });
      assert.strictEqual(res.status, 200);
    });

    it('accepts `Authorization: Bearer <jwt>` (scheme case-insensitive)', async () => {
      const user = await registerUser(app);
      const res = await app.httpRequest().post(LOGOUT).set('Authorization', `Bearer ${user.token}`);
      assert.deepStrictEqual(res.body, { msg: 'ok', data: true });
      const other = await registerUser(app);
      assertOk(await app.httpRequest().post(LOGOUT).set('Authorization', `bearer ${other.token}`));
    });

    it('refuses a request without any token', async () => {
      assert401(await app.httpRequest().post(LOGOUT), MSG.authMissing);
    });

    it('never reads the token from the URL query', async () => {
      const user = await registerUser(app);
      assert401(await app.httpRequest().post(`${LOGOUT}?token=${encodeURIComponent(user.token)}`), MSG.authMissing);
      assert401(await app.httpRequest().post(`${LOGOUT}?access_token=${encodeURIComponent(user.token)}`), MSG.authMissing);
      // The refused attempt did not log the user out: the header still works.
      await assertAccepted(user.token);
    });

    it('refuses an Authorization header with another scheme or an empty bearer', async () => {
      const user = await registerUser(app);
      assert401(await app.httpRequest().post(LOGOUT).set('Authorization', `Basic ${user.token}`), MSG.authMissing);
      assert401(await app.httpRequest().post(LOGOUT).set('Authorization', user.token), MSG.authMissing);
      assert401(await app.httpRequest().post(LOGOUT).set('Authorization', 'Bearer '), MSG.authMissing);
    });
  });

  describe('token checks', () => {
    let user: TestUser;
    beforeEach(async () => {
      user = await registerUser(app);
    });

    it('refuses a token it accepted before once its expiry has passed (verified tokens are remembered, their expiry is checked)', async () => {
      const now = Math.floor(Date.now() / 1000);
      const shortLived = resign(user.token, { iat: now, exp: now + 2 }, secret);
      // Accepted twice: the second time from this worker's verified tokens (app/lib/verifiedTokens.ts).
      assertOk(await get(app, '/api/chat/goodfriendlist/1', shortLived));
      assertOk(await get(app, '/api/chat/goodfriendlist/1', shortLived));
      await new Promise(resolve => setTimeout(resolve, (now + 2) * 1000 - Date.now() + 20));
      assert401(await get(app, '/api/chat/goodfriendlist/1', shortLived), MSG.authExpired);
      // The session itself is untouched: the original token still works.
      await assertAccepted(user.token);
    });

    it('answers the expiry message for an expired token with a valid id and session', async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = resign(user.token, { iat: now - 3600, exp: now - 60 }, secret);
      assert.strictEqual(decodePayload(expired).sid, decodePayload(user.token).sid);
      assert401(await post(app, LOGOUT, expired), MSG.authExpired);
      assert401(await app.httpRequest().post(LOGOUT).set('Authorization', `Bearer ${expired}`), MSG.authExpired);
      // The same claims with a future expiry are accepted: only the expiry was wrong.
      await assertAccepted(resign(user.token, { iat: now, exp: now + 600 }, secret));
    });

    it('refuses a tampered signature', async () => {
      const [ header, payload, signature ] = user.token.split('.');
      const middle = Math.floor(signature.length / 2);
      const flipped = signature[middle] === 'A' ? 'B' : 'A';
      const tampered = `${header}.${payload}.${signature.slice(0, middle)}${flipped}${signature.slice(middle + 1)}`;
      assert401(await post(app, LOGOUT, tampered), MSG.authInvalid);
      assert401(await post(app, LOGOUT, `${header}.${payload}.`), MSG.authInvalid);
      await assertAccepted(user.token);
    });

    it('refuses a tampered payload under the original signature', async () => {
      const other = await registerUser(app);
      const [ header, , signature ] = user.token.split('.');
      const forged = `${header}.${b64url({ ...decodePayload(user.token), id: other.id })}.${signature}`;
      assert401(await post(app, LOGOUT, forged), MSG.authInvalid);
      await assertAccepted(other.token);
    });

    for (const [ name, token ] of [
      [ 'a random string', 'not-a-jwt' ],
      [ 'three empty parts', '..' ],
      [ 'three junk parts', 'a.b.c' ],
      [ 'a JSON string', '{"id":1}' ],
    ]) {
      it(`refuses a malformed token: ${name}`, async () => {
        assert401(await post(app, LOGOUT, token), MSG.authInvalid);
      });
    }

    it('refuses an unsigned `alg: none` token', async () => {
      const payload = decodePayload(user.token);
      const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`;
      assert401(await post(app, LOGOUT, none), MSG.authInvalid);
      const noneWithSignature = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.${user.token.split('.')[2]}`;
      assert401(await post(app, LOGOUT, noneWithSignature), MSG.authInvalid);
      await assertAccepted(user.token);
    });

    it('refuses a token signed with HS512, even with the right secret', async () => {
      const hs512 = resign(user.token, {}, secret, 'HS512');
      assert.strictEqual(JSON.parse(Buffer.from(hs512.split('.')[0], 'base64url').toString()).alg, 'HS512');
      assert401(await post(app, LOGOUT, hs512), MSG.authInvalid);
      // The same claims signed HS256 with the same secret pass: the algorithm alone was refused.
      await assertAccepted(resign(user.token, {}, secret));
    });

    it('refuses a token signed with another secret', async () => {
      assert401(await post(app, LOGOUT, resign(user.token, {}, `${secret}-other`)), MSG.authInvalid);
      assert401(await post(app, LOGOUT, resign(user.token, {}, 'eggchat-dev-secret-change-me-not')), MSG.authInvalid);
      await assertAccepted(user.token);
    });

    it('refuses a validly signed token whose session id was never issued', async () => {
      assert401(await post(app, LOGOUT, resign(user.token, { sid: '00000000-0000-4000-8000-000000000000' }, secret)), MSG.authInvalid);
      await assertAccepted(user.token);
    });

    it('refuses a validly signed token without an integer id or a session id', async () => {
      const now = Math.floor(Date.now() / 1000);
      const { sid, uuid, role } = decodePayload(user.token);
      const noSid = jwt.sign({ id: user.id, uuid, role, iat: now, exp: now + 600 }, secret, { algorithm: 'HS256' });
      const stringId = jwt.sign({ id: String(user.id), uuid, role, sid, iat: now, exp: now + 600 }, secret, { algorithm: 'HS256' });
      assert401(await post(app, LOGOUT, noSid), MSG.authInvalid);
      assert401(await post(app, LOGOUT, stringId), MSG.authInvalid);
      await assertAccepted(user.token);
    });

    it('refuses the token after logout', async () => {
      await assertAccepted(user.token);
      assert401(await post(app, LOGOUT, user.token), MSG.authInvalid);
      assert401(await app.httpRequest().post(LOGOUT).set('Authorization', `Bearer ${user.token}`), MSG.authInvalid);
    });

    it('refuses the token once a second login replaced it', async () => {
      const second = assertOk(await login(app, user.username)).token;
      assert.notStrictEqual(second, user.token);
      assert401(await post(app, LOGOUT, user.token), MSG.authInvalid);
      await assertAccepted(second);
    });

    it('refuses a disabled user (status = 0) even with a valid token', async () => {
      await app.model.User.update({ status: 0 }, { where: { id: user.id } });
      assert401(await post(app, LOGOUT, user.token), MSG.authUserDisabled);
      // Re-enabled, the same session works again: the refusal came from the row, not the token.
      await app.model.User.update({ status: 1 }, { where: { id: user.id } });
      await assertAccepted(user.token);
    });

    it('refuses a user whose row was deleted', async () => {
      await app.model.Userinfo.destroy({ where: { user_id: user.id } });
      await app.model.User.destroy({ where: { id: user.id } });
      assert.strictEqual(await app.model.User.count({ where: { id: user.id } }), 0);
      assert401(await post(app, LOGOUT, user.token), MSG.authUserDisabled);
    });

    it('refuses a user marked is_deleted = 1', async () => {
      await app.model.User.update({ is_deleted: 1 }, { where: { id: user.id } });
      assert401(await post(app, LOGOUT, user.token), MSG.authUserDisabled);
    });

    it('refuses the token once the password hash changed in the row (password reset)', async () => {
      await app.model.User.update({ password: await hashPassword('another-password') }, { where: { id: user.id } });
      assert401(await post(app, LOGOUT, user.token), MSG.authInvalid);
      // A login with the new password opens a working session.
      const fresh = assertOk(await login(app, user.username, 'another-password')).token;
      await assertAccepted(fresh);
    });
  });
});
