import * as assert from 'node:assert';
import { randomUUID } from 'node:crypto';
import { app, mock } from 'egg-mock/bootstrap';
import { resetDatabase } from '../../../helpers/db';
import { assertFail, assertOk, get, post, registerUser, TestUser } from '../../../helpers/api';
import { inParallel } from '../../../helpers/parallel';
import { MSG } from '../../../../app/lib/messages';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { recountPendingApplications } = require('../../../../database/lib/applyCounter');

const APPLY_KEYS = [
  'create_time', 'friend_id', 'friendlookme', 'id', 'isblack', 'ismystarfriend', 'melookfriend', 'nickname', 'order',
  'status', 'update_time', 'user', 'userId', 'user_id',
];
const APPLICANT_KEYS = [ 'avatar', 'id', 'nickname', 'username', 'uuid' ];

function applyfriend(token: string | undefined, body: unknown) {
  return post(app, '/api/chat/applyfriend', token).send(body as object);
}

function handleapply(token: string | undefined, id: number | string, body: unknown) {
  return post(app, `/api/chat/handleapply/${id}`, token).send(body as object);
}

function listapplyfriend(token: string | undefined, suffix = '') {
  return get(app, `/api/chat/listapplyfriend${suffix}`, token);
}

/** Applications between two users, oldest first. */
function appliesBetween(from: number, to: number) {
  return app.model.Goodfriendapply.findAll({ where: { user_id: from, friend_id: to }, order: [[ 'id', 'ASC' ]], raw: true });
}

function friendRow(owner: number, friend: number) {
  return app.model.Goodfriend.findOne({ where: { user_id: owner, friend_id: friend }, raw: true });
}

async function friendRowsOfPair(x: number, y: number): Promise<number> {
  const { Op } = app.Sequelize;
  return app.model.Goodfriend.count({
    where: { [Op.or]: [{ user_id: x, friend_id: y }, { user_id: y, friend_id: x }] },
  });
}

/** Users straight into the table: applicants that never need a token. */
async function insertUsers(count: number, prefix: string): Promise<number[]> {
  const rows = Array.from({ length: count }, (_, i) => ({ uuid: randomUUID(), username: `${prefix}${i}`, password: 'x', nickname: `${prefix}昵称${i}` }));
  await app.model.User.bulkCreate(rows as any);
  const users = await app.model.User.findAll({ where: { username: rows.map(r => r.username) }, attributes: [ 'id' ], order: [[ 'id', 'ASC' ]], raw: true });
  return users.map(u => u.id);
}

async function pair(): Promise<[TestUser, TestUser]> {
  const [ first, second ] = await inParallel(app, 2, () => registerUser(app));
  return [ first, second ];
}

