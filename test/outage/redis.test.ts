import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { AppServer, RedisProcess, databaseEnv, eventually, redisCommand, sleep, startRedis, startServer } from '../helpers/server';
import { PASSWORD, uniqueName } from '../helpers/api';
import { MSG } from '../../app/lib/messages';
import { FAST_MS, assertAllUnavailable, assertOkReply, assertUnavailable, chatRoutes } from '../helpers/outage';

/**
 * Redis (the session and throttle store of the production profile) goes away under a real server
 * process and comes back: the server answers 503 fast, lets nobody through, changes nothing, and
 * recovers by itself. The server talks to a spare redis-server of its own; the database is the test's.
 */

describe('test/outage/redis.test.ts', function() {
  this.timeout(120_000);

  let redis: RedisProcess | undefined;
  let server: AppServer | undefined;

  before(async function() {
    if (!process.env.REDIS_URL) {
      // eslint-disable-next-line no-console
      console.log('      (skipped: the Redis outage test needs the production profile — set REDIS_URL)');
      this.skip();
    }
    await app.ready();
    redis = await startRedis();
    server = await startServer({
      env: { ...databaseEnv(app.config.sequelize), REDIS_URL: `redis://127.0.0.1:${redis.port}/0` },
    });
  });

  after(async () => {
    if (server) await server.stop();
    if (redis) await redis.kill();
  });

  afterEach(async function() {
    if (this.currentTest?.state === 'failed' && server) {
      // eslint-disable-next-line no-console
      console.log(server.output().slice(-3000));
    }
    // A case that failed half-way leaves Redis running again for the next one.
    if (redis && (redis.child.exitCode !== null || redis.child.signalCode !== null)) {
      redis = await startRedis(redis.port);
      await eventually(10_000, async () => (await server!.call('GET', '/api/health')).status === 200);
    }
  });

  it('answers 503 fast while Redis is down, lets nobody through, changes nothing, and recovers without a restart', async () => {
    const s = server!;
    const register = async () => {
      const username = uniqueName('rds');
      const data = assertOkReply(await s.call('POST', '/api/regChat', { body: { username, password: PASSWORD } }), 'register');
      return { id: data.id as number, username, token: data.token as string };
    };
    // Before the outage: two users, an application from B to A, and A's token.
    const a = await register();
    const b = await register();
    assertOkReply(await s.call('POST', '/api/chat/applyfriend', { token: b.token, body: { friend_id: a.id } }), 'apply');
    const apply = await app.model.Goodfriendapply.findOne({ where: { user_id: b.id, friend_id: a.id }, raw: true });
    assert.ok(apply, 'the application exists');
    assertOkReply(await s.call('POST', '/api/chat/searchUser', { token: a.token, body: { keyword: b.username } }), 'search before the outage');
    assert.deepStrictEqual((await s.call('GET', '/api/health')).body.data, { db: 'up', redis: 'up' });
    const lastLoginBefore = (await app.model.User.findByPk(a.id, { raw: true }))!.last_login;

    await redis!.kill();

    // The first requests after the kill, and a burst of them at once: 503 each, fast, never a hang.
    const healthDown = await s.call('GET', '/api/health');
    assertUnavailable(healthDown, 'health');
    assert.strictEqual(healthDown.headers['x-health'], 'db=up; redis=down');
    assertUnavailable(await s.call('POST', '/api/loginChat', { body: { username: a.username, password: PASSWORD } }), 'login');
    const newName = uniqueName('rdsnew');
    assertUnavailable(await s.call('POST', '/api/regChat', { body: { username: newName, password: PASSWORD } }), 'register');
    await assertAllUnavailable(s, a.token, [[ 'POST', '/api/chat/logout' ], ...chatRoutes(b, apply!.id) ]);

    // Nothing changed: no account, no login recorded, the application still pending, no friendship.
    assert.strictEqual(await app.model.User.count({ where: { username: newName } }), 0, 'a 503 registration left no account');
    assert.deepStrictEqual((await app.model.User.findByPk(a.id, { raw: true }))!.last_login, lastLoginBefore, 'a 503 login changed last_login');
    assert.strictEqual((await app.model.Goodfriendapply.findByPk(apply!.id, { raw: true }))!.status, 'pending');
    assert.strictEqual(await app.model.Goodfriend.count({ where: { user_id: [ a.id, b.id ] } }), 0);

    // Redis comes back on the same port, empty: the server reconnects by itself.
    redis = await startRedis(redis!.port);
    const recoveredAt = Date.now();
    const relogin = await eventually(10_000, async () => {
      const reply = await s.call('POST', '/api/loginChat', { body: { username: a.username, password: PASSWORD } });
      return reply.status === 200 ? reply : undefined;
    });
    assert.ok(relogin, `no successful login within 10 s of Redis coming back:\n${s.output().slice(-2000)}`);
    assert.ok(Date.now() - recoveredAt < 10_000);
    const fresh = assertOkReply(relogin!, 'login after recovery').token as string;
    assert.ok((await app.model.User.findByPk(a.id, { raw: true }))!.last_login, 'the successful login is recorded');

    // The sessions were in the lost Redis data: the old token is refused, the new one works.
    const old = await s.call('POST', '/api/chat/searchUser', { token: a.token, body: { keyword: b.username } });
    assert.strictEqual(old.status, 401, JSON.stringify(old.body));
    assert.strictEqual(old.body.data, MSG.authInvalid);
    assertOkReply(await s.call('POST', '/api/chat/searchUser', { token: fresh, body: { keyword: b.username } }), 'search after recovery');
    assertOkReply(await s.call('POST', `/api/chat/handleapply/${apply!.id}`, { token: fresh, body: { status: 'agree' } }), 'agree after recovery');
    assert.strictEqual(await app.model.Goodfriend.count({ where: { user_id: [ a.id, b.id ], friend_id: [ a.id, b.id ] } }), 2);
    const health = await s.call('GET', '/api/health');
    assert.strictEqual(health.status, 200);
    assert.deepStrictEqual(health.body.data, { db: 'up', redis: 'up' });
  });

  it('a Redis that stops answering (CLIENT PAUSE) gets 503 within the command timeout; its data kept, the old token works after', async () => {
    const s = server!;
    const username = uniqueName('rdsp');
    const token = assertOkReply(await s.call('POST', '/api/regChat', { body: { username, password: PASSWORD } }), 'register').token as string;
    assertOkReply(await s.call('GET', '/api/chat/goodfriendlist/1', { token }), 'before the pause');
    const user = await app.model.User.findOne({ where: { username }, raw: true });

    // Every client's commands wait 4 s: connections stay open, nothing is answered.
    assert.strictEqual(await redisCommand(redis!.port, 'CLIENT', 'PAUSE', '4000', 'ALL'), '+OK');
    const pausedAt = Date.now();
    const replies = await Promise.all([
      s.call('GET', '/api/health'),
      s.call('POST', '/api/loginChat', { body: { username, password: PASSWORD } }),
      s.call('POST', '/api/chat/searchUser', { token, body: { keyword: username } }),
      s.call('GET', '/api/chat/goodfriendlist/1', { token }),
      s.call('POST', '/api/chat/logout', { token }),
    ]);
    assert.ok(Date.now() - pausedAt < 3500, 'the answers came while Redis was still paused');
    [ 'health', 'login', 'search', 'goodfriendlist', 'logout' ].forEach((name, i) => assertUnavailable(replies[i], `${name} (paused)`));
    assert.deepStrictEqual((await app.model.User.findByPk(user!.id, { raw: true }))!.last_login, user!.last_login, 'a 503 login changed last_login');

    // The pause ends by itself; the session survived and the 503 logout did not end it.
    const back = await eventually(10_000, async () => (await s.call('GET', '/api/chat/goodfriendlist/1', { token })).status === 200);
    assert.ok(back, 'the token from before the pause works again within 10 s');
    assertOkReply(await s.call('POST', '/api/chat/searchUser', { token, body: { keyword: username } }), 'search after the pause');
  });

  it('a second outage, with requests in flight when it starts, still ends in 503 or 200 — never 500, never a hang', async () => {
    const s = server!;
    const username = uniqueName('rds2');
    const token = assertOkReply(await s.call('POST', '/api/regChat', { body: { username, password: PASSWORD } }), 'register').token;
    const inFlight = Array.from({ length: 40 }, async (_, i) => {
      await sleep(i * 5);
      return i % 2
        ? s.call('POST', '/api/chat/searchUser', { token, body: { keyword: username } })
        : s.call('GET', '/api/chat/goodfriendlist/1', { token });
    });
    await sleep(60);
    await redis!.kill();
    const replies = await Promise.all(inFlight);
    for (const [ i, reply ] of replies.entries()) {
      assert.ok(!reply.error, `#${i}: ${reply.error} after ${reply.ms} ms`);
      assert.ok([ 200, 503 ].includes(reply.status), `#${i}: ${reply.status} ${JSON.stringify(reply.body)}`);
      if (reply.status === 503) assert.ok(reply.ms < FAST_MS, `#${i}: 503 after ${reply.ms} ms`);
    }
    assert.ok(replies.some(r => r.status === 503), 'the outage was noticed');
    redis = await startRedis(redis!.port);
    const back = await eventually(10_000, async () => (await s.call('GET', '/api/health')).status === 200);
    assert.ok(back, 'health is back to 200 within 10 s');
  });
});
