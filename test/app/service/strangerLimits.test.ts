import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { QueryTypes } from 'sequelize';
import { resetDatabase } from '../../helpers/db';
import { assertFail, assertOk, post, registerUser, TestUser } from '../../helpers/api';
import { registerVisitor, TestVisitor } from '../../helpers/visitor';
import { inParallel } from '../../helpers/parallel';
import { MSG } from '../../../app/lib/messages';

/**
 * Strangers per the recipient's `userset.chatset` (app/service/message.ts decide), as the original:
 * sendCount 0 → refused (visitor: 先登录才能发消息; user: 需要您先成为他的好友), 1 → one message before being
 * friends, counted from stored messages, 2 → no limit. Race-free: concurrent sends of one stranger where one
 * is allowed store exactly one.
 */

type Sender = TestUser | TestVisitor;

function send(from: Sender, to: { id: number }, data: string) {
  return post(app, '/api/chat/socket/sendmessage', from.token).send({ sendto_id: to.id, chatType: 'single', type: 'text', data });
}

async function stored(from: { id: number }, to: { id: number }): Promise<number> {
  const [ row ] = await app.model.query('SELECT COUNT(*) AS n FROM message WHERE from_id = ? AND to_id = ?', { replacements: [ from.id, to.id ], type: QueryTypes.SELECT }) as any[];
  return Number(row.n);
}

async function inbox(owner: { id: number }): Promise<number> {
  const [ row ] = await app.model.query('SELECT COUNT(*) AS n FROM chat_inbox WHERE user_id = ?', { replacements: [ owner.id ], type: QueryTypes.SELECT }) as any[];
  return Number(row.n);
}

async function setChat(owner: TestUser, chatset: Record<string, unknown>) {
  assertOk(await post(app, '/api/chat/userset', owner.token).send({ userset: JSON.stringify({ chatset }) }));
}

describe('test/app/service/strangerLimits.test.ts', () => {
  before(async () => {
    await app.ready();
    await resetDatabase(app);
  });

  it('sendCount 1 (the default): one message from a stranger user and one from a visitor, then the original\'s refusal', async () => {
    const owner = await registerUser(app);
    const stranger = await registerUser(app);
    const visitor = await registerVisitor(app);
    assertOk(await send(stranger, owner, 'hi'));
    assertFail(await send(stranger, owner, 'hi again'), 400, MSG.strangerOneMessage);
    assertOk(await send(visitor, owner, 'hi'));
    assertFail(await send(visitor, owner, 'hi again'), 400, MSG.strangerOneMessage);
    assert.strictEqual(await stored(stranger, owner), 1);
    assert.strictEqual(await stored(visitor, owner), 1);
  });

  it('sendCount 0 and 2, each role apart, in both settings forms (number and {sendCount, needFollow})', async () => {
    const owner = await registerUser(app);
    const stranger = await registerUser(app);
    const visitor = await registerVisitor(app);
    await setChat(owner, { visitor: 0, user: { sendCount: 0, needFollow: true } });
    assertFail(await send(visitor, owner, 'x'), 400, MSG.strangerNeedsLogin);
    assertFail(await send(stranger, owner, 'x'), 400, MSG.strangerNeedsFriendship);
    await setChat(owner, { visitor: { sendCount: 2, needFollow: false }, user: 2 });
    for (let i = 0; i < 3; i += 1) {
      assertOk(await send(visitor, owner, `v${i}`));
      assertOk(await send(stranger, owner, `u${i}`));
    }
    // Back to one: the messages already stored count (the original counts what was sent).
    await setChat(owner, { visitor: 1, user: 1 });
    assertFail(await send(stranger, owner, 'x'), 400, MSG.strangerOneMessage);
    assertFail(await send(visitor, owner, 'x'), 400, MSG.strangerOneMessage);
    assert.strictEqual(await stored(stranger, owner), 3);
    assert.strictEqual(await stored(visitor, owner), 3);
  });

  it('a friend (their row for me, active, not blacklisted) is never limited', async () => {
    const owner = await registerUser(app);
    const friend = await registerUser(app);
    await app.model.Goodfriend.bulkCreate([{ user_id: owner.id, friend_id: friend.id }, { user_id: friend.id, friend_id: owner.id }] as any);
    await setChat(owner, { visitor: 0, user: 0 });
    for (let i = 0; i < 3; i += 1) assertOk(await send(friend, owner, `f${i}`));
  });

  it('the stranger race: concurrent sends where one is allowed store exactly one (user and visitor)', async function() {
    this.timeout(60_000);
    for (let round = 0; round < 3; round += 1) {
      const owner = await registerUser(app);
      const stranger = await registerUser(app);
      const visitor = await registerVisitor(app);
      const answers = await inParallel(app, 12, i => (i < 6 ? send(stranger, owner, `race ${round}.${i}`) : send(visitor, owner, `race v${round}.${i - 6}`)));
      const byUser = answers.slice(0, 6);
      const byVisitor = answers.slice(6);
      for (const group of [ byUser, byVisitor ]) {
        assert.strictEqual(group.filter(res => res.status === 200).length, 1, JSON.stringify(group.map(res => [ res.status, res.body.data ])));
        for (const res of group.filter(r => r.status !== 200)) assertFail(res, 400, MSG.strangerOneMessage);
      }
      assert.strictEqual(await stored(stranger, owner), 1);
      assert.strictEqual(await stored(visitor, owner), 1);
      assert.strictEqual(await inbox(owner), 2, 'one inbox entry per stored message');
    }
  });

  it('the race with sendCount 0: nothing stored; with 2: everything', async () => {
    const owner = await registerUser(app);
    const stranger = await registerUser(app);
    await setChat(owner, { user: 0 });
    const refused = await inParallel(app, 4, i => send(stranger, owner, `no ${i}`));
    for (const res of refused) assertFail(res, 400, MSG.strangerNeedsFriendship);
    assert.strictEqual(await stored(stranger, owner), 0);
    await setChat(owner, { user: 2 });
    const allowed = await inParallel(app, 4, i => send(stranger, owner, `yes ${i}`));
    for (const res of allowed) assertOk(res);
    assert.strictEqual(await stored(stranger, owner), 4);
  });
});
