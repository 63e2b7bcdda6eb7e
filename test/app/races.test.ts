import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { resetDatabase } from '../helpers/db';
import { assertFail, assertOk, login, post, registerUser, uniqueName, PASSWORD, TestUser } from '../helpers/api';
import { inParallel } from '../helpers/parallel';
import { MSG } from '../../app/lib/messages';

/**
 * Concurrency across routes, then consistency checks. Single-route races (one name registered 6 times,
 * 8 identical applications, 10 agrees, a 20-toggle blacklist storm, different answers to one application)
 * live with their routes in test/app/controller; this file mixes routes and users at the same moment.
 * Every answer is either a success or one of the contract's refusals — never a 5xx.
 */

type Res = { status: number; body: any };

function describeAll(results: Res[]): string {
  return JSON.stringify(results.map(r => [ r.status, r.body?.data ]));
}

function assertNo5xx(results: Res[]) {
  for (const r of results) assert.ok(r.status < 500, `a 5xx among ${describeAll(results)}`);
}

function applyfriend(from: TestUser, to: { id: number }, nickname = '') {
  return post(app, '/api/chat/applyfriend', from.token).send({ friend_id: to.id, nickname });
}

function handleapply(me: TestUser, id: number, status: string, nickname = '') {
  return post(app, `/api/chat/handleapply/${id}`, me.token).send({ status, nickname });
}

async function applies(from: number, to: number, status?: string) {
  const where: Record<string, unknown> = { user_id: from, friend_id: to };
  if (status) where.status = status;
  return app.model.Goodfriendapply.findAll({ where, order: [[ 'id', 'ASC' ]], raw: true });
}

async function friendRows(x: number, y: number) {
  const { Op } = app.Sequelize;
  return app.model.Goodfriend.findAll({
    where: { [Op.or]: [{ user_id: x, friend_id: y }, { user_id: y, friend_id: x }] },
    raw: true,
  });
}

async function users(count: number): Promise<TestUser[]> {
  return inParallel(app, count, () => registerUser(app));
}

async function friends(a: TestUser, b: TestUser) {
  await app.model.Goodfriend.bulkCreate([{ user_id: a.id, friend_id: b.id }, { user_id: b.id, friend_id: a.id }] as any);
}

async function myRow(me: TestUser, friend: TestUser): Promise<any> {
  return app.model.Goodfriend.findOne({ where: { user_id: me.id, friend_id: friend.id }, raw: true });
}

async function count(sql: string): Promise<number> {
  const rows = await app.model.query(sql, { type: 'SELECT' } as any) as any[];
  return Number(rows[0].n);
}