describe('test/app/controller/chat/apply.test.ts', () => {
  before(() => resetDatabase(app));

  describe('POST /api/chat/applyfriend', () => {
    it('creates one pending application carrying my note', async () => {
      const [ me, target ] = await pair();
      assert.strictEqual(assertOk(await applyfriend(me.token, { friend_id: target.id, nickname: '我是你同学' })), 'ok');
      const rows = await appliesBetween(me.id, target.id);
      assert.strictEqual(rows.length, 1);
      const row: any = rows[0];
      assert.strictEqual(row.status, 'pending');
      assert.strictEqual(row.nickname, '我是你同学');
      assert.deepStrictEqual(
        [ row.friendlookme, row.melookfriend, row.ismystarfriend, row.isblack ].map(Number),
        [ 1, 1, 0, 0 ]);
      assert.strictEqual(await app.model.Goodfriendapply.count({ where: { user_id: target.id } }), 0);
      assert.strictEqual(await friendRowsOfPair(me.id, target.id), 0, 'applying makes nobody a friend yet');
    });

    it('accepts a form body, a numeric-string friend_id and no note (note defaults to empty)', async () => {
      const [ me, target ] = await pair();
      const res = await post(app, '/api/chat/applyfriend', me.token).type('form').send({ friend_id: String(target.id) });
      assert.strictEqual(assertOk(res), 'ok');
      const [ row ] = await appliesBetween(me.id, target.id);
      assert.strictEqual(row.nickname, '');
      assert.strictEqual(row.status, 'pending');
    });

    describe('refusals, each in the contract\'s order', () => {
      let me: TestUser;
      let target: TestUser;
      beforeEach(async () => {
        [ me, target ] = await pair();
      });

      async function refused(friendId: number, message: string) {
        const before = await app.model.Goodfriendapply.count({ where: { user_id: me.id } });
        assertFail(await applyfriend(me.token, { friend_id: friendId, nickname: 'x' }), 400, message);
        assert.strictEqual(await app.model.Goodfriendapply.count({ where: { user_id: me.id } }), before, 'nothing created');
      }

      it('myself → 不能添加自己为好友', async () => {
        await refused(me.id, '不能添加自己为好友');
      });

      it('a missing target → 添加的好友不存在', async () => {
        await refused(2147483000, '添加的好友不存在');
      });

      it('a disabled or deleted target → 添加的好友不存在', async () => {
        await app.model.User.update({ status: 0 }, { where: { id: target.id } });
        await refused(target.id, '添加的好友不存在');
        await app.model.User.update({ status: 1, is_deleted: 1 }, { where: { id: target.id } });
        await refused(target.id, '添加的好友不存在');
      });

      it('already friends → 你们已经是好友了', async () => {
        await app.model.Goodfriend.create({ user_id: me.id, friend_id: target.id });
        await refused(target.id, '你们已经是好友了');
      });

      it('the target has blacklisted me → 对方拒绝添加你为好友', async () => {
        await app.model.Goodfriend.create({ user_id: target.id, friend_id: me.id, isblack: 1 });
        await refused(target.id, '对方拒绝添加你为好友');
      });

      it('their row for me without blacklist does not refuse', async () => {
        await app.model.Goodfriend.create({ user_id: target.id, friend_id: me.id, isblack: 0 });
        assertOk(await applyfriend(me.token, { friend_id: target.id }));
      });

      it('a pending application of mine → 您已经申请过了，请勿重复申请', async () => {
        assertOk(await applyfriend(me.token, { friend_id: target.id }));
        await refused(target.id, '您已经申请过了，请勿重复申请');
        assert.strictEqual((await appliesBetween(me.id, target.id)).length, 1);
      });

      it('their pending application to me does not count as mine', async () => {
        assertOk(await applyfriend(target.token, { friend_id: me.id }));
        assertOk(await applyfriend(me.token, { friend_id: target.id }));
      });

      it('a disabled target that is also my friend → 添加的好友不存在 (existence first)', async () => {
        await app.model.Goodfriend.create({ user_id: me.id, friend_id: target.id });
        await app.model.User.update({ status: 0 }, { where: { id: target.id } });
        await refused(target.id, '添加的好友不存在');
      });

      it('already friends and blacklisted by them → 你们已经是好友了 (friendship before blacklist)', async () => {
        await app.model.Goodfriend.create({ user_id: me.id, friend_id: target.id });
        await app.model.Goodfriend.create({ user_id: target.id, friend_id: me.id, isblack: 1 });
        await refused(target.id, '你们已经是好友了');
      });

      it('blacklisted with a pending application → 对方拒绝添加你为好友 (blacklist before duplicate)', async () => {
        assertOk(await applyfriend(me.token, { friend_id: target.id }));
        await app.model.Goodfriend.create({ user_id: target.id, friend_id: me.id, isblack: 1 });
        await refused(target.id, '对方拒绝添加你为好友');
      });
    });

    it('may apply again after a refusal and after an ignore', async () => {
      const [ me, target ] = await pair();
      assertOk(await applyfriend(me.token, { friend_id: target.id, nickname: '第一次' }));
      let [ first ] = await appliesBetween(me.id, target.id);
      assertOk(await handleapply(target.token, first.id, { status: 'refuse' }));

      assertOk(await applyfriend(me.token, { friend_id: target.id, nickname: '第二次' }));
      let rows = await appliesBetween(me.id, target.id);
      assert.deepStrictEqual(rows.map(r => [ r.status, r.nickname ]), [[ 'refuse', '第一次' ], [ 'pending', '第二次' ]]);
      first = rows[1];
      assertOk(await handleapply(target.token, first.id, { status: 'ignore' }));

      assertOk(await applyfriend(me.token, { friend_id: target.id, nickname: '第三次' }));
      rows = await appliesBetween(me.id, target.id);
      assert.deepStrictEqual(rows.map(r => r.status), [ 'refuse', 'ignore', 'pending' ]);
      assertFail(await applyfriend(me.token, { friend_id: target.id }), 400, MSG.applyDuplicate);
    });

    it('8 identical concurrent applications create exactly one pending row', async () => {
      const [ me, target ] = await pair();
      const results = await inParallel(app, 8, () => applyfriend(me.token, { friend_id: target.id, nickname: '同时' }));
      const ok = results.filter(r => r.status === 200);
      assert.strictEqual(ok.length, 1, JSON.stringify(results.map(r => [ r.status, r.body ])));
      for (const res of results.filter(r => r.status !== 200)) assertFail(res, 400, MSG.applyDuplicate);
      const rows = await appliesBetween(me.id, target.id);
      assert.strictEqual(rows.length, 1);
      assert.strictEqual(rows[0].status, 'pending');
    });

    it('mutual applications sent at the same moment both succeed', async () => {
      const [ a, b ] = await pair();
      const [ ab, ba ] = await inParallel(app, 2, i => (i === 0
        ? applyfriend(a.token, { friend_id: b.id })
        : applyfriend(b.token, { friend_id: a.id })));
      assert.strictEqual(assertOk(ab), 'ok');
      assert.strictEqual(assertOk(ba), 'ok');
      assert.strictEqual((await appliesBetween(a.id, b.id)).length, 1);
      assert.strictEqual((await appliesBetween(b.id, a.id)).length, 1);
    });

    it('answers 401 without a token', async () => {
      assertFail(await applyfriend(undefined, { friend_id: 1 }), 401, MSG.authMissing);
    });

    describe('validation', () => {
      let me: TestUser;
      let target: TestUser;
      before(async () => {
        [ me, target ] = await pair();
      });

      const invalid: Array<[string, (id: number) => Record<string, unknown>, string]> = [
        [ 'a missing friend_id', () => ({ nickname: 'x' }), '我申请添加的好友id不能为空' ],
        [ 'friend_id abc', () => ({ friend_id: 'abc' }), '我申请添加的好友id 必须是整数' ],
        [ 'friend_id 1.5', () => ({ friend_id: '1.5' }), '我申请添加的好友id 必须是整数' ],
        [ 'friend_id 0', () => ({ friend_id: 0 }), '我申请添加的好友id 必须大于或等于 1' ],
        [ 'friend_id -1', () => ({ friend_id: -1 }), '我申请添加的好友id 必须大于或等于 1' ],
        [ 'friend_id as an array', id => ({ friend_id: [ id ] }), '我申请添加的好友id 必须是整数' ],
        [ 'a 51-character nickname', id => ({ friend_id: id, nickname: '昵'.repeat(51) }), '我的昵称或者说明 的长度 不能超过 50' ],
        [ 'a nickname array', id => ({ friend_id: id, nickname: [ 'a' ] }), '我的昵称或者说明 必须是字符串' ],
      ];
      invalid.forEach(([ name, body, message ]) => {
        it(`answers 422 for ${name} and creates nothing`, async () => {
          assertFail(await applyfriend(me.token, body(target.id)), 422, message);
          assert.strictEqual(await app.model.Goodfriendapply.count({ where: { user_id: me.id } }), 0);
        });
      });

      it('accepts a 50-character nickname', async () => {
        assertOk(await applyfriend(me.token, { friend_id: target.id, nickname: '昵'.repeat(50) }));
        const [ row ] = await appliesBetween(me.id, target.id);
        assert.strictEqual(row.nickname, '昵'.repeat(50));
      });
    });
  });

  describe('GET /api/chat/listapplyfriend/:page?limit=', () => {
    let me: TestUser;
    let applicant: TestUser;
    let applicantIds: number[];

    before(async () => {
      [ me, applicant ] = await pair();
      // Through the API: one application to me, one of mine to someone else (must not be listed).
      assertOk(await applyfriend(applicant.token, { friend_id: me.id, nickname: '你好' }));
      assertOk(await applyfriend(me.token, { friend_id: applicant.id, nickname: '我发出的' }));
      // Twelve more straight into the tables, with every status (7 pending with the one above).
      applicantIds = await insertUsers(12, 'lst');
      const statuses = [ 'pending', 'refuse', 'agree', 'ignore', 'pending', 'pending', 'refuse', 'pending', 'pending', 'agree', 'pending', 'ignore' ];
      for (let i = 0; i < applicantIds.length; i++) {
        await app.model.Goodfriendapply.create({ user_id: applicantIds[i], friend_id: me.id, nickname: `n${i}`, status: statuses[i] as any });
      }
      // Applications between other people are not mine to see.
      await app.model.Goodfriendapply.create({ user_id: applicantIds[0], friend_id: applicant.id, nickname: 'other' });
      // Rows written past the service: the kept pending counts follow as a seeder's would.
      await recountPendingApplications(app.model, [ me.id, applicant.id ]);
    });

    async function allToMe() {
      return app.model.Goodfriendapply.findAll({ where: { friend_id: me.id }, order: [[ 'id', 'DESC' ]], raw: true });
    }

    it('answers applications sent TO me, every status, newest first, 10 by default', async () => {
      const data = assertOk(await listapplyfriend(me.token, '/1'));
      assert.deepStrictEqual(Object.keys(data).sort(), [ 'alldata', 'pendingCount' ]);
      const expected = await allToMe();
      assert.strictEqual(expected.length, 13);
      assert.strictEqual(data.alldata.length, 10);
      assert.deepStrictEqual(data.alldata.map((item: any) => item.id), expected.slice(0, 10).map(row => row.id));
      for (const item of data.alldata) assert.strictEqual(item.friend_id, me.id);
      assert.ok(!data.alldata.some((item: any) => item.user_id === me.id), 'my own application is not listed');
      assert.strictEqual(data.pendingCount, 7);
      const seen = new Set(data.alldata.map((item: any) => item.status));
      assert.deepStrictEqual([ ...seen ].sort(), [ 'agree', 'ignore', 'pending', 'refuse' ]);
    });

    it('each item is the apply row plus userId and the applicant {id,username,avatar,nickname,uuid}', async () => {
      const data = assertOk(await listapplyfriend(me.token, '/1?limit=20'));
      assert.strictEqual(data.alldata.length, 13);
      const oldest = data.alldata[data.alldata.length - 1];
      assert.deepStrictEqual(Object.keys(oldest).sort(), APPLY_KEYS);
      assert.deepStrictEqual(Object.keys(oldest.user).sort(), APPLICANT_KEYS);
      assert.strictEqual(oldest.user_id, applicant.id);
      assert.strictEqual(oldest.userId, applicant.id);
      assert.strictEqual(oldest.nickname, '你好');
      assert.strictEqual(oldest.status, 'pending');
      assert.deepStrictEqual(oldest.user, {
        id: applicant.id,
        username: applicant.username,
        avatar: 'https://thinkphp-all.oss-cn-hangzhou.aliyuncs.com/public/67b3001b2aedd.png',
        nickname: '',
        uuid: applicant.uuid,
      });
      assert.match(oldest.create_time, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      assert.match(oldest.update_time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.strictEqual(typeof oldest.id, 'number');
      for (const item of data.alldata) {
        assert.deepStrictEqual(Object.keys(item).sort(), APPLY_KEYS);
        assert.strictEqual(item.userId, item.user_id);
        assert.strictEqual(item.user.id, item.user_id);
        assert.match(item.create_time, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      }
      const newest = data.alldata[0];
      assert.strictEqual(newest.user_id, applicantIds[11]);
      assert.strictEqual(newest.user.nickname, 'lst昵称11');
      assert.strictEqual(newest.status, 'ignore');
    });

    it('create_time is the row\'s instant in +08:00', async () => {
      const data = assertOk(await listapplyfriend(me.token, '/1?limit=1'));
      const row = await app.model.Goodfriendapply.findByPk(data.alldata[0].id);
      const stored = new Date(row!.getDataValue('create_time') as any);
      const shifted = new Date(stored.getTime() + 8 * 3600_000).toISOString().slice(0, 19)
        .replace('T', ' ');
      assert.strictEqual(data.alldata[0].create_time, shifted);
    });

    it('pages: page 2 continues page 1; pendingCount covers every page', async () => {
      const expected = (await allToMe()).map(row => row.id);
      const page1 = assertOk(await listapplyfriend(me.token, '/1?limit=5'));
      const page2 = assertOk(await listapplyfriend(me.token, '/2?limit=5'));
      const page3 = assertOk(await listapplyfriend(me.token, '/3?limit=5'));
      const page4 = assertOk(await listapplyfriend(me.token, '/4?limit=5'));
      assert.deepStrictEqual(page1.alldata.map((i: any) => i.id), expected.slice(0, 5));
      assert.deepStrictEqual(page2.alldata.map((i: any) => i.id), expected.slice(5, 10));
      assert.deepStrictEqual(page3.alldata.map((i: any) => i.id), expected.slice(10, 13));
      assert.deepStrictEqual(page4.alldata, []);
      for (const page of [ page1, page2, page3, page4 ]) assert.strictEqual(page.pendingCount, 7);
      const single = assertOk(await listapplyfriend(me.token, '/2?limit=1'));
      assert.deepStrictEqual(single.alldata.map((i: any) => i.id), [ expected[1] ]);
    });

    it('the route without :page answers page 1 (with and without limit)', async () => {
      const expected = (await allToMe()).map(row => row.id);
      const plain = assertOk(await listapplyfriend(me.token));
      assert.deepStrictEqual(plain.alldata.map((i: any) => i.id), expected.slice(0, 10));
      const limited = assertOk(await listapplyfriend(me.token, '?limit=3'));
      assert.deepStrictEqual(limited.alldata.map((i: any) => i.id), expected.slice(0, 3));
      assert.strictEqual(limited.pendingCount, 7);
    });

    it('someone with no applications gets an empty list and pendingCount 0', async () => {
      const lonely = await registerUser(app);
      assert.deepStrictEqual(assertOk(await listapplyfriend(lonely.token, '/1')), { alldata: [], pendingCount: 0 });
    });

    it('clamps a limit above the cap (100) and keeps the default at 10', async () => {
      const popular = await registerUser(app);
      assert.strictEqual(app.config.chat.pageSize.applyMax, 100);
      const ids = await insertUsers(105, 'cap');
      await app.model.Goodfriendapply.bulkCreate(ids.map(id => ({ user_id: id, friend_id: popular.id })) as any);
      await recountPendingApplications(app.model, [ popular.id ]);
      const capped = assertOk(await listapplyfriend(popular.token, '/1?limit=1000'));
      assert.strictEqual(capped.alldata.length, 100);
      assert.strictEqual(capped.pendingCount, 105);
      assert.strictEqual(capped.alldata[0].user_id, ids[104]);
      const next = assertOk(await listapplyfriend(popular.token, '/2?limit=1000'));
      assert.deepStrictEqual(next.alldata.map((i: any) => i.user_id), ids.slice(0, 5).reverse());
      assert.strictEqual(assertOk(await listapplyfriend(popular.token, '/1?limit=100')).alldata.length, 100);
      assert.strictEqual(assertOk(await listapplyfriend(popular.token, '/1')).alldata.length, 10);
      assert.strictEqual(assertOk(await listapplyfriend(popular.token, '/1?limit=99')).alldata.length, 99);
    });

    it('answers 401 without a token', async () => {
      assertFail(await listapplyfriend(undefined, '/1'), 401, MSG.authMissing);
      assertFail(await listapplyfriend(undefined), 401, MSG.authMissing);
    });

    const invalid: Array<[string, string]> = [
      [ '/abc', '页码 必须是整数' ],
      [ '/0', '页码 必须大于或等于 1' ],
      [ '/-1', '页码 必须大于或等于 1' ],
      [ '/1?limit=0', '每页条数 必须大于或等于 1' ],
      [ '/1?limit=abc', '每页条数 必须是整数' ],
      [ '?limit=-5', '每页条数 必须大于或等于 1' ],
    ];
    invalid.forEach(([ suffix, message ]) => {
      it(`answers 422 for ${suffix}`, async () => {
        assertFail(await listapplyfriend(me.token, suffix), 422, message);
      });
    });
  });

  describe('POST /api/chat/handleapply/:id', () => {
    /** `applicant` applies to `target` through the API; answers the application's id. */
    async function applied(applicant: TestUser, target: TestUser, nickname = ''): Promise<number> {
      assertOk(await applyfriend(applicant.token, { friend_id: target.id, nickname }));
      const rows = await appliesBetween(applicant.id, target.id);
      return rows[rows.length - 1].id;
    }

    it('agree marks the application and creates both directions', async () => {
      const [ applicant, me ] = await pair();
      await app.model.User.update({ nickname: '我的资料昵称' }, { where: { id: me.id } });
      const id = await applied(applicant, me, '我是申请人');
      assert.strictEqual(assertOk(await handleapply(me.token, id, { status: 'agree', nickname: '我给他的备注' })), 'ok');

      const apply = await app.model.Goodfriendapply.findByPk(id, { raw: true });
      assert.strictEqual(apply!.status, 'agree');
      const mine: any = await friendRow(me.id, applicant.id);
      const theirs: any = await friendRow(applicant.id, me.id);
      assert.ok(mine && theirs);
      assert.strictEqual(mine.nickname, '我给他的备注');
      assert.strictEqual(theirs.nickname, '我的资料昵称');
      for (const row of [ mine, theirs ]) {
        assert.deepStrictEqual(
          [ row.friendlookme, row.melookfriend, row.ismystarfriend, row.isblack, row.status ].map(Number),
          [ 1, 1, 0, 0, 1 ]);
      }
      assert.strictEqual(await friendRowsOfPair(me.id, applicant.id), 2);
      // Now friends both ways: neither may apply again.
      assertFail(await applyfriend(applicant.token, { friend_id: me.id }), 400, MSG.applyAlreadyFriends);
      assertFail(await applyfriend(me.token, { friend_id: applicant.id }), 400, MSG.applyAlreadyFriends);
    });

    it('agree without a remark and without a profile nickname leaves both remarks empty', async () => {
      const [ applicant, me ] = await pair();
      const id = await applied(applicant, me);
      assertOk(await post(app, `/api/chat/handleapply/${id}`, me.token).type('form').send({ status: 'agree' }));
      assert.strictEqual((await friendRow(me.id, applicant.id))!.nickname, '');
      assert.strictEqual((await friendRow(applicant.id, me.id))!.nickname, '');
    });

    it('agree also settles my own pending application to the applicant', async () => {
      const [ applicant, me ] = await pair();
      const id = await applied(applicant, me);
      await applied(me, applicant);
      assertOk(await handleapply(me.token, id, { status: 'agree' }));
      const [ mineToThem ] = await appliesBetween(me.id, applicant.id);
      assert.strictEqual(mineToThem.status, 'agree');
      assert.strictEqual(assertOk(await listapplyfriend(applicant.token, '/1')).pendingCount, 0);
    });

    for (const status of [ 'refuse', 'ignore' ] as const) {
      it(`${status} marks the application, creates no friendship, and a later re-apply works`, async () => {
        const [ applicant, me ] = await pair();
        const id = await applied(applicant, me);
        assert.strictEqual(assertOk(await handleapply(me.token, id, { status, nickname: '备注' })), 'ok');
        assert.strictEqual((await app.model.Goodfriendapply.findByPk(id, { raw: true }))!.status, status);
        assert.strictEqual(await friendRowsOfPair(me.id, applicant.id), 0);
        assertFail(await handleapply(me.token, id, { status: 'agree' }), 400, MSG.applyNotPending);
        assert.strictEqual(await friendRowsOfPair(me.id, applicant.id), 0);

        const again = await applied(applicant, me);
        assert.notStrictEqual(again, id);
        assertOk(await handleapply(me.token, again, { status: 'agree' }));
        assert.strictEqual(await friendRowsOfPair(me.id, applicant.id), 2);
      });
    }

    it('status pending leaves the application pending and creates nothing', async () => {
      const [ applicant, me ] = await pair();
      const id = await applied(applicant, me);
      assertOk(await handleapply(me.token, id, { status: 'pending' }));
      assert.strictEqual((await app.model.Goodfriendapply.findByPk(id, { raw: true }))!.status, 'pending');
      assert.strictEqual(await friendRowsOfPair(me.id, applicant.id), 0);
    });

    it('refuses an application that was not sent to me, and changes nothing', async () => {
      const [ applicant, target ] = await pair();
      const intruder = await registerUser(app);
      const id = await applied(applicant, target);
      for (const status of [ 'agree', 'refuse', 'ignore', 'pending' ]) {
        assertFail(await handleapply(intruder.token, id, { status }), 400, '申请不存在或已处理');
        // Nor may the applicant handle their own application.
        assertFail(await handleapply(applicant.token, id, { status }), 400, '申请不存在或已处理');
      }
      assert.strictEqual((await app.model.Goodfriendapply.findByPk(id, { raw: true }))!.status, 'pending');
      assert.strictEqual(await app.model.Goodfriend.count({ where: { user_id: [ applicant.id, target.id, intruder.id ] } }), 0);
      assert.strictEqual(await app.model.Goodfriend.count({ where: { friend_id: [ applicant.id, target.id, intruder.id ] } }), 0);
    });

    it('refuses an unknown application id', async () => {
      const me = await registerUser(app);
      assertFail(await handleapply(me.token, 2147483000, { status: 'agree' }), 400, MSG.applyNotPending);
    });

    it('refuses an application already handled, whatever the new status', async () => {
      const [ applicant, me ] = await pair();
      const id = await applied(applicant, me);
      assertOk(await handleapply(me.token, id, { status: 'agree', nickname: '第一次' }));
      for (const status of [ 'agree', 'refuse', 'ignore', 'pending' ]) {
        assertFail(await handleapply(me.token, id, { status, nickname: '第二次' }), 400, MSG.applyNotPending);
      }
      assert.strictEqual((await app.model.Goodfriendapply.findByPk(id, { raw: true }))!.status, 'agree');
      assert.strictEqual((await friendRow(me.id, applicant.id))!.nickname, '第一次');
      assert.strictEqual(await friendRowsOfPair(me.id, applicant.id), 2);
    });

    it('10 concurrent agrees: exactly one succeeds and exactly two friend rows exist', async () => {
      const [ applicant, me ] = await pair();
      const id = await applied(applicant, me);
      const results = await inParallel(app, 10, i => handleapply(me.token, id, { status: 'agree', nickname: `r${i}` }));
      const ok = results.filter(r => r.status === 200);
      assert.strictEqual(ok.length, 1, JSON.stringify(results.map(r => [ r.status, r.body ])));
      for (const res of results.filter(r => r.status !== 200)) assertFail(res, 400, MSG.applyNotPending);
      assert.strictEqual(await friendRowsOfPair(me.id, applicant.id), 2);
      assert.strictEqual(await app.model.Goodfriend.count({ where: { user_id: me.id, friend_id: applicant.id } }), 1);
      assert.strictEqual(await app.model.Goodfriend.count({ where: { user_id: applicant.id, friend_id: me.id } }), 1);
    });

    it('concurrent different answers to one application: one wins, the state matches the winner', async () => {
      const [ applicant, me ] = await pair();
      const id = await applied(applicant, me);
      const statuses = [ 'agree', 'refuse', 'ignore', 'agree', 'refuse', 'ignore' ];
      const results = await inParallel(app, statuses.length, i => handleapply(me.token, id, { status: statuses[i] }));
      const winners = statuses.filter((_, i) => results[i].status === 200);
      assert.strictEqual(winners.length, 1, JSON.stringify(results.map(r => [ r.status, r.body ])));
      for (const res of results.filter(r => r.status !== 200)) assertFail(res, 400, MSG.applyNotPending);
      assert.strictEqual((await app.model.Goodfriendapply.findByPk(id, { raw: true }))!.status, winners[0]);
      assert.strictEqual(await friendRowsOfPair(me.id, applicant.id), winners[0] === 'agree' ? 2 : 0);
    });

    it('agree keeps a direction that already exists (mine) and creates the missing one', async () => {
      const [ applicant, me ] = await pair();
      // I still have them in my contacts (starred, with an old remark); they removed me and apply again.
      await app.model.Goodfriend.create({ user_id: me.id, friend_id: applicant.id, nickname: '旧备注', ismystarfriend: 1, friendlookme: 0 });
      const id = await applied(applicant, me);
      assertOk(await handleapply(me.token, id, { status: 'agree', nickname: '新备注' }));
      const mine: any = await friendRow(me.id, applicant.id);
      assert.strictEqual(mine.nickname, '旧备注');
      assert.strictEqual(Number(mine.ismystarfriend), 1);
      assert.strictEqual(Number(mine.friendlookme), 0);
      assert.ok(await friendRow(applicant.id, me.id));
      assert.strictEqual(await friendRowsOfPair(me.id, applicant.id), 2);
    });

    it('agree keeps a direction that already exists (theirs) and creates mine', async () => {
      const [ applicant, me ] = await pair();
      await app.model.User.update({ nickname: '新资料昵称' }, { where: { id: me.id } });
      await app.model.Goodfriend.create({ user_id: applicant.id, friend_id: me.id, nickname: '他们的旧备注' });
      // Their row for me exists, so the API refuses a new application: insert it directly.
      const apply = await app.model.Goodfriendapply.create({ user_id: applicant.id, friend_id: me.id });
      assertOk(await handleapply(me.token, apply.id, { status: 'agree', nickname: '我的备注' }));
      assert.strictEqual((await friendRow(applicant.id, me.id))!.nickname, '他们的旧备注');
      assert.strictEqual((await friendRow(me.id, applicant.id))!.nickname, '我的备注');
      assert.strictEqual(await friendRowsOfPair(me.id, applicant.id), 2);
    });

    it('answers 401 without a token, and changes nothing', async () => {
      const [ applicant, me ] = await pair();
      const id = await applied(applicant, me);
      assertFail(await handleapply(undefined, id, { status: 'agree' }), 401, MSG.authMissing);
      assert.strictEqual((await app.model.Goodfriendapply.findByPk(id, { raw: true }))!.status, 'pending');
    });

    describe('validation', () => {
      let applicant: TestUser;
      let me: TestUser;
      let id: number;
      before(async () => {
        [ applicant, me ] = await pair();
        id = await applied(applicant, me);
      });

      const invalid: Array<[string, (id: number) => [string | number, Record<string, unknown>], string]> = [
        [ 'status yes', i => [ i, { status: 'yes' }], '处理状态 的值 `yes` 必须在 [`pending`、`refuse`、`agree`、`ignore`] 中' ],
        [ 'status AGREE', i => [ i, { status: 'AGREE' }], '处理状态 的值 `AGREE` 必须在 [`pending`、`refuse`、`agree`、`ignore`] 中' ],
        [ 'a missing status', i => [ i, { nickname: 'x' }], '处理状态不能为空' ],
        [ 'id abc', () => [ 'abc', { status: 'agree' }], '申请表的id 必须是整数' ],
        [ 'id 0', () => [ 0, { status: 'agree' }], '申请表的id 必须大于或等于 1' ],
        [ 'a 51-character nickname', i => [ i, { status: 'agree', nickname: '备'.repeat(51) }], '好友备注 的长度 不能超过 50' ],
      ];
      invalid.forEach(([ name, build, message ]) => {
        it(`answers 422 for ${name} and changes nothing`, async () => {
          const [ pathId, body ] = build(id);
          assertFail(await handleapply(me.token, pathId, body), 422, message);
          assert.strictEqual((await app.model.Goodfriendapply.findByPk(id, { raw: true }))!.status, 'pending');
          assert.strictEqual(await friendRowsOfPair(me.id, applicant.id), 0);
        });
      });

      it('the id comes from the path, never from the body', async () => {
        const other = await registerUser(app);
        const otherId = await applied(other, me);
        assertFail(await handleapply(me.token, 'abc', { status: 'agree', id: otherId }), 422, '申请表的id 必须是整数');
        assert.strictEqual((await app.model.Goodfriendapply.findByPk(otherId, { raw: true }))!.status, 'pending');
      });
    });
  });

  describe('pendingCount is kept, not counted (goodfriendapply_pending, issue 16)', () => {
    /** The pending applications sent to `userId`, counted from the rows themselves. */
    async function counted(userId: number): Promise<number> {
      const [ row ] = await app.model.query("SELECT COUNT(*) AS n FROM goodfriendapply WHERE friend_id = ? AND status = 'pending'", { replacements: [ userId ], type: 'SELECT' } as any) as any[];
      return Number(row.n);
    }
    async function kept(userId: number): Promise<number | null> {
      const [ row ] = await app.model.query('SELECT n FROM goodfriendapply_pending WHERE user_id = ?', { replacements: [ userId ], type: 'SELECT' } as any) as any[];
      return row ? Number(row.n) : null;
    }
    /** listapplyfriend's pendingCount for each user, checked against the rows; answers the counts. */
    async function pendingCounts(...users: TestUser[]): Promise<number[]> {
      const counts: number[] = [];
      for (const user of users) {
        const listed = assertOk(await listapplyfriend(user.token, '/1')).pendingCount;
        assert.strictEqual(listed, await counted(user.id), `user ${user.id}: listed ${listed}`);
        counts.push(listed);
      }
      return counts;
    }
    async function idOf(from: TestUser, to: TestUser): Promise<number> {
      const rows = await appliesBetween(from.id, to.id);
      return rows[rows.length - 1].id;
    }

    it('follows applyfriend, handleapply (pending, refuse, ignore, agree settling my own) and their refusals', async () => {
      const [ me, a ] = await pair();
      const [ b, c ] = await pair();
      for (const applicant of [ a, b, c ]) assertOk(await applyfriend(applicant.token, { friend_id: me.id, nickname: 'hi' }));
      assertOk(await applyfriend(me.token, { friend_id: a.id }));
      assert.strictEqual(await kept(me.id), 3, 'the row is written by applyfriend');
      assert.deepStrictEqual(await pendingCounts(me, a, b), [ 3, 1, 0 ]);
      // Refused: a duplicate, and a handle of what is not pending to me: no count moves.
      assertFail(await applyfriend(b.token, { friend_id: me.id }), 400, MSG.applyDuplicate);
      assertFail(await handleapply(a.token, await idOf(b, me), { status: 'refuse' }), 400, MSG.applyNotPending);
      assertOk(await handleapply(me.token, await idOf(a, me), { status: 'pending' }));
      assert.deepStrictEqual(await pendingCounts(me, a), [ 3, 1 ]);
      assertOk(await handleapply(me.token, await idOf(b, me), { status: 'refuse' }));
      assert.deepStrictEqual(await pendingCounts(me), [ 2 ]);
      assertFail(await handleapply(me.token, await idOf(b, me), { status: 'agree' }), 400, MSG.applyNotPending);
      assertOk(await handleapply(me.token, await idOf(c, me), { status: 'ignore' }));
      assert.deepStrictEqual(await pendingCounts(me), [ 1 ]);
      // Agreeing to a's also settles mine to a: both counts drop.
      assertOk(await handleapply(me.token, await idOf(a, me), { status: 'agree', nickname: '' }));
      assert.deepStrictEqual(await pendingCounts(me, a, b, c), [ 0, 0, 0, 0 ]);
      assert.strictEqual(await kept(me.id), 0);
    });

    it('follows autoAddFriendAndAgree settling the applications either way', async () => {
      const [ me, target ] = await pair();
      assertOk(await applyfriend(me.token, { friend_id: target.id }));
      assertOk(await applyfriend(target.token, { friend_id: me.id }));
      assert.deepStrictEqual(await pendingCounts(me, target), [ 1, 1 ]);
      await app.model.User.update({ invite_confirm: 0 }, { where: { id: target.id } });
      assertOk(await post(app, '/api/chat/autoAddFriendAndAgree', me.token).send({ friend_id: target.id }));
      assert.deepStrictEqual(await pendingCounts(me, target), [ 0, 0 ]);
    });

    it('many applicants at once, each handled at once: the count ends at the applications still pending', async () => {
      const me = await registerUser(app);
      const applicants = await inParallel(app, 8, () => registerUser(app));
      await Promise.all(applicants.map(x => applyfriend(x.token, { friend_id: me.id })));
      assert.deepStrictEqual(await pendingCounts(me), [ 8 ]);
      const ids = await Promise.all(applicants.map(x => idOf(x, me)));
      const statuses = [ 'agree', 'refuse', 'ignore', 'agree', 'pending', 'agree' ];
      await Promise.all(statuses.map((status, i) => handleapply(me.token, ids[i], { status, nickname: '' })));
      assert.deepStrictEqual(await pendingCounts(me), [ 3 ]);
    });
  });

  describe('POST /api/chat/isApplyfriend/:uuid', () => {
    const APPLY_ROW_KEYS = [ 'friend_id', 'friendlookme', 'id', 'isblack', 'ismystarfriend', 'melookfriend', 'nickname', 'status', 'userId', 'user_id' ];

    it('answers the pending application that user sent me, in the original\'s shape', async () => {
      const me = await registerUser(app);
      const applicant = await registerUser(app);
      assertOk(await applyfriend(applicant.token, { friend_id: me.id, nickname: '我是申请人' }));
      const data = assertOk(await post(app, `/api/chat/isApplyfriend/${applicant.uuid}`, me.token));
      assert.deepStrictEqual(Object.keys(data).sort(), APPLY_ROW_KEYS);
      assert.strictEqual(data.user_id, applicant.id);
      assert.strictEqual(data.userId, applicant.id);
      assert.strictEqual(data.friend_id, me.id);
      assert.strictEqual(data.nickname, '我是申请人');
      assert.strictEqual(data.status, 'pending');
      // Upper-case uuids are the same user.
      assert.strictEqual(assertOk(await post(app, `/api/chat/isApplyfriend/${applicant.uuid.toUpperCase()}`, me.token)).id, data.id);
    });

    it('refuses when there is none pending to me: handled, sent the other way, or to someone else (another user\'s object)', async () => {
      const me = await registerUser(app);
      const applicant = await registerUser(app);
      const other = await registerUser(app);
      // Their application to someone else is not mine to see.
      assertOk(await applyfriend(applicant.token, { friend_id: other.id }));
      assertFail(await post(app, `/api/chat/isApplyfriend/${applicant.uuid}`, me.token), 400, MSG.applyFromUserMissing);
      // Mine to them does not count either.
      assertOk(await applyfriend(me.token, { friend_id: applicant.id }));
      assertFail(await post(app, `/api/chat/isApplyfriend/${applicant.uuid}`, me.token), 400, MSG.applyFromUserMissing);
      // Handled already.
      assertOk(await applyfriend(applicant.token, { friend_id: me.id }));
      const [ pending ] = await appliesBetween(applicant.id, me.id);
      assertOk(await handleapply(me.token, pending.id, { status: 'refuse' }));
      assertFail(await post(app, `/api/chat/isApplyfriend/${applicant.uuid}`, me.token), 400, MSG.applyFromUserMissing);
      // Unknown or disabled user.
      assertFail(await post(app, `/api/chat/isApplyfriend/${randomUUID()}`, me.token), 400, MSG.userMissing);
      await app.model.User.update({ status: 0 }, { where: { id: other.id } });
      assertFail(await post(app, `/api/chat/isApplyfriend/${other.uuid}`, me.token), 400, MSG.userMissing);
    });

    it('401 without a valid token, 422 for a malformed uuid', async () => {
      const me = await registerUser(app);
      assertFail(await post(app, `/api/chat/isApplyfriend/${me.uuid}`), 401, MSG.authMissing);
      assertFail(await post(app, `/api/chat/isApplyfriend/${me.uuid}`, 'x.y.z'), 401, MSG.authInvalid);
      assertFail(await post(app, '/api/chat/isApplyfriend/not-a-uuid', me.token), 422, 'uuid值 的长度 必须 在 36 和 36 之间');
      assertFail(await post(app, `/api/chat/isApplyfriend/${'z'.repeat(36)}`, me.token), 422, 'uuid值 必须是 uuid 格式');
    });
  });

  describe('POST /api/chat/autoAddFriendAndAgree', () => {
    async function openUser(): Promise<TestUser> {
      const user = await registerUser(app);
      await app.model.User.update({ invite_confirm: 0 }, { where: { id: user.id } });
      return user;
    }
    const autoAdd = (token: string | undefined, body: unknown) => post(app, '/api/chat/autoAddFriendAndAgree', token).send(body as object);

    it('makes us friends at once when the target needs no approval: both rows and an agreed application', async () => {
      const me = await registerUser(app);
      await app.model.User.update({ nickname: '我的昵称' }, { where: { id: me.id } });
      const target = await openUser();
      assert.strictEqual(assertOk(await autoAdd(me.token, { friend_id: target.id, nickname: '你好' })), 'ok');
      assert.strictEqual((await friendRow(me.id, target.id))!.nickname, '');
      assert.strictEqual((await friendRow(target.id, me.id))!.nickname, '我的昵称');
      const applies = await appliesBetween(me.id, target.id);
      assert.deepStrictEqual(applies.map(a => [ a.status, a.nickname ]), [[ 'agree', '你好' ]]);
      // Both contact lists show it at once.
      const mine = assertOk(await get(app, '/api/chat/goodfriendlist', me.token));
      assert.deepStrictEqual(mine.rows.newList.flatMap((g: any) => g.list.map((i: any) => i.friend_id)), [ target.id ]);
      const theirs = assertOk(await get(app, '/api/chat/goodfriendlist', target.token));
      assert.deepStrictEqual(theirs.rows.newList.flatMap((g: any) => g.list.map((i: any) => i.friend_id)), [ me.id ]);
    });

    it('settles a pending application either way between us', async () => {
      const me = await registerUser(app);
      const target = await registerUser(app);
      assertOk(await applyfriend(me.token, { friend_id: target.id }));
      assertOk(await applyfriend(target.token, { friend_id: me.id }));
      await app.model.User.update({ invite_confirm: 0 }, { where: { id: target.id } });
      assertOk(await autoAdd(me.token, { friend_id: target.id }));
      const statuses = [ ...await appliesBetween(me.id, target.id), ...await appliesBetween(target.id, me.id) ].map(a => a.status);
      assert.deepStrictEqual(statuses.sort(), [ 'agree', 'agree', 'agree' ]);
      assert.strictEqual(await friendRowsOfPair(me.id, target.id), 2);
    });

    it('refuses in order: self, missing, already friends, blacklisted by them, needs approval — and changes nothing', async () => {
      const me = await registerUser(app);
      assertFail(await autoAdd(me.token, { friend_id: me.id }), 400, MSG.applySelf);
      assertFail(await autoAdd(me.token, { friend_id: 2147483647 }), 400, MSG.applyTargetMissing);
      const disabled = await openUser();
      await app.model.User.update({ status: 0 }, { where: { id: disabled.id } });
      assertFail(await autoAdd(me.token, { friend_id: disabled.id }), 400, MSG.applyTargetMissing);
      const friend = await openUser();
      assertOk(await autoAdd(me.token, { friend_id: friend.id }));
      assertFail(await autoAdd(me.token, { friend_id: friend.id }), 400, MSG.applyAlreadyFriends);
      const blocker = await openUser();
      await app.model.Goodfriend.create({ user_id: blocker.id, friend_id: me.id, isblack: 1 });
      assertFail(await autoAdd(me.token, { friend_id: blocker.id }), 400, MSG.applyBlocked);
      const careful = await registerUser(app);
      assertFail(await autoAdd(me.token, { friend_id: careful.id }), 400, MSG.autoAddNeedsApproval);
      assert.strictEqual(await friendRowsOfPair(me.id, careful.id), 0);
      assert.strictEqual((await appliesBetween(me.id, careful.id)).length, 0);
      assert.strictEqual(await friendRow(me.id, blocker.id), null);
    });

    it('concurrent auto-adds (both ways, repeated) make exactly two rows', async () => {
      const a = await openUser();
      const b = await openUser();
      const answers = await inParallel(app, 6, i => autoAdd(i % 2 ? a.token : b.token, { friend_id: i % 2 ? b.id : a.id }));
      assert.ok(answers.some(res => res.status === 200), JSON.stringify(answers.map(res => res.body)));
      for (const res of answers) assert.ok(res.status === 200 || res.body.data === MSG.applyAlreadyFriends, JSON.stringify(res.body));
      assert.strictEqual(await friendRowsOfPair(a.id, b.id), 2);
    });

    it('401, 422 naming the field, and the daily application limit', async () => {
      const me = await registerUser(app);
      const target = await openUser();
      assertFail(await autoAdd(undefined, { friend_id: target.id }), 401, MSG.authMissing);
      assertFail(await autoAdd(me.token, {}), 422, '我申请添加的好友id不能为空');
      assertFail(await autoAdd(me.token, { friend_id: 'abc' }), 422, '我申请添加的好友id 必须是整数');
      assertFail(await autoAdd(me.token, { friend_id: target.id, nickname: 'x'.repeat(51) }), 422, '我的昵称或者说明 的长度 不能超过 50');
      // Auto-adds and applications share the daily budget.
      mock(app.config.chat.throttle, 'applyPerUser', { limit: 1, windowSeconds: 60 });
      assertOk(await applyfriend(me.token, { friend_id: (await registerUser(app)).id }));
      assertFail(await autoAdd(me.token, { friend_id: target.id }), 429, MSG.tooManyAttempts);
      mock.restore();
      assert.strictEqual(await friendRowsOfPair(me.id, target.id), 0);
    });
  });
});
