import * as assert from 'node:assert';
import { app, mock } from 'egg-mock/bootstrap';
import { QueryTypes } from 'sequelize';
import { resetDatabase } from '../../../helpers/db';
import { assertFail, assertOk, post, registerUser, TestUser } from '../../../helpers/api';
import { registerVisitor } from '../../../helpers/visitor';
import { MSG } from '../../../../app/lib/messages';

const ROUTES = [ 'create', 'update', 'delete', 'list', 'detail', 'search' ];
const ENTRY_KEYS = [ 'answer', 'ask', 'create_time', 'create_userId', 'id', 'likeCount', 'liked', 'type', 'update_time' ];

function call(route: string, token: string | undefined, body: Record<string, unknown>) {
  return post(app, `/api/chat/askanswer/${route}`, token).send(body);
}

async function entriesOf(type: string, ownerId: number): Promise<any[]> {
  return app.model.query('SELECT * FROM askanswer WHERE owner_type = ? AND owner_id = ? ORDER BY id', { replacements: [ type, ownerId ], type: QueryTypes.SELECT }) as any;
}

async function groupOf(owner: TestUser, member: TestUser): Promise<number> {
  await app.model.Goodfriend.bulkCreate([{ user_id: owner.id, friend_id: member.id }, { user_id: member.id, friend_id: owner.id }] as any);
  const row = await app.model.Goodfriend.findOne({ where: { user_id: owner.id, friend_id: member.id }, raw: true });
  assertOk(await post(app, '/api/chat/group/create', owner.token).send({ userIds: [ row!.id ] }));
  const [ group ] = await app.model.query('SELECT id FROM `group` WHERE user_id = ? ORDER BY id DESC LIMIT 1', { replacements: [ owner.id ], type: QueryTypes.SELECT }) as any[];
  return Number(group.id);
}

