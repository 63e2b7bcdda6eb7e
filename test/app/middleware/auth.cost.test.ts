import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { QueryTypes } from 'sequelize';
import { resetDatabase, isMysql } from '../../helpers/db';
import { assertOk, get, post, registerUser, TestUser } from '../../helpers/api';

/**
 * What authentication costs: at most one read of the session store (Redis GET in the production
 * profile, one kv_store row in the embedded one) and one primary-key read of `user`, on top of the work
 * of the route itself. Counted with Sequelize's logging hook (every SQL statement the app sends) and a
 * hook on the Redis client (every command).
 */

interface Io { sql: string[]; redis: string[] }

async function countIo(work: () => Promise<unknown>): Promise<Io> {
  const io: Io = { sql: [], redis: [] };
  const sequelize = app.model as any;
  const previousLogging = sequelize.options.logging;
  sequelize.options.logging = (message: string) => io.sql.push(String(message).replace(/^Execut(?:ing|ed) \([^)]*\):\s*/, ''));
  const redis = (app as any).redis;
  const sendCommand = redis?.sendCommand;
  if (redis) {
    redis.sendCommand = function(this: unknown, command: { name: string }, ...rest: unknown[]) {
      io.redis.push(command.name.toLowerCase());
      return sendCommand.call(this, command, ...rest);
    };
  }
  try {
    await work();
  } finally {
    sequelize.options.logging = previousLogging;
    if (redis) redis.sendCommand = sendCommand;
  }
  return io;
}

const USER_BY_PK = /\bFROM\s+`user`(?:\s+AS\s+`user`)?\s+WHERE\s+(?:`user`\.)?`?id`?\s*=\s*\d+/i;
const SESSION_READ = /\bFROM\s+`?kv_store`?\b.*\bWHERE\s+`key`\s*=/i;

/** The database itself says the statement reads `user` by its primary key. */
async function assertPrimaryKeyRead(sql: string) {
  const statement = sql.replace(/;\s*$/, '');
  if (isMysql(app)) {
    const [ plan ] = await app.model.query<any>(`EXPLAIN ${statement}`, { type: QueryTypes.SELECT });
    assert.strictEqual(plan.key, 'PRIMARY', `${statement}: ${JSON.stringify(plan)}`);
    assert.ok([ 'const', 'eq_ref' ].includes(plan.type), `${statement}: ${JSON.stringify(plan)}`);
  } else {
    const plan = await app.model.query<any>(`EXPLAIN QUERY PLAN ${statement}`, { type: QueryTypes.SELECT });
    assert.ok(plan.some(step => /USING INTEGER PRIMARY KEY|USING PRIMARY KEY/i.test(step.detail)), `${statement}: ${JSON.stringify(plan)}`);
  }
}

/** Splits what authentication did from the rest and checks its budget: ≤ 1 store read, ≤ 1 PK read. */
async function assertAuthBudget(io: Io): Promise<Io> {
  const pkReads = io.sql.filter(sql => USER_BY_PK.test(sql));
  assert.strictEqual(pkReads.length, 1, `one primary-key read of user, got:\n${io.sql.join('\n')}`);
  await assertPrimaryKeyRead(pkReads[0]);
  const redis = (app as any).redis;
  if (redis) {
    assert.deepStrictEqual(io.redis, [ 'get' ], 'exactly one Redis read');
  } else {
    assert.strictEqual(io.sql.filter(sql => SESSION_READ.test(sql)).length, 1, `one session read, got:\n${io.sql.join('\n')}`);
  }
  return {
    sql: io.sql.filter(sql => !USER_BY_PK.test(sql) && (redis || !SESSION_READ.test(sql))),
    redis: redis ? [] : io.redis,
  };
}

describe('test/app/middleware/auth.cost.test.ts', () => {
  let me: TestUser;
  let friend: TestUser;

  before(async () => {
    await resetDatabase(app);
    me = await registerUser(app);
    friend = await registerUser(app);
    await app.model.Goodfriend.bulkCreate([
      { user_id: me.id, friend_id: friend.id, nickname: '同学' },
      { user_id: friend.id, friend_id: me.id, nickname: '' },
    ] as any);
  });

  it('the auth middleware alone: exactly one session read and one primary-key read of user', async () => {
    const ctx = app.mockContext({ headers: { token: me.token } }) as any;
    let reached = false;
    const io = await countIo(() => app.middleware.auth()(ctx, async () => { reached = true; }));
    assert.ok(reached, 'the request was let through');
    assert.strictEqual(ctx.state.auth.id, me.id);
    const rest = await assertAuthBudget(io);
    assert.deepStrictEqual(rest, { sql: [], redis: [] }, 'nothing else');
  });

  it('a token refused on its signature costs no I/O at all', async () => {
    const [ header, payload, signature ] = me.token.split('.');
    const forged = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    const io = await countIo(async () => {
      const res = await post(app, '/api/chat/logout', forged);
      assert.strictEqual(res.status, 401);
    });
    assert.deepStrictEqual(io, { sql: [], redis: [] });
  });

  const routes: Array<{ name: string; call: (token: string) => any; own: () => Promise<unknown> }> = [
    { name: 'goodfriendlist', call: token => get(app, '/api/chat/goodfriendlist/1', token), own: () => app.mockContext().service.goodfriend.contactsJson(me.id, 1, 2000) },
    { name: 'getgoodfriendinfo', call: token => get(app, `/api/chat/getgoodfriendinfo/${friend.id}`, token), own: () => app.mockContext().service.goodfriend.profile(me.id, friend.id) },
    { name: 'searchUser', call: token => post(app, '/api/chat/searchUser', token).send({ keyword: friend.username }), own: () => app.mockContext().service.userSearch.search(me.id, friend.username) },
  ];
  routes.forEach(route => {
    it(`${route.name}: the request costs its own queries plus the auth budget, nothing more`, async () => {
      // Both measured on a cold contacts cache (a cached list is measured below).
      app.contactsCache.clear();
      const own = await countIo(route.own);
      app.contactsCache.clear();
      const whole = await countIo(async () => assertOk(await route.call(me.token)));
      const rest = await assertAuthBudget(whole);
      assert.strictEqual(rest.sql.length, own.sql.length, `own work ${own.sql.length} statement(s), the request ran ${whole.sql.length}:\n${whole.sql.join('\n')}`);
      assert.deepStrictEqual(rest.redis, own.redis);
    });
  });

  it('goodfriendlist opened again with the same friends: one index-only read besides auth, the same body', async () => {
    app.contactsCache.clear();
    const first = await get(app, '/api/chat/goodfriendlist/1', me.token);
    assertOk(first);
    let again: any;
    const io = await countIo(async () => { again = await get(app, '/api/chat/goodfriendlist/1', me.token); });
    assertOk(again);
    const rest = await assertAuthBudget(io);
    assert.strictEqual(rest.sql.length, 1, rest.sql.join('\n'));
    assert.match(rest.sql[0], /^SELECT COUNT\(\*\) AS n, MAX\(id\)/);
    assert.deepStrictEqual(again.body, first.body);
    assert.match(again.headers['content-type'], /^application\/json; charset=utf-8$/);
  });
});
