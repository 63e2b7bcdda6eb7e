import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { eventually, sleep } from '../helpers/server';
import { processHarness, registerOn } from '../helpers/processDelivery';
import { assertOkReply } from '../helpers/outage';
import { ReconnectingClient, serverPidOf } from '../helpers/reconnecting';

/**
 * Issue 19's auto-reply is durable: it is committed before the question is answered 200, so a worker
 * SIGKILLed right after the 200s loses none. Two workers: fresh connections spread the questions over
 * both (the master round-robins), and the one holding the asker's socket is killed at once; the asker,
 * reconnecting to the other, gets every reply exactly once, and retries of the questions reply nothing more.
 */
describe('test/outage/autoReplyDurable.test.ts', function() {
  this.timeout(120_000);
  const harness = processHarness();

  before(() => app.ready());

  it('the worker killed with SIGKILL right after the questions\' 200: every reply reaches the reconnecting asker once', async () => {
    const server = await harness.start({ workers: 2 });
    const [ asker, owner ] = [ await registerOn(server, 'aq'), await registerOn(server, 'ao') ];
    await app.model.Goodfriend.bulkCreate([{ user_id: asker.id, friend_id: owner.id }, { user_id: owner.id, friend_id: asker.id }] as any);
    assertOkReply(await server.call('POST', '/api/chat/askanswer/create', {
      token: owner.token, body: { type: 'single', create_userId: owner.id, ask: '你们的营业时间是几点', answer: '每天九点到十八点' },
    }), 'askanswer create');
    const client = new ReconnectingClient(server, asker.token);
    await client.start();
    harness.clients.push(client);
    const victim = serverPidOf(client.current!, server.port);

    const total = 6;
    const send = (i: number) => server.call('POST', '/api/chat/socket/sendmessage', {
      token: asker.token,
      body: { sendto_id: owner.id, chatType: 'single', type: 'text', data: `营业时间是几点 ${i}`, options: { askanswer: true }, client_msg_id: `ask-${i}` },
    });
    const questions: string[] = [];
    for (let i = 0; i < total; i++) questions.push(assertOkReply(await send(i), 'question').id);
    process.kill(victim, 'SIGKILL');

    const replies = () => client.seen.filter(data => data.from_id === owner.id && data.data === '每天九点到十八点');
    await eventually(30_000, async () => new Set(replies().map(r => r.id)).size >= total, 200);
    // Retries of the same questions (same keys) after the kill: the first messages, no second reply.
    for (let i = 0; i < total; i++) {
      // A connection the master still hands to the dead worker fails without an answer: sent again.
      let retried = await send(i);
      for (let attempt = 1; retried.status !== 200 && attempt < 50; attempt++) retried = await sleep(100).then(() => send(i));
      assert.strictEqual(retried.status, 200);
      assert.strictEqual(retried.body.data.id, questions[i]);
    }
    await sleep(1500);
    assert.ok(client.reconnects >= 1, 'the asker reconnected');
    assert.strictEqual(new Set(replies().map(r => r.id)).size, total, 'one reply per question, none lost, none doubled');
    assert.strictEqual(client.screen().size, total, 'the asker\'s screen holds the replies once each');
  });
});
