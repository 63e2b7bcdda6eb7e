import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import Redis from 'ioredis';
import { QueryTypes, Transaction } from 'sequelize';
import { AppServer, RedisProcess, Reply, databaseEnv, eventually, sleep, startRedis, startServer } from '../helpers/server';
import { PASSWORD, uniqueName } from '../helpers/api';
import { isMysql } from '../helpers/db';
import { MSG } from '../../app/lib/messages';
import { assertOkReply, assertUnavailable } from '../helpers/outage';

/**
 * Redis stops answering (SIGSTOP: its connections stay open) exactly when a login or a logout sends its
 * session write. The server gives up after its command timeout and answers 503, but the write is already
 * in the socket and Redis runs it when it resumes: it must then do nothing. A login answered 503 leaves
 * no session behind (the one answered 200 before it keeps working), a logout answered 503 ends nothing.
 *
 * To stop Redis at that moment and no earlier (a login's first Redis command is a read, which would fail
 * first), the test holds the request up in MySQL with a lock, waits until its statement waits for the
 * lock, stops Redis, then releases the lock: the request's next Redis command is the session write.
 */

const COMMAND_TIMEOUT_MS = 300;
/** Long enough for any late command to have run after Redis resumed. */
const SETTLE_MS = COMMAND_TIMEOUT_MS * 3;

interface DbLock { release(): Promise<void> }