describe('test/app/races.test.ts', function() {
  this.timeout(120_000);
  before(() => resetDatabase(app));

  describe('accounts and sessions', () => {
    it('one name registered at once in different letter cases: exactly one account and one user_info', async () => {
      const base = uniqueName('Race').toLowerCase();
      const variants = [ base, base.toUpperCase(), base, base[0].toUpperCase() + base.slice(1), base.toUpperCase(), base ];
      const results = await inParallel(app, variants.length, i =>
        app.httpRequest().post('/api/regChat').type(i % 2 ? 'form' : 'json')
          .send({ username: variants[i], password: PASSWORD }));
      assertNo5xx(results);
      const ok = results.filter(r => r.status === 200);
      assert.strictEqual(ok.length, 1, describeAll(results));
      for (const r of results.filter(x => x.status !== 200)) assertFail(r, 400, MSG.usernameTaken);
      const { Op, where, fn, col } = app.Sequelize;
      const accounts = await app.model.User.findAll({ where: where(fn('lower', col('username')), Op.eq, base) as any, raw: true });
      assert.strictEqual(accounts.length, 1);
      assert.strictEqual(await app.model.Userinfo.count({ where: { user_id: accounts[0].id } }), 1);
    });

    it('logins racing the registration of the same name answer 200 or 账号不存在或者被禁用, never 5xx', async () => {
      const username = uniqueName('rl');
      const results = await inParallel(app, 8, i => (i === 0
        ? app.httpRequest().post('/api/regChat').send({ username, password: PASSWORD })
        : login(app, username)));
      assertNo5xx(results);
      assertOk(results[0]);
      for (const r of results.slice(1)) {
        if (r.status !== 200) assertFail(r, 400, MSG.accountMissingOrDisabled);
      }
      assert.strictEqual(await app.model.User.count({ where: { username } }), 1);
    });

    it('N logins of one user at once: all answered 200 and exactly one of their tokens is the live session', async () => {
      const me = await registerUser(app);
      const results = await inParallel(app, 6, () => login(app, me.username));
      for (const r of results) assertOk(r);
      const tokens = results.map(r => r.body.data.token as string);
      assert.strictEqual(new Set(tokens).size, tokens.length, 'every login issues its own token');
      const all = [ me.token, ...tokens ];
      const checks = await inParallel(app, all.length, i => post(app, '/api/chat/searchUser', all[i]).send({ keyword: 'zz' }));
      const live = checks.filter(r => r.status === 200);
      assert.strictEqual(live.length, 1, describeAll(checks));
      for (const r of checks.filter(x => x.status !== 200)) assertFail(r, 401, MSG.authInvalid);
      assert.notStrictEqual(checks[0].status, 200, 'the token from before the logins is replaced');
    });

    it('a logout racing requests on the same token: each request is answered 200 or 401, and afterwards the token is dead', async () => {
      const me = await registerUser(app);
      const results = await inParallel(app, 10, i => (i === 5
        ? post(app, '/api/chat/logout', me.token)
        : post(app, '/api/chat/searchUser', me.token).send({ keyword: 'zz' })));
      assertNo5xx(results);
      assertOk(results[5]);
      for (const r of results) if (r.status !== 200) assertFail(r, 401, MSG.authInvalid);
      assertFail(await post(app, '/api/chat/searchUser', me.token).send({ keyword: 'zz' }), 401, MSG.authInvalid);
    });
  });

  describe('applications', () => {
    it('duplicate applications in both directions at once: exactly one pending row each way', async () => {
      const [ a, b ] = await users(2);
      const results = await inParallel(app, 10, i => (i % 2 ? applyfriend(a, b, `a${i}`) : applyfriend(b, a, `b${i}`)));
      assertNo5xx(results);
      for (const side of [ 0, 1 ]) {
        const mine = results.filter((_, i) => i % 2 === side);
        assert.strictEqual(mine.filter(r => r.status === 200).length, 1, describeAll(results));
        for (const r of mine.filter(x => x.status !== 200)) assertFail(r, 400, MSG.applyDuplicate);
      }
      assert.strictEqual((await applies(a.id, b.id)).length, 1);
      assert.strictEqual((await applies(b.id, a.id)).length, 1);
      assert.strictEqual((await friendRows(a.id, b.id)).length, 0);
    });

    it('mutual applications A→B and B→A at once, then both agree at once: exactly 2 friend rows, both applications agreed', async () => {
      for (let round = 0; round < 3; round++) {
        const [ a, b ] = await users(2);
        const applied = await inParallel(app, 2, i => (i ? applyfriend(a, b) : applyfriend(b, a)));
        applied.forEach(r => assertOk(r));
        const [ ab ] = await applies(a.id, b.id);
        const [ ba ] = await applies(b.id, a.id);
        const results = await inParallel(app, 2, i => (i ? handleapply(b, ab.id, 'agree', 'B给A的备注') : handleapply(a, ba.id, 'agree', 'A给B的备注')));
        assertNo5xx(results);
        assert.ok(results.some(r => r.status === 200), describeAll(results));
        // Agreeing settles my own pending application to them too: the slower agree may find nothing pending.
        for (const r of results.filter(x => x.status !== 200)) assertFail(r, 400, MSG.applyNotPending);
        const rows = await friendRows(a.id, b.id);
        assert.strictEqual(rows.length, 2, JSON.stringify(rows));
        assert.deepStrictEqual(rows.map(r => `${r.user_id}>${r.friend_id}`).sort(), [ `${a.id}>${b.id}`, `${b.id}>${a.id}` ].sort());
        assert.deepStrictEqual([ ...await applies(a.id, b.id), ...await applies(b.id, a.id) ].map(r => r.status), [ 'agree', 'agree' ]);
        // And they are friends for every route.
        assertFail(await applyfriend(a, b), 400, MSG.applyAlreadyFriends);
        assertOk(await app.httpRequest().get(`/api/chat/getgoodfriendinfo/${b.id}`).set('token', a.token));
      }
    });

    it('agree, refuse and a re-application of the same pair at once: one answer wins, the state matches it', async () => {
      const outcomes = new Set<string>();
      for (let round = 0; round < 6; round++) {
        const [ applicant, target ] = await users(2);
        assertOk(await applyfriend(applicant, target, '第一次'));
        const [ pending ] = await applies(applicant.id, target.id);
        const order = round % 2 ? [ 'agree', 'refuse', 'apply' ] : [ 'refuse', 'apply', 'agree' ];
        const results = await inParallel(app, 3, i => (order[i] === 'apply'
          ? applyfriend(applicant, target, '再一次')
          : handleapply(target, pending.id, order[i])));
        assertNo5xx(results);
        const by = (what: string) => results[order.indexOf(what)];
        const handled = [ 'agree', 'refuse' ].filter(s => by(s).status === 200);
        assert.strictEqual(handled.length, 1, `exactly one of agree/refuse wins: ${describeAll(results)}`);
        const winner = handled[0];
        outcomes.add(winner);
        assertFail(by(winner === 'agree' ? 'refuse' : 'agree'), 400, MSG.applyNotPending);
        assert.strictEqual((await app.model.Goodfriendapply.findByPk(pending.id, { raw: true }))!.status, winner);
        const rows = await friendRows(applicant.id, target.id);
        const reapply = by('apply');
        const pendingNow = await applies(applicant.id, target.id, 'pending');
        if (winner === 'agree') {
          assert.strictEqual(rows.length, 2);
          // Before the agree it was a duplicate; after it, they were friends: never a new pending row.
          assert.ok(reapply.status === 400 && [ MSG.applyDuplicate, MSG.applyAlreadyFriends ].includes(reapply.body.data), describeAll(results));
          assert.strictEqual(pendingNow.length, 0);
        } else {
          assert.strictEqual(rows.length, 0);
          // Before the refusal a duplicate; after it, a new application is allowed.
          if (reapply.status === 200) assert.strictEqual(pendingNow.length, 1);
          else { assertFail(reapply, 400, MSG.applyDuplicate); assert.strictEqual(pendingNow.length, 0); }
        }
      }
      assert.ok(outcomes.size >= 1);
    });

    it('one target answering many applicants at once (agree for some, refuse for others): each pair ends consistent', async () => {
      const [ target, ...applicants ] = await users(7);
      for (const applicant of applicants) assertOk(await applyfriend(applicant, target));
      const ids = await Promise.all(applicants.map(async a => (await applies(a.id, target.id))[0].id));
      const results = await inParallel(app, applicants.length * 2, i => {
        const k = Math.floor(i / 2);
        return handleapply(target, ids[k], (i + k) % 2 ? 'agree' : 'refuse', `备注${k}`);
      });
      assertNo5xx(results);
      for (let k = 0; k < applicants.length; k++) {
        const pairResults = [ results[2 * k], results[2 * k + 1] ];
        assert.strictEqual(pairResults.filter(r => r.status === 200).length, 1, describeAll(pairResults));
        const status = (await app.model.Goodfriendapply.findByPk(ids[k], { raw: true }))!.status;
        assert.strictEqual((await friendRows(applicants[k].id, target.id)).length, status === 'agree' ? 2 : 0);
      }
    });
  });

  describe('friend settings', () => {
    it('a star storm of N toggles ends at N mod 2 (odd and even)', async () => {
      const [ me, friend ] = await users(2);
      await friends(me, friend);
      for (const n of [ 9, 12 ]) {
        const before = Number((await myRow(me, friend)).ismystarfriend);
        const results = await inParallel(app, n, () => post(app, `/api/chat/setstargoodfriend/${friend.id}`, me.token));
        for (const r of results) assert.strictEqual(assertOk(r), 'ok');
        assert.strictEqual(Number((await myRow(me, friend)).ismystarfriend), (before + n) % 2);
      }
      // Their row for me never moved.
      assert.strictEqual(Number((await myRow(friend, me)).ismystarfriend), 0);
    });

    it('blacklist and star storms at once: isblack = N mod 2, and ismystarfriend = (stars answered 200) mod 2', async () => {
      for (let round = 0; round < 3; round++) {
        const [ me, friend ] = await users(2);
        await friends(me, friend);
        const blacks = 7 + round;
        const stars = 10;
        const results = await inParallel(app, blacks + stars, i => (i % 2 && i < 2 * blacks
          ? post(app, `/api/chat/setblackgoodfriend/${friend.id}`, me.token)
          : post(app, `/api/chat/setstargoodfriend/${friend.id}`, me.token)));
        const isBlack = results.map((_, i) => i % 2 === 1 && i < 2 * blacks);
        assertNo5xx(results);
        results.forEach((r, i) => {
          if (isBlack[i]) assertOk(r);
          // A star toggle is refused while the blacklist is on, and is a toggle when answered 200.
          else if (r.status !== 200) assertFail(r, 400, MSG.friendMissingOrBlack);
        });
        const starred = results.filter((r, i) => !isBlack[i] && r.status === 200).length;
        const row = await myRow(me, friend);
        assert.strictEqual(Number(row.isblack), blacks % 2, `isblack after ${blacks} toggles`);
        assert.strictEqual(Number(row.ismystarfriend), starred % 2, `ismystarfriend after ${starred} star toggles answered 200 (${describeAll(results)})`);
      }
    });

    it('visibility settings racing toggles: the final pair is one that was sent, never a mix of two requests', async () => {
      const [ me, friend ] = await users(2);
      await friends(me, friend);
      const pairs = [[ 0, 1 ], [ 1, 0 ], [ 0, 0 ], [ 1, 1 ], [ 0, 1 ], [ 1, 0 ]];
      const results = await inParallel(app, pairs.length + 6, i => (i < pairs.length
        ? post(app, `/api/chat/setmeOrfriendCanSee/${friend.id}`, me.token).send({ friendlookme: pairs[i][0], melookfriend: pairs[i][1] })
        : post(app, `/api/chat/setstargoodfriend/${friend.id}`, me.token)));
      results.forEach(r => assertOk(r));
      const row = await myRow(me, friend);
      const final = [ Number(row.friendlookme), Number(row.melookfriend) ];
      assert.ok(pairs.some(p => p[0] === final[0] && p[1] === final[1]), `final ${final}`);
      assert.strictEqual(Number(row.ismystarfriend), 0, '6 star toggles');
    });
  });

  describe('after all of the above', () => {
    it('no orphan or duplicate rows anywhere', async () => {
      assert.strictEqual(await count(
        'SELECT COUNT(*) AS n FROM goodfriend g LEFT JOIN `user` a ON a.id = g.user_id LEFT JOIN `user` b ON b.id = g.friend_id WHERE a.id IS NULL OR b.id IS NULL'), 0,
      'every goodfriend row has both users');
      assert.strictEqual(await count('SELECT COUNT(*) AS n FROM (SELECT user_id, friend_id FROM goodfriend GROUP BY user_id, friend_id HAVING COUNT(*) > 1) d'), 0,
        'one goodfriend row per direction');
      assert.strictEqual(await count(
        'SELECT COUNT(*) AS n FROM goodfriend g LEFT JOIN goodfriend r ON r.user_id = g.friend_id AND r.friend_id = g.user_id WHERE r.id IS NULL'), 0,
      'every friendship made here has both directions');
      assert.strictEqual(await count('SELECT COUNT(*) AS n FROM `user` u LEFT JOIN user_info i ON i.user_id = u.id WHERE i.id IS NULL'), 0, 'every user has a user_info');
      assert.strictEqual(await count('SELECT COUNT(*) AS n FROM (SELECT user_id FROM user_info GROUP BY user_id HAVING COUNT(*) > 1) d'), 0, 'at most one user_info per user');
      assert.strictEqual(await count('SELECT COUNT(*) AS n FROM user_info i LEFT JOIN `user` u ON u.id = i.user_id WHERE u.id IS NULL'), 0, 'no user_info without its user');
      assert.strictEqual(await count(
        'SELECT COUNT(*) AS n FROM goodfriendapply a LEFT JOIN `user` x ON x.id = a.user_id LEFT JOIN `user` y ON y.id = a.friend_id WHERE x.id IS NULL OR y.id IS NULL'), 0,
      'every application has both users');
      assert.strictEqual(await count(
        'SELECT COUNT(*) AS n FROM (SELECT user_id, friend_id FROM goodfriendapply WHERE status = \'pending\' GROUP BY user_id, friend_id HAVING COUNT(*) > 1) d'), 0,
      'at most one pending application per pair and direction');
      assert.strictEqual(await count(
        'SELECT COUNT(*) AS n FROM goodfriendapply a JOIN goodfriend g ON g.user_id = a.user_id AND g.friend_id = a.friend_id WHERE a.status = \'pending\''), 0,
      'no pending application between friends');
      // The kept counts (issue 16) after every race above: each user's equals their pending applications.
      assert.strictEqual(await count(
        'SELECT COUNT(*) AS n FROM `user` u LEFT JOIN goodfriendapply_pending p ON p.user_id = u.id ' +
        'WHERE COALESCE(p.n, 0) <> (SELECT COUNT(*) FROM goodfriendapply a WHERE a.friend_id = u.id AND a.status = \'pending\')'), 0,
      'goodfriendapply_pending matches the pending applications of every user');
    });
  });
});