describe('test/app/controller/chat/askanswer.test.ts', () => {
  before(async () => {
    await app.ready();
    await resetDatabase(app);
  });
  afterEach(() => mock.restore());

  it('create, create the same question again (a new answer), list newest first, detail, update, search, delete', async () => {
    const me = await registerUser(app);
    const first = assertOk(await call('create', me.token, { type: 'single', create_userId: me.id, ask: '运费怎么算', answer: '满 99 元包邮' }));
    assert.deepStrictEqual(Object.keys(first).sort(), ENTRY_KEYS);
    assert.strictEqual(first.type, 'single');
    assert.strictEqual(first.create_userId, me.id);
    assert.strictEqual(first.likeCount, 0);
    assert.ok(first.create_time > Date.now() - 60_000 && first.create_time <= Date.now() + 1000, String(first.create_time));
    const again = assertOk(await call('create', me.token, { type: 'single', create_userId: me.id, ask: '运费怎么算', answer: '满 88 元包邮' }));
    assert.strictEqual(again.id, first.id);
    assert.strictEqual(again.answer, '满 88 元包邮');
    const second = assertOk(await call('create', me.token, { type: 'single', create_userId: me.id, ask: '支持退货吗', answer: '7 天无理由' }));
    const list = assertOk(await call('list', me.token, { type: 'single', userId: me.id }));
    assert.deepStrictEqual(list.map((e: any) => e.id), [ second.id, first.id ]);
    assert.deepStrictEqual(assertOk(await call('detail', me.token, { id: first.id })), list[1]);
    const updated = assertOk(await call('update', me.token, { id: second.id, type: 'single', create_userId: me.id, ask: '能退货吗', answer: '可以' }));
    assert.strictEqual(updated.ask, '能退货吗');
    const found = assertOk(await call('search', me.token, { type: 'single', create_userId: me.id, ask: '运费多少' }));
    assert.strictEqual(found.id, first.id);
    assert.ok(found.score >= 0.25 && found.score <= 1);
    assertFail(await call('search', me.token, { type: 'single', create_userId: me.id, ask: '今天天气怎么样' }), 400, MSG.askNoMatch);
    assert.strictEqual(assertOk(await call('delete', me.token, { id: first.id })), MSG.askDeleted);
    assertFail(await call('detail', me.token, { id: first.id }), 400, MSG.askMissing);
    assertFail(await call('delete', me.token, { id: first.id }), 400, MSG.askMissing);
    assert.strictEqual((await entriesOf('single', me.id)).length, 1);
  });

  it('answers 401 without a token and 403 to a visitor, on every route', async () => {
    const visitor = await registerVisitor(app);
    for (const route of ROUTES) {
      assertFail(await call(route, undefined, {}), 401);
      assertFail(await call(route, visitor.token, { type: 'single', create_userId: visitor.id, userId: visitor.id, ask: 'q', answer: 'a', id: 1 }), 403);
    }
  });

  it('another user\'s entries: never read, changed or deleted; create_userId in the body names nobody else', async () => {
    const owner = await registerUser(app);
    const other = await registerUser(app);
    const entry = assertOk(await call('create', owner.token, { type: 'single', create_userId: owner.id, ask: '营业时间', answer: '9 点到 21 点' }));
    assertFail(await call('create', other.token, { type: 'single', create_userId: owner.id, ask: '营业时间', answer: 'hacked' }), 400, MSG.askNotYours);
    assertFail(await call('update', other.token, { id: entry.id, type: 'single', create_userId: owner.id, ask: '营业时间', answer: 'hacked' }), 400, MSG.askNotYours);
    // Naming themselves as the owner does not reach someone else's entry either.
    assertFail(await call('update', other.token, { id: entry.id, type: 'single', create_userId: other.id, ask: '营业时间', answer: 'hacked' }), 400, MSG.askMissing);
    assertFail(await call('delete', other.token, { id: entry.id }), 400, MSG.askMissing);
    assertFail(await call('delete', other.token, { id: entry.id, type: 'single', create_userId: owner.id }), 400, MSG.askMissing);
    assertFail(await call('detail', other.token, { id: entry.id }), 400, MSG.askMissing);
    assertFail(await call('list', other.token, { type: 'single', userId: owner.id }), 400, MSG.askNotYours);
    assertFail(await call('search', other.token, { type: 'single', create_userId: owner.id, ask: '营业时间' }), 400, MSG.askNotYours);
    const [ row ] = await entriesOf('single', owner.id);
    assert.strictEqual(row.answer, '9 点到 21 点');
    assert.deepStrictEqual(assertOk(await call('list', other.token, { type: 'single', userId: other.id })), []);
  });

  it('a group\'s entries: its owner only (a member is refused)', async () => {
    const owner = await registerUser(app);
    const member = await registerUser(app);
    const groupId = await groupOf(owner, member);
    const entry = assertOk(await call('create', owner.token, { type: 'group', create_userId: groupId, ask: '群规是什么', answer: '友善交流' }));
    assert.strictEqual(entry.type, 'group');
    assert.strictEqual(entry.create_userId, groupId);
    assertFail(await call('create', member.token, { type: 'group', create_userId: groupId, ask: '群规', answer: 'x' }), 400, MSG.askNotYours);
    assertFail(await call('list', member.token, { type: 'group', userId: groupId }), 400, MSG.askNotYours);
    assertFail(await call('delete', member.token, { id: entry.id }), 400, MSG.askMissing);
    assertFail(await call('create', owner.token, { type: 'group', create_userId: 2147483647, ask: '群规', answer: 'x' }), 400, MSG.askNotYours);
    assert.strictEqual(assertOk(await call('list', owner.token, { type: 'group', userId: groupId })).length, 1);
  });

  it('answers 422 naming the field: missing, empty, too long, wrong type or kind', async () => {
    const me = await registerUser(app);
    const base = { type: 'single', create_userId: me.id, ask: '问题', answer: '答案' };
    assertFail(await call('create', me.token, { ...base, ask: undefined }), 422, '问题不能为空');
    assertFail(await call('create', me.token, { ...base, ask: '' }), 422, '问题不能为空');
    assertFail(await call('create', me.token, { ...base, answer: undefined }), 422, '答案不能为空');
    assertFail(await call('create', me.token, { ...base, ask: '问'.repeat(201) }), 422, '问题 的长度 必须 在 1 和 200 之间');
    assertFail(await call('create', me.token, { ...base, answer: '答'.repeat(2001) }), 422, '答案 的长度 必须 在 1 和 2000 之间');
    assertFail(await call('create', me.token, { ...base, type: 'user' }), 422);
    assertFail(await call('create', me.token, { ...base, create_userId: 'me' }), 422, '问答所属id 必须是整数');
    assertFail(await call('update', me.token, { ...base, id: 'x' }), 422, '问答id 必须是整数');
    assertFail(await call('list', me.token, { type: 'single' }), 422, '问答所属id不能为空');
    assertFail(await call('search', me.token, { ...base, ask: { $regex: '.*' } }), 422, '问题 必须是字符串');
    assertFail(await call('detail', me.token, {}), 422, '问答id不能为空');
    assert.strictEqual((await entriesOf('single', me.id)).length, 0);
  });

  it('limits per owner from the configuration, also under concurrent creates', async () => {
    mock(app.config.chat.care.askanswer, 'maxPerOwner', 3);
    const me = await registerUser(app);
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => call('create', me.token, { type: 'single', create_userId: me.id, ask: `问题${i}`, answer: `答案${i}` })));
    assert.strictEqual(answers.filter(res => res.status === 200).length, 3, JSON.stringify(answers.map(res => res.body)));
    for (const res of answers.filter(r => r.status !== 200)) assertFail(res, 400, MSG.askTooMany);
    assert.strictEqual((await entriesOf('single', me.id)).length, 3);
    // The same question again is an update, not a new entry: allowed at the limit.
    const [ kept ] = await entriesOf('single', me.id);
    assertOk(await call('create', me.token, { type: 'single', create_userId: me.id, ask: kept.ask, answer: 'new' }));
  });

  it('regex metacharacters and emoji are plain text (stored, found, never a crash); a question taken twice by update is refused', async () => {
    const me = await registerUser(app);
    const hostile = [ '(.*)+$', '[a-', '\\', '价格?*+', '😀 表情怎么发 😀' ];
    for (const ask of hostile) assertOk(await call('create', me.token, { type: 'single', create_userId: me.id, ask, answer: `答:${ask}` }));
    const found = assertOk(await call('search', me.token, { type: 'single', create_userId: me.id, ask: '表情怎么发' }));
    assert.strictEqual(found.ask, '😀 表情怎么发 😀');
    for (const ask of [ '(((((', '.*', '(a+)+$' ]) {
      const res = await call('search', me.token, { type: 'single', create_userId: me.id, ask });
      assert.ok([ 200, 400 ].includes(res.status), JSON.stringify(res.body));
    }
    const [ a, b ] = await entriesOf('single', me.id);
    assertFail(await call('update', me.token, { id: b.id, type: 'single', create_userId: me.id, ask: a.ask, answer: 'x' }), 400, MSG.askDuplicate);
  });
});
