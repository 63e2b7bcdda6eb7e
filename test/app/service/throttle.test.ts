import * as assert from 'node:assert';
import { app, mock } from 'egg-mock/bootstrap';
import { resetDatabase } from '../../helpers/db';
import { assertFail, assertOk, login, post, registerUser, uniqueName, PASSWORD } from '../../helpers/api';
import { MSG } from '../../../app/lib/messages';

function lower(rule: 'loginFailPerAccount' | 'loginFailPerIp' | 'registerPerIp' | 'applyPerUser', limit: number) {
  mock(app.config.chat.throttle, rule, { limit, windowSeconds: 120 });
}

describe('test/app/service/throttle.test.ts', () => {
  // Counters are per IP and every request comes from 127.0.0.1: each case starts from zero.
  beforeEach(() => resetDatabase(app));
  afterEach(() => mock.restore());

  it('locks an account after N failed logins with 429 and Retry-After, even for the right password', async () => {
    const user = await registerUser(app);
    lower('loginFailPerAccount', 3);
    for (let i = 0; i < 3; i++) assertFail(await login(app, user.username, 'wrong-pass'), 400, MSG.wrongPassword);
    const locked = await login(app, user.username, PASSWORD);
    assertFail(locked, 429, MSG.tooManyAttempts);
    const retryAfter = Number(locked.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= 120, `Retry-After ${locked.headers['retry-after']}`);
    // Another account is not affected by this one's counter.
    const other = await registerUser(app);
    assertOk(await login(app, other.username));
  });

  it('a successful login clears the account counter', async () => {
    const user = await registerUser(app);
    lower('loginFailPerAccount', 3);
    for (let i = 0; i < 2; i++) assertFail(await login(app, user.username, 'wrong-pass'), 400, MSG.wrongPassword);
    assertOk(await login(app, user.username));
    for (let i = 0; i < 2; i++) assertFail(await login(app, user.username, 'wrong-pass'), 400, MSG.wrongPassword);
    assertOk(await login(app, user.username));
  });

  it('counts failures for unknown accounts per client IP', async () => {
    const user = await registerUser(app);
    lower('loginFailPerIp', 4);
    for (let i = 0; i < 4; i++) assertFail(await login(app, uniqueName('ghost')), 400, MSG.accountMissingOrDisabled);
    assertFail(await login(app, user.username), 429, MSG.tooManyAttempts);
  });

  it('caps registrations per IP', async () => {
    lower('registerPerIp', 2);
    await registerUser(app);
    await registerUser(app);
    const before = await app.model.User.count();
    const res = await app.httpRequest().post('/api/regChat').send({ username: uniqueName('cap'), password: PASSWORD });
    assertFail(res, 429, MSG.tooManyAttempts);
    assert.strictEqual(await app.model.User.count(), before, 'nothing created');
  });

  it('caps friend applications per user per day', async () => {
    const me = await registerUser(app);
    const targets = [ await registerUser(app), await registerUser(app), await registerUser(app) ];
    lower('applyPerUser', 2);
    assertOk(await post(app, '/api/chat/applyfriend', me.token).send({ friend_id: targets[0].id }));
    assertOk(await post(app, '/api/chat/applyfriend', me.token).send({ friend_id: targets[1].id }));
    assertFail(await post(app, '/api/chat/applyfriend', me.token).send({ friend_id: targets[2].id }), 429, MSG.tooManyAttempts);
    assert.strictEqual(await app.model.Goodfriendapply.count({ where: { user_id: me.id } }), 2);
  });
});
