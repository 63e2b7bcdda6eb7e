import * as assert from 'node:assert';
import { randomUUID } from 'node:crypto';
import { app } from 'egg-mock/bootstrap';
import { resetDatabase } from '../../../helpers/db';
import { assertFail, assertOk, get, post, registerUser, uniqueName, TestUser } from '../../../helpers/api';
import { inParallel } from '../../../helpers/parallel';
import { MSG } from '../../../../app/lib/messages';

const AVATAR = 'https://thinkphp-all.oss-cn-hangzhou.aliyuncs.com/public/67b3001b2aedd.png';
const CONTACT_KEYS = [ 'avatar', 'beizhu', 'friend_id', 'friend_nickname', 'id', 'name', 'username', 'uuid' ];

interface Plain { id: number; username: string; uuid: string; nickname: string }

/** A user (with its user_info row) straight into the tables: for friends that never need a token. */
async function makeUser(nickname = '', username = uniqueName('gf')): Promise<Plain> {
  const user = await app.model.User.create({ uuid: randomUUID(), username, password: 'x', nickname });
  await app.model.Userinfo.create({ user_id: user.id });
  return { id: user.id, username, uuid: user.uuid, nickname };
}

/** My row for `friend` (my remark), and optionally theirs for me. */
async function befriend(me: { id: number }, friend: { id: number }, remark = '', both = true) {
  const mine = await app.model.Goodfriend.create({ user_id: me.id, friend_id: friend.id, nickname: remark });
  if (both) await app.model.Goodfriend.create({ user_id: friend.id, friend_id: me.id, nickname: '' });
  return mine;
}

async function row(owner: number, friend: number): Promise<any> {
  const found = await app.model.Goodfriend.findOne({ where: { user_id: owner, friend_id: friend }, raw: true });
  assert.ok(found, `goodfriend row ${owner} → ${friend}`);
  return found;
}

function flags(r: any) {
  return { isblack: Number(r.isblack), ismystarfriend: Number(r.ismystarfriend), friendlookme: Number(r.friendlookme), melookfriend: Number(r.melookfriend) };
}

function list(token: string | undefined, suffix = '') {
  return get(app, `/api/chat/goodfriendlist${suffix}`, token);
}

function titlesAndNames(data: any): Array<[string, string[]]> {
  return data.rows.newList.map((group: any) => [ group.title, group.list.map((item: any) => item.name) ]);
}