describe('test/outage/redisPause.test.ts', function() {
  this.timeout(120_000);

  let redis: RedisProcess | undefined;
  let server: AppServer | undefined;
  let inspect: Redis | undefined;
  let stopped = false;

  before(async function() {
    if (!process.env.REDIS_URL) {
      // eslint-disable-next-line no-console
      console.log('      (skipped: the Redis pause test needs the production profile — set REDIS_URL)');
      this.skip();
    }
    await app.ready();
    if (!isMysql(app)) {
      // eslint-disable-next-line no-console
      console.log('      (skipped: the Redis pause test holds requests with MySQL locks — set DATABASE_URL)');
      this.skip();
    }
    redis = await startRedis();
    server = await startServer({
      env: {
        ...databaseEnv(app.config.sequelize),
        REDIS_URL: `redis://127.0.0.1:${redis.port}/0`,
        REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
        // The server's statements wait for the test's locks rather than time out.
        DB_QUERY_TIMEOUT_MS: '10000',
      },
    });
    inspect = new Redis({ host: '127.0.0.1', port: redis.port });
  });

  after(async () => {
    resumeRedis();
    inspect?.disconnect();
    if (server) await server.stop();
    if (redis) await redis.kill();
  });

  afterEach(function() {
    // A case that failed half-way leaves Redis running for the next one.
    resumeRedis();
    if (this.currentTest?.state === 'failed' && server) {
      // eslint-disable-next-line no-console
      console.log(server.output().slice(-3000));
    }
  });

  function resumeRedis() {
    if (stopped) process.kill(redis!.child.pid!, 'SIGCONT');
    stopped = false;
  }

  const sidOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).sid;

  async function register() {
    const username = uniqueName('rpz');
    const data = assertOkReply(await server!.call('POST', '/api/regChat', { body: { username, password: PASSWORD } }), 'register');
    return { id: data.id as number, username };
  }

  const login = (username: string) => server!.call('POST', '/api/loginChat', { body: { username, password: PASSWORD } });

  /** The token is accepted (200) or refused as replaced (401). */
  async function assertToken(token: string, works: boolean, what: string) {
    const reply = await server!.call('GET', '/api/chat/goodfriendlist/1', { token });
    if (works) assertOkReply(reply, what);
    else assert.deepStrictEqual([ reply.status, reply.body?.data ], [ 401, MSG.authInvalid ], what);
  }

  async function assertStoredSession(userId: number, token: string, what: string) {
    const stored = await inspect!.get(`chat_user_${userId}`);
    assert.ok(stored?.startsWith(`${sidOf(token)}.`), `${what}: chat_user_${userId} holds ${stored}`);
  }

  /** Holds the user's row: the login's UPDATE (last_login) waits for it. */
  async function lockUserRow(userId: number): Promise<DbLock> {
    const transaction = await app.model.transaction();
    await app.model.query('SELECT id FROM `user` WHERE id = ? FOR UPDATE', { replacements: [ userId ], transaction });
    return { release: () => transaction.commit() };
  }

  /** Holds the whole table: even a plain read (the session check before a logout) waits for it. */
  async function lockUserTable(): Promise<DbLock> {
    const transaction: Transaction = await app.model.transaction();
    await app.model.query('LOCK TABLES `user` WRITE', { transaction });
    return {
      release: async () => {
        await app.model.query('UNLOCK TABLES', { transaction });
        await transaction.commit();
      },
    };
  }

  /**
   * Sends `request` while `lock` holds it up, waits until its statement (`blockedLike`) waits for the
   * lock, stops Redis, then releases the lock: the request's next Redis command meets the stopped Redis.
   */
  async function stopRedisAfter(lock: DbLock, blockedLike: string, request: () => Promise<Reply>): Promise<Reply> {
    const pending = request();
    try {
      const blocked = await eventually(5000, async () => {
        const [ row ] = await app.model.query<{ n: number }>(
          'SELECT COUNT(*) AS n FROM information_schema.processlist WHERE db = DATABASE() AND info LIKE ?',
          { replacements: [ blockedLike ], type: QueryTypes.SELECT },
        );
        return Number(row.n) > 0;
      }, 20);
      assert.ok(blocked, `no statement like ${blockedLike} waited for the lock`);
      // Whatever the request sent to Redis before that statement has been answered by now.
      await sleep(100);
      process.kill(redis!.child.pid!, 'SIGSTOP');
      stopped = true;
    } finally {
      await lock.release();
    }
    return pending;
  }

  it('a login answered 503 at its session write installs nothing later; the logins answered 200 around it stand', async () => {
    const user = await register();
    const tokenA = assertOkReply(await login(user.username), 'login A').token as string;
    await assertToken(tokenA, true, 'token A');
    const lastLogin = (await app.model.User.findByPk(user.id, { raw: true }))!.last_login;

    const reply = await stopRedisAfter(await lockUserRow(user.id), 'UPDATE `user` SET%', () => login(user.username));
    assertUnavailable(reply, 'login while Redis is stopped');
    resumeRedis();
    await sleep(SETTLE_MS);

    // Redis has run the late session write by now: it did nothing.
    await assertStoredSession(user.id, tokenA, 'after the 503 login');
    await assertToken(tokenA, true, 'token A after the 503 login');
    assert.deepStrictEqual((await app.model.User.findByPk(user.id, { raw: true }))!.last_login, lastLogin, 'a 503 login changed last_login');

    const tokenB = assertOkReply(await login(user.username), 'login B').token as string;
    await sleep(SETTLE_MS);
    await assertStoredSession(user.id, tokenB, 'after login B');
    await assertToken(tokenB, true, 'token B');
    await assertToken(tokenA, false, 'token A after login B');
  });

  it('a logout answered 503 at its session delete ends nothing later; a newer login and a real logout work', async () => {
    const user = await register();
    const tokenB = assertOkReply(await login(user.username), 'login B').token as string;

    const reply = await stopRedisAfter(await lockUserTable(), 'SELECT id, uuid, role%', () => server!.call('POST', '/api/chat/logout', { token: tokenB }));
    assertUnavailable(reply, 'logout while Redis is stopped');
    resumeRedis();
    await sleep(SETTLE_MS);

    await assertStoredSession(user.id, tokenB, 'after the 503 logout');
    await assertToken(tokenB, true, 'token B after the 503 logout');

    const tokenC = assertOkReply(await login(user.username), 'login C').token as string;
    await sleep(SETTLE_MS);
    await assertStoredSession(user.id, tokenC, 'after login C');
    await assertToken(tokenC, true, 'token C');
    await assertToken(tokenB, false, 'token B after login C');

    // The replaced token cannot log out at all; C's own logout ends C.
    assert.strictEqual((await server!.call('POST', '/api/chat/logout', { token: tokenB })).status, 401);
    assertOkReply(await server!.call('POST', '/api/chat/logout', { token: tokenC }), 'logout C');
    await assertToken(tokenC, false, 'token C after its logout');
    assert.strictEqual(await inspect!.get(`chat_user_${user.id}`), null);
  });
});