describe('test/app/controller/chat/goodfriend.test.ts', () => {
  before(() => resetDatabase(app));

  describe('GET /api/chat/goodfriendlist/:page?limit=', () => {
    it('answers exactly the empty shape when I have no friends', async () => {
      const lonely = await registerUser(app);
      // Someone else has me as a friend: that is their contact, not mine.
      const fan = await makeUser();
      await app.model.Goodfriend.create({ user_id: fan.id, friend_id: lonely.id });
      assert.deepStrictEqual(assertOk(await list(lonely.token, '/1')), { count: 0, rows: { newList: [], indexList: [], total: 0 } });
      assert.deepStrictEqual(assertOk(await list(lonely.token)), { count: 0, rows: { newList: [], indexList: [], total: 0 } });
    });

    it('answers items with exactly the contract\'s keys; name = remark || nickname || username', async () => {
      const me = await registerUser(app);
      const remarked = await makeUser('R的昵称', 'rrr_user');
      const nicknamed = await makeUser('呢称', 'nnn_user');
      const plain = await makeUser('', 'ppp_user');
      const remarkedRow = await befriend(me, remarked, '备注名');
      await befriend(me, nicknamed);
      await befriend(me, plain);
      await app.model.User.update({ avatar: 'https://example.com/a.png' }, { where: { id: remarked.id } });

      const data = assertOk(await list(me.token, '/1'));
      assert.strictEqual(data.count, 3);
      const items = data.rows.newList.flatMap((group: any) => group.list);
      assert.strictEqual(items.length, 3);
      for (const item of items) assert.deepStrictEqual(Object.keys(item).sort(), CONTACT_KEYS);
      const byFriend = new Map(items.map((item: any) => [ item.friend_id, item ]));
      assert.deepStrictEqual(byFriend.get(remarked.id), {
        id: remarkedRow.id,
        beizhu: '备注名',
        username: 'rrr_user',
        avatar: 'https://example.com/a.png',
        friend_nickname: 'R的昵称',
        friend_id: remarked.id,
        name: '备注名',
        uuid: remarked.uuid,
      });
      const nick: any = byFriend.get(nicknamed.id);
      assert.strictEqual(nick.name, '呢称');
      assert.strictEqual(nick.beizhu, '');
      assert.strictEqual(nick.friend_nickname, '呢称');
      const bare: any = byFriend.get(plain.id);
      assert.strictEqual(bare.name, 'ppp_user');
      assert.strictEqual(bare.beizhu, '');
      assert.strictEqual(bare.friend_nickname, '');
      assert.strictEqual(bare.avatar, AVATAR);
      assert.deepStrictEqual(titlesAndNames(data), [[ 'B', [ '备注名' ]], [ 'N', [ '呢称' ]], [ 'P', [ 'ppp_user' ]]]);
      assert.deepStrictEqual(data.rows.indexList, [ 'B', 'N', 'P' ]);
      assert.strictEqual(data.rows.total, 3);
    });

    it('groups by initial, A–Z then #, ordered by pinyin/letters inside each group', async () => {
      const me = await registerUser(app);
      // [remark, nickname, username]: the name comes from the first non-empty one.
      const friends: Array<[string, string, string]> = [
        [ '张三', '', uniqueName('f') ],
        [ '', '', 'Bob' ],
        [ '阿三', '', uniqueName('f') ],
        [ '单雄信', '', uniqueName('f') ],
        [ '123abc', '', uniqueName('f') ],
        [ '曾小贤', '', uniqueName('f') ],
        [ '', 'alice', uniqueName('f') ],
        [ '😀hi', '', uniqueName('f') ],
        [ 'bill', '', uniqueName('f') ],
        [ '.dot', '', uniqueName('f') ],
        [ 'Zoe', '', uniqueName('f') ],
        [ '(*[', '', uniqueName('f') ],
        [ 'Lucy', '', uniqueName('f') ],
        [ 'Alan', '', uniqueName('f') ],
        [ '李四', '', uniqueName('f') ],
        [ 'lily', '', uniqueName('f') ],
        [ '$^.+?)|\\', '', uniqueName('f') ],
      ];
      for (const [ remark, nickname, username ] of friends) {
        await befriend(me, await makeUser(nickname, username), remark, false);
      }
      const data = assertOk(await list(me.token, '/1'));
      assert.strictEqual(data.count, friends.length);
      assert.deepStrictEqual(data.rows.indexList, [ 'A', 'B', 'L', 'S', 'Z', '#' ]);
      assert.strictEqual(data.rows.total, 6);
      const groups = titlesAndNames(data);
      assert.deepStrictEqual(groups.slice(0, 5), [
        [ 'A', [ '阿三', 'Alan', 'alice' ]],
        [ 'B', [ 'bill', 'Bob' ]],
        [ 'L', [ '李四', 'lily', 'Lucy' ]],
        [ 'S', [ '单雄信' ]],
        [ 'Z', [ '曾小贤', '张三', 'Zoe' ]],
      ]);
      const [ otherTitle, others ] = groups[5];
      assert.strictEqual(otherTitle, '#');
      assert.deepStrictEqual([ ...others ].sort(), [ '$^.+?)|\\', '(*[', '.dot', '123abc', '😀hi' ].sort());
      assert.deepStrictEqual(data.rows.newList.map((g: any) => g.title), data.rows.indexList);
    });

    it('only MY friends appear, never my friends\' friends nor people who added me', async () => {
      const me = await registerUser(app);
      const mine = await makeUser('我的朋友');
      const theirs = await makeUser('别人的朋友');
      const fan = await makeUser('加了我的人');
      await befriend(me, mine, '', false);
      await befriend(mine, theirs, '', false);
      await app.model.Goodfriend.create({ user_id: fan.id, friend_id: me.id });
      const data = assertOk(await list(me.token, '/1'));
      assert.strictEqual(data.count, 1);
      assert.deepStrictEqual(data.rows.newList.flatMap((g: any) => g.list.map((i: any) => i.friend_id)), [ mine.id ]);
    });

    describe('a list opened again is never stale (it is served from a per-worker cache)', () => {
      const friendIds = (data: any) => data.rows.newList.flatMap((g: any) => g.list.map((i: any) => i.friend_id)).sort((a: number, b: number) => a - b);

      it('a friend agreed through the API appears at once, on both sides', async () => {
        const me = await registerUser(app);
        const other = await registerUser(app);
        const old = await makeUser('老朋友');
        await befriend(me, old);
        assert.deepStrictEqual(friendIds(assertOk(await list(me.token, '/1'))), [ old.id ]);
        assert.deepStrictEqual(friendIds(assertOk(await list(other.token, '/1'))), []);
        assertOk(await post(app, '/api/chat/applyfriend', other.token).send({ friend_id: me.id, nickname: '你好' }));
        const apply = await app.model.Goodfriendapply.findOne({ where: { user_id: other.id, friend_id: me.id }, raw: true });
        assertOk(await post(app, `/api/chat/handleapply/${apply!.id}`, me.token).send({ nickname: '新朋友', status: 'agree' }));
        const mine = assertOk(await list(me.token, '/1'));
        assert.deepStrictEqual(friendIds(mine), [ old.id, other.id ].sort((a, b) => a - b));
        assert.strictEqual(mine.count, 2);
        assert.deepStrictEqual(friendIds(assertOk(await list(other.token, '/1'))), [ me.id ]);
      });

      it('rows added or removed in the database directly show at once too, whatever the page', async () => {
        const me = await registerUser(app);
        const [ a, b, c ] = [ await makeUser('阿'), await makeUser('北'), await makeUser('曹') ];
        await befriend(me, a);
        await befriend(me, b);
        assert.deepStrictEqual(friendIds(assertOk(await list(me.token, '/1'))), [ a.id, b.id ]);
        assert.deepStrictEqual(friendIds(assertOk(await list(me.token, '/2?limit=1'))), [ b.id ]);
        // By hand, b's row becomes c's under the same id: same count, same largest id, another friend.
        const rowB = await row(me.id, b.id);
        await app.model.Goodfriend.destroy({ where: { id: rowB.id } });
        await app.model.Goodfriend.create({ id: rowB.id, user_id: me.id, friend_id: c.id, nickname: '' } as any);
        assert.deepStrictEqual(friendIds(assertOk(await list(me.token, '/1'))), [ a.id, c.id ]);
        assert.deepStrictEqual(friendIds(assertOk(await list(me.token, '/2?limit=1'))), [ c.id ]);
        await app.model.Goodfriend.destroy({ where: { user_id: me.id } });
        assert.deepStrictEqual(assertOk(await list(me.token, '/1')), { count: 0, rows: { newList: [], indexList: [], total: 0 } });
      });

      it('one user\'s cached list is never another user\'s answer', async () => {
        const [ one, two ] = [ await registerUser(app), await registerUser(app) ];
        const [ x, y ] = [ await makeUser('X'), await makeUser('Y') ];
        await befriend(one, x);
        await befriend(two, y);
        for (let round = 0; round < 2; round++) {
          assert.deepStrictEqual(friendIds(assertOk(await list(one.token, '/1'))), [ x.id ]);
          assert.deepStrictEqual(friendIds(assertOk(await list(two.token, '/1'))), [ y.id ]);
        }
      });
    });

    describe('paging: default 2000, a larger limit clamped to 5000', () => {
      let hub: TestUser;
      const TOTAL = 5003;

      before(async function() {
        this.timeout(60000);
        hub = await registerUser(app);
        const prefix = `hub${hub.id}x`;
        const users = Array.from({ length: TOTAL }, (_, i) => ({ uuid: randomUUID(), username: `${prefix}${i}`, password: 'x' }));
        for (let i = 0; i < users.length; i += 1000) await app.model.User.bulkCreate(users.slice(i, i + 1000) as any);
        const ids = (await app.model.User.findAll({
          where: { username: { [app.Sequelize.Op.like]: `${prefix}%` } }, attributes: [ 'id' ], order: [[ 'id', 'ASC' ]], raw: true,
        })).map(u => u.id);
        assert.strictEqual(ids.length, TOTAL);
        const rows = ids.map(id => ({ user_id: hub.id, friend_id: id }));
        for (let i = 0; i < rows.length; i += 1000) await app.model.Goodfriend.bulkCreate(rows.slice(i, i + 1000) as any);
      });

      function items(data: any): any[] {
        return data.rows.newList.flatMap((g: any) => g.list);
      }

      it('answers 2000 contacts by default; count is every contact', async function() {
        this.timeout(20000);
        const data = assertOk(await list(hub.token, '/1'));
        assert.strictEqual(items(data).length, 2000);
        assert.strictEqual(data.count, TOTAL);
        const noPage = assertOk(await list(hub.token));
        assert.strictEqual(items(noPage).length, 2000);
      });

      it('clamps a limit above 5000 to 5000', async function() {
        this.timeout(20000);
        assert.strictEqual(app.config.chat.pageSize.friendMax, 5000);
        const data = assertOk(await list(hub.token, '/1?limit=100000'));
        assert.strictEqual(items(data).length, 5000);
        assert.strictEqual(data.count, TOTAL);
        const rest = assertOk(await list(hub.token, '/2?limit=100000'));
        assert.strictEqual(items(rest).length, TOTAL - 5000);
      });

      it('pages do not overlap and cover everything', async function() {
        this.timeout(20000);
        const seen = new Set<number>();
        for (let page = 1; page <= 3; page++) {
          const data = assertOk(await list(hub.token, `/${page}`));
          for (const item of items(data)) {
            assert.ok(!seen.has(item.friend_id), `friend ${item.friend_id} seen twice`);
            seen.add(item.friend_id);
          }
        }
        assert.strictEqual(seen.size, TOTAL);
        assert.deepStrictEqual(items(assertOk(await list(hub.token, '/4'))), []);
        const small = assertOk(await list(hub.token, '/2?limit=3'));
        assert.strictEqual(items(small).length, 3);
        assert.strictEqual(small.count, TOTAL);
      });
    });

    it('answers 401 without a token', async () => {
      assertFail(await list(undefined, '/1'), 401, MSG.authMissing);
      assertFail(await list(undefined), 401, MSG.authMissing);
    });

    for (const [ suffix, message ] of [
      [ '/abc', '页码 必须是整数' ],
      [ '/0', '页码 必须大于或等于 1' ],
      [ '/1?limit=0', '每页条数 必须大于或等于 1' ],
      [ '/1?limit=x', '每页条数 必须是整数' ],
    ]) {
      it(`answers 422 for ${suffix}`, async () => {
        const me = await registerUser(app);
        assertFail(await list(me.token, suffix), 422, message);
      });
    }
  });

  describe('GET /api/chat/getgoodfriendinfo/:id', () => {
    let me: TestUser;
    let friend: TestUser;
    before(async () => {
      [ me, friend ] = await inParallel(app, 2, () => registerUser(app));
      // Made friends through the API: friend applies, I agree with a remark.
      await app.model.User.update({ nickname: '朋友昵称' }, { where: { id: friend.id } });
      assertOk(await post(app, '/api/chat/applyfriend', friend.token).send({ friend_id: me.id }));
      const apply = await app.model.Goodfriendapply.findOne({ where: { user_id: friend.id, friend_id: me.id } });
      assertOk(await post(app, `/api/chat/handleapply/${apply!.id}`, me.token).send({ status: 'agree', nickname: '老朋友' }));
      await app.model.Userinfo.update(
        { gender: 'female', birthday: '2000-01-02', bio: '你好', location: '杭州', website: 'https://example.com' },
        { where: { user_id: friend.id } });
    });

    it('answers my row and the friend\'s profile, in exactly the nested shape', async () => {
      const data = assertOk(await get(app, `/api/chat/getgoodfriendinfo/${friend.id}`, me.token));
      const mine = await row(me.id, friend.id);
      const info = await app.model.Userinfo.findOne({ where: { user_id: friend.id }, raw: true });
      assert.deepStrictEqual(data, {
        id: mine.id,
        user_id: me.id,
        friend_id: friend.id,
        nickname: '老朋友',
        friendinfo: {
          id: friend.id,
          username: friend.username,
          avatar: AVATAR,
          nickname: '朋友昵称',
          role: 'user',
          status: 1,
          userinfo: {
            id: info!.id,
            gender: 'female',
            birthday: '2000-01-02',
            bio: '你好',
            location: '杭州',
            website: 'https://example.com',
          },
        },
      });
    });

    it('the friend sees their own row for me', async () => {
      const data = assertOk(await get(app, `/api/chat/getgoodfriendinfo/${me.id}`, friend.token));
      assert.strictEqual(data.user_id, friend.id);
      assert.strictEqual(data.friend_id, me.id);
      assert.strictEqual(data.nickname, '');
      assert.strictEqual(data.friendinfo.id, me.id);
      assert.deepStrictEqual(Object.keys(data.friendinfo.userinfo).sort(), [ 'bio', 'birthday', 'gender', 'id', 'location', 'website' ]);
      assert.strictEqual(data.friendinfo.userinfo.gender, 'unknown');
      assert.strictEqual(data.friendinfo.userinfo.birthday, null);
    });

    it('refuses someone who is not my friend, an unknown id and myself', async () => {
      const stranger = await makeUser();
      assertFail(await get(app, `/api/chat/getgoodfriendinfo/${stranger.id}`, me.token), 400, '好友不存在');
      assertFail(await get(app, '/api/chat/getgoodfriendinfo/2147483000', me.token), 400, '好友不存在');
      assertFail(await get(app, `/api/chat/getgoodfriendinfo/${me.id}`, me.token), 400, '好友不存在');
    });

    it('refuses someone else\'s friend who is not mine', async () => {
      const theirFriend = await makeUser('他的朋友');
      await befriend(friend, theirFriend);
      assertOk(await get(app, `/api/chat/getgoodfriendinfo/${theirFriend.id}`, friend.token));
      assertFail(await get(app, `/api/chat/getgoodfriendinfo/${theirFriend.id}`, me.token), 400, '好友不存在');
    });

    it('refuses someone who has me as a friend while I do not have them', async () => {
      const fan = await makeUser();
      await app.model.Goodfriend.create({ user_id: fan.id, friend_id: me.id });
      assertFail(await get(app, `/api/chat/getgoodfriendinfo/${fan.id}`, me.token), 400, '好友不存在');
    });

    it('answers 401 without a token', async () => {
      assertFail(await get(app, `/api/chat/getgoodfriendinfo/${friend.id}`), 401, MSG.authMissing);
    });

    ([[ 'abc', '好友id 必须是整数' ], [ '0', '好友id 必须大于或等于 1' ], [ '-3', '好友id 必须大于或等于 1' ]]).forEach(([ id, message ]) => {
      it(`answers 422 for id ${id}`, async () => {
        assertFail(await get(app, `/api/chat/getgoodfriendinfo/${id}`, me.token), 422, message);
      });
    });
  });

  describe('friend settings', () => {
    let me: TestUser;
    before(async () => {
      me = await registerUser(app);
    });

    /** A friend both ways, with their row for me carrying distinct flags so that a stray update shows. */
    async function newFriend() {
      const friend = await makeUser();
      await befriend(me, friend, '', false);
      await app.model.Goodfriend.create({ user_id: friend.id, friend_id: me.id, isblack: 0, ismystarfriend: 1, friendlookme: 1, melookfriend: 0 });
      return friend;
    }

    const THEIRS = { isblack: 0, ismystarfriend: 1, friendlookme: 1, melookfriend: 0 };

    describe('POST /api/chat/setblackgoodfriend/:id', () => {
      it('toggles isblack on my row only; twice brings it back to 0', async () => {
        const friend = await newFriend();
        assert.strictEqual(assertOk(await post(app, `/api/chat/setblackgoodfriend/${friend.id}`, me.token)), 'ok');
        assert.deepStrictEqual(flags(await row(me.id, friend.id)), { isblack: 1, ismystarfriend: 0, friendlookme: 1, melookfriend: 1 });
        assert.deepStrictEqual(flags(await row(friend.id, me.id)), THEIRS);
        assertOk(await post(app, `/api/chat/setblackgoodfriend/${friend.id}`, me.token));
        assert.deepStrictEqual(flags(await row(me.id, friend.id)), { isblack: 0, ismystarfriend: 0, friendlookme: 1, melookfriend: 1 });
        assert.deepStrictEqual(flags(await row(friend.id, me.id)), THEIRS);
      });

      it('my blacklist stops them applying to me again', async () => {
        const friend = await registerUser(app);
        await befriend(me, friend, '', false);
        assertOk(await post(app, `/api/chat/setblackgoodfriend/${friend.id}`, me.token));
        assertFail(await post(app, '/api/chat/applyfriend', friend.token).send({ friend_id: me.id }), 400, MSG.applyBlocked);
      });

      it('refuses someone who is not my friend (even if I am theirs)', async () => {
        const fan = await makeUser();
        await app.model.Goodfriend.create({ user_id: fan.id, friend_id: me.id });
        assertFail(await post(app, `/api/chat/setblackgoodfriend/${fan.id}`, me.token), 400, '好友不存在');
        assert.strictEqual(Number((await row(fan.id, me.id)).isblack), 0);
        assertFail(await post(app, '/api/chat/setblackgoodfriend/2147483000', me.token), 400, '好友不存在');
      });

      it('a storm of 20 concurrent toggles loses no update: all 200, isblack ends at 0', async () => {
        const friend = await newFriend();
        const results = await inParallel(app, 20, () => post(app, `/api/chat/setblackgoodfriend/${friend.id}`, me.token));
        for (const res of results) assert.strictEqual(assertOk(res), 'ok');
        assert.strictEqual(Number((await row(me.id, friend.id)).isblack), 0);
        assert.deepStrictEqual(flags(await row(friend.id, me.id)), THEIRS);
        // An odd number of toggles leaves it on.
        const odd = await inParallel(app, 7, () => post(app, `/api/chat/setblackgoodfriend/${friend.id}`, me.token));
        for (const res of odd) assertOk(res);
        assert.strictEqual(Number((await row(me.id, friend.id)).isblack), 1);
      });

      it('answers 401 without a token and 422 for a bad id', async () => {
        const friend = await newFriend();
        assertFail(await post(app, `/api/chat/setblackgoodfriend/${friend.id}`), 401, MSG.authMissing);
        assertFail(await post(app, '/api/chat/setblackgoodfriend/abc', me.token), 422, '好友id 必须是整数');
        assertFail(await post(app, '/api/chat/setblackgoodfriend/0', me.token), 422, '好友id 必须大于或等于 1');
        assert.strictEqual(Number((await row(me.id, friend.id)).isblack), 0);
      });
    });

    describe('POST /api/chat/setstargoodfriend/:id', () => {
      it('toggles ismystarfriend on my row only', async () => {
        const friend = await newFriend();
        assert.strictEqual(assertOk(await post(app, `/api/chat/setstargoodfriend/${friend.id}`, me.token)), 'ok');
        assert.deepStrictEqual(flags(await row(me.id, friend.id)), { isblack: 0, ismystarfriend: 1, friendlookme: 1, melookfriend: 1 });
        assert.deepStrictEqual(flags(await row(friend.id, me.id)), THEIRS);
        assertOk(await post(app, `/api/chat/setstargoodfriend/${friend.id}`, me.token));
        assert.strictEqual(Number((await row(me.id, friend.id)).ismystarfriend), 0);
      });

      it('is refused while I have blacklisted them, and changes nothing', async () => {
        const friend = await newFriend();
        assertOk(await post(app, `/api/chat/setblackgoodfriend/${friend.id}`, me.token));
        assertFail(await post(app, `/api/chat/setstargoodfriend/${friend.id}`, me.token), 400, '好友不存在或者被拉黑，无法操作');
        assert.deepStrictEqual(flags(await row(me.id, friend.id)), { isblack: 1, ismystarfriend: 0, friendlookme: 1, melookfriend: 1 });
        // Off the blacklist, starring works again.
        assertOk(await post(app, `/api/chat/setblackgoodfriend/${friend.id}`, me.token));
        assertOk(await post(app, `/api/chat/setstargoodfriend/${friend.id}`, me.token));
        assert.strictEqual(Number((await row(me.id, friend.id)).ismystarfriend), 1);
      });

      it('their blacklist of me does not stop me starring them', async () => {
        const friend = await newFriend();
        await app.model.Goodfriend.update({ isblack: 1 }, { where: { user_id: friend.id, friend_id: me.id } });
        assertOk(await post(app, `/api/chat/setstargoodfriend/${friend.id}`, me.token));
        assert.strictEqual(Number((await row(me.id, friend.id)).ismystarfriend), 1);
      });

      it('refuses someone who is not my friend with the same message', async () => {
        const fan = await makeUser();
        await app.model.Goodfriend.create({ user_id: fan.id, friend_id: me.id });
        assertFail(await post(app, `/api/chat/setstargoodfriend/${fan.id}`, me.token), 400, '好友不存在或者被拉黑，无法操作');
        assert.strictEqual(Number((await row(fan.id, me.id)).ismystarfriend), 0);
      });

      it('answers 401 without a token and 422 for a bad id', async () => {
        assertFail(await post(app, '/api/chat/setstargoodfriend/1'), 401, MSG.authMissing);
        assertFail(await post(app, '/api/chat/setstargoodfriend/abc', me.token), 422, '好友id 必须是整数');
      });
    });

    describe('POST /api/chat/setmeOrfriendCanSee/:id', () => {
      function setSee(token: string | undefined, id: number | string, body: unknown) {
        return post(app, `/api/chat/setmeOrfriendCanSee/${id}`, token).send(body as object);
      }

      it('sets both values on my row only', async () => {
        const friend = await newFriend();
        assert.strictEqual(assertOk(await setSee(me.token, friend.id, { friendlookme: 0, melookfriend: 0 })), 'ok');
        assert.deepStrictEqual(flags(await row(me.id, friend.id)), { isblack: 0, ismystarfriend: 0, friendlookme: 0, melookfriend: 0 });
        assert.deepStrictEqual(flags(await row(friend.id, me.id)), THEIRS);
        assertOk(await post(app, `/api/chat/setmeOrfriendCanSee/${friend.id}`, me.token).type('form').send({ friendlookme: '1', melookfriend: '0' }));
        assert.deepStrictEqual(flags(await row(me.id, friend.id)), { isblack: 0, ismystarfriend: 0, friendlookme: 1, melookfriend: 0 });
        assertOk(await setSee(me.token, friend.id, { friendlookme: 0, melookfriend: 1 }));
        assert.deepStrictEqual(flags(await row(me.id, friend.id)), { isblack: 0, ismystarfriend: 0, friendlookme: 0, melookfriend: 1 });
        assert.deepStrictEqual(flags(await row(friend.id, me.id)), THEIRS);
      });

      it('answers 200 when the values are already set (twice in a row)', async () => {
        const friend = await newFriend();
        assertOk(await setSee(me.token, friend.id, { friendlookme: 1, melookfriend: 1 }));
        assertOk(await setSee(me.token, friend.id, { friendlookme: 1, melookfriend: 1 }));
        assertOk(await setSee(me.token, friend.id, { friendlookme: 0, melookfriend: 1 }));
        assertOk(await setSee(me.token, friend.id, { friendlookme: 0, melookfriend: 1 }));
        assert.deepStrictEqual(flags(await row(me.id, friend.id)), { isblack: 0, ismystarfriend: 0, friendlookme: 0, melookfriend: 1 });
      });

      it('is refused while I have blacklisted them, and changes nothing', async () => {
        const friend = await newFriend();
        assertOk(await post(app, `/api/chat/setblackgoodfriend/${friend.id}`, me.token));
        assertFail(await setSee(me.token, friend.id, { friendlookme: 0, melookfriend: 0 }), 400, '好友不存在或者被拉黑，无法操作');
        assert.deepStrictEqual(flags(await row(me.id, friend.id)), { isblack: 1, ismystarfriend: 0, friendlookme: 1, melookfriend: 1 });
      });

      it('refuses someone who is not my friend', async () => {
        const fan = await makeUser();
        await app.model.Goodfriend.create({ user_id: fan.id, friend_id: me.id });
        assertFail(await setSee(me.token, fan.id, { friendlookme: 0, melookfriend: 0 }), 400, '好友不存在或者被拉黑，无法操作');
        assert.strictEqual(Number((await row(fan.id, me.id)).friendlookme), 1);
      });

      it('answers 401 without a token', async () => {
        assertFail(await setSee(undefined, 1, { friendlookme: 0, melookfriend: 0 }), 401, MSG.authMissing);
      });

      const invalid: Array<[string, string, Record<string, unknown>, string]> = [
        [ 'a missing friendlookme', '', { melookfriend: 1 }, '朋友是否可以看我不能为空' ],
        [ 'friendlookme 2', '', { friendlookme: 2, melookfriend: 1 }, '朋友是否可以看我 的值 `2` 必须在 [`0`、`1`] 中' ],
        [ 'friendlookme "yes"', '', { friendlookme: 'yes', melookfriend: 1 }, '朋友是否可以看我 的值 `yes` 必须在 [`0`、`1`] 中' ],
        [ 'a missing melookfriend', '', { friendlookme: 1 }, '我是否看朋友不能为空' ],
        [ 'melookfriend -1', '', { friendlookme: 1, melookfriend: -1 }, '我是否看朋友 的值 `-1` 必须在 [`0`、`1`] 中' ],
        [ 'id abc', 'abc', { friendlookme: 1, melookfriend: 1 }, '好友id 必须是整数' ],
      ];
      invalid.forEach(([ name, badId, body, message ]) => {
        it(`answers 422 for ${name} and changes nothing`, async () => {
          const friend = await newFriend();
          assertFail(await setSee(me.token, badId || friend.id, body), 422, message);
          assert.deepStrictEqual(flags(await row(me.id, friend.id)), { isblack: 0, ismystarfriend: 0, friendlookme: 1, melookfriend: 1 });
        });
      });
    });
  });

  describe('POST /api/chat/ismygoodfriend/:id', () => {
    const ROW_KEYS = [ 'friend_id', 'friendlookme', 'id', 'isblack', 'ismystarfriend', 'melookfriend', 'nickname', 'status', 'user_id' ];

    it('answers my row for that user, in the original\'s shape', async () => {
      const me = await registerUser(app);
      const friend = await makeUser('朋友');
      const mine = await befriend(me, friend, '备注');
      const data = assertOk(await post(app, `/api/chat/ismygoodfriend/${friend.id}`, me.token));
      assert.deepStrictEqual(Object.keys(data).sort(), ROW_KEYS);
      assert.strictEqual(data.id, mine.id);
      assert.strictEqual(data.user_id, me.id);
      assert.strictEqual(data.friend_id, friend.id);
      assert.strictEqual(data.nickname, '备注');
      assert.strictEqual(Number(data.isblack), 0);
    });

    it('refuses 不是好友: no row of mine (their row for me does not count), or I blacklisted them', async () => {
      const me = await registerUser(app);
      const fan = await makeUser();
      await app.model.Goodfriend.create({ user_id: fan.id, friend_id: me.id });
      assertFail(await post(app, `/api/chat/ismygoodfriend/${fan.id}`, me.token), 400, MSG.notMyFriend);
      const blocked = await makeUser();
      await befriend(me, blocked);
      assertOk(await post(app, `/api/chat/setblackgoodfriend/${blocked.id}`, me.token));
      assertFail(await post(app, `/api/chat/ismygoodfriend/${blocked.id}`, me.token), 400, MSG.notMyFriend);
      assertFail(await post(app, `/api/chat/ismygoodfriend/${me.id}`, me.token), 400, MSG.notMyFriend);
    });

    it('401 and 422', async () => {
      const me = await registerUser(app);
      assertFail(await post(app, '/api/chat/ismygoodfriend/1'), 401, MSG.authMissing);
      assertFail(await post(app, '/api/chat/ismygoodfriend/abc', me.token), 422, '好友id 必须是整数');
      assertFail(await post(app, '/api/chat/ismygoodfriend/0', me.token), 422, '好友id 必须大于或等于 1');
    });
  });

  describe('POST /api/chat/deletegoodfriend/:id', () => {
    it('removes both directions and every application between us; both contact lists show it at once', async () => {
      const me = await registerUser(app);
      const friend = await registerUser(app);
      const bystander = await makeUser();
      assertOk(await post(app, '/api/chat/applyfriend', friend.token).send({ friend_id: me.id }));
      const [ apply ] = await app.model.Goodfriendapply.findAll({ where: { user_id: friend.id, friend_id: me.id }, raw: true });
      assertOk(await post(app, `/api/chat/handleapply/${apply.id}`, me.token).send({ status: 'agree' }));
      await befriend(me, bystander);
      // Warm both contact caches first: the deletion must show through them.
      assert.strictEqual(assertOk(await list(me.token)).count, 2);
      assert.strictEqual(assertOk(await list(friend.token)).count, 1);

      assert.strictEqual(assertOk(await post(app, `/api/chat/deletegoodfriend/${friend.id}`, me.token)), MSG.friendDeleted);
      const { Op } = app.Sequelize;
      const between = { [Op.or]: [{ user_id: me.id, friend_id: friend.id }, { user_id: friend.id, friend_id: me.id }] };
      assert.strictEqual(await app.model.Goodfriend.count({ where: between }), 0);
      assert.strictEqual(await app.model.Goodfriendapply.count({ where: between }), 0);
      assert.strictEqual(assertOk(await list(me.token)).count, 1);
      assert.strictEqual(assertOk(await list(friend.token)).count, 0);
      // Others' friendships are untouched; either may apply again.
      assert.ok(await app.model.Goodfriend.findOne({ where: { user_id: me.id, friend_id: bystander.id } }));
      assertOk(await post(app, '/api/chat/applyfriend', friend.token).send({ friend_id: me.id }));
    });

    it('refuses 不是好友关系，无权操作 when I have no row for them, and deletes nothing (another user\'s friendship)', async () => {
      const me = await registerUser(app);
      const a = await makeUser();
      const b = await makeUser();
      await befriend(a, b);
      assertFail(await post(app, `/api/chat/deletegoodfriend/${b.id}`, me.token), 400, MSG.deleteNotFriends);
      // Their row for me alone is not a friendship of mine to delete.
      await app.model.Goodfriend.create({ user_id: a.id, friend_id: me.id });
      assertFail(await post(app, `/api/chat/deletegoodfriend/${a.id}`, me.token), 400, MSG.deleteNotFriends);
      assert.strictEqual(await app.model.Goodfriend.count({ where: { user_id: a.id } }), 2);
    });

    it('401 and 422', async () => {
      const me = await registerUser(app);
      assertFail(await post(app, '/api/chat/deletegoodfriend/1'), 401, MSG.authMissing);
      assertFail(await post(app, '/api/chat/deletegoodfriend/1.5', me.token), 422, '好友id 必须是整数');
    });

    it('a deletion racing an agree leaves a consistent pair: both rows or none', async () => {
      for (let round = 0; round < 4; round++) {
        const me = await registerUser(app);
        const other = await registerUser(app);
        await befriend(me, other);
        // An application of theirs still pending from before the friendship.
        const apply = await app.model.Goodfriendapply.create({ user_id: other.id, friend_id: me.id });
        const [ deleted, agreed ] = await inParallel(app, 2, i => (i === 0
          ? post(app, `/api/chat/deletegoodfriend/${other.id}`, me.token)
          : post(app, `/api/chat/handleapply/${apply.id}`, me.token).send({ status: 'agree' })));
        assert.ok([ 200, 400 ].includes(deleted.status) && [ 200, 400 ].includes(agreed.status), JSON.stringify([ deleted.body, agreed.body ]));
        const { Op } = app.Sequelize;
        const rows = await app.model.Goodfriend.count({ where: { [Op.or]: [{ user_id: me.id, friend_id: other.id }, { user_id: other.id, friend_id: me.id }] } });
        assert.ok(rows === 0 || rows === 2, `round ${round}: ${rows} rows`);
      }
    });
  });
});
