import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { AppServer, eventually, sleep } from '../helpers/server';
import { Account, processHarness, registerOn } from '../helpers/processDelivery';
import { assertOkReply } from '../helpers/outage';
import { ChatClient, connectReady } from '../helpers/socket';
import { ReconnectingClient, serverPidOf } from '../helpers/reconnecting';

/**
 * Group messages across real processes: members on both workers of a cluster (both profiles) and on two
 * instances sharing MariaDB + Redis (production profile); a member's worker killed with SIGKILL while
 * group messages stream in. What a person sees: every message answered 200 shows exactly once.
 */

/** A group of `owner` and `members` made through the real route (the friend rows made directly); its id. */
async function createGroup(server: AppServer, owner: Account, members: Account[]): Promise<number> {
  const userIds: number[] = [];
  for (const member of members) {
    const mine: any = await app.model.Goodfriend.create({ user_id: owner.id, friend_id: member.id } as any);
    await app.model.Goodfriend.create({ user_id: member.id, friend_id: owner.id } as any);
    userIds.push(mine.id);
  }
  assertOkReply(await server.call('POST', '/api/chat/group/create', { token: owner.token, body: { userIds } }), 'group/create');
  const [ row ]: any[] = await (app.model as any).query('SELECT id FROM `group` WHERE user_id = ? ORDER BY id DESC LIMIT 1', { replacements: [ owner.id ], type: 'SELECT' });
  return Number(row.id);
}

function groupTexts(client: ChatClient, groupId: number): string[] {
  return client.chats().filter(data => data.chatType === 'group' && Number(data.to_id) === groupId && data.type === 'text').map(data => data.data);
}

/** One socket per account, one after the other (the cluster's master spreads them over the workers). */
async function connectAll(server: AppServer, accounts: Account[]): Promise<ChatClient[]> {
  const sockets: ChatClient[] = [];
  for (const account of accounts) sockets.push(await connectReady(server.port, account.token));
  return sockets;
}

describe('test/outage/groupDelivery.test.ts', function() {
  this.timeout(180_000);
  const harness = processHarness();
  const clients = harness.clients;

  before(() => app.ready());

  it('members on both workers of one instance: every group message reaches each, in order, once', async () => {
    const server = await harness.start({ workers: 2 });
    const owner = await registerOn(server, 'gw');
    const members = [ await registerOn(server, 'gw'), await registerOn(server, 'gw'), await registerOn(server, 'gw'), await registerOn(server, 'gw') ];
    const groupId = await createGroup(server, owner, members);
    const sockets = await connectAll(server, members);
    clients.push(...sockets);
    // The master spreads connections round-robin, mostly: reconnect the last member until both workers hold one.
    for (let attempt = 0; new Set(sockets.map(socket => serverPidOf(socket, server.port))).size < 2 && attempt < 20; attempt++) {
      sockets[sockets.length - 1].ws.terminate();
      await sleep(50);
      sockets[sockets.length - 1] = await connectReady(server.port, members[members.length - 1].token);
      clients.push(sockets[sockets.length - 1]);
    }
    assert.strictEqual(new Set(sockets.map(socket => serverPidOf(socket, server.port))).size, 2, 'the members\' sockets are spread over both workers');
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      assertOkReply(await server.call('POST', '/api/chat/socket/sendmessage', { token: owner.token, body: { sendto_id: groupId, chatType: 'group', type: 'text', data: `g${i}` } }), 'send');
      sent.push(`g${i}`);
    }
    for (const socket of sockets) {
      await socket.waitFor(c => groupTexts(c, groupId).length >= 20, 15_000, '20 group messages');
    }
    await sleep(300);
    for (const socket of sockets) assert.deepStrictEqual(groupTexts(socket, groupId), sent);
  });

  it('two instances sharing MariaDB + Redis: a group message sent on one reaches members on both', async function() {
    if (!process.env.REDIS_URL) {
      // eslint-disable-next-line no-console
      console.log('      (skipped: two instances share Redis in the production profile only)');
      this.skip();
    }
    const one = await harness.start({ workers: 1 });
    const two = await harness.start({ workers: 1 });
    const owner = await registerOn(one, 'gw');
    const [ m1, m2 ] = [ await registerOn(one, 'gw'), await registerOn(two, 'gw') ];
    const groupId = await createGroup(one, owner, [ m1, m2 ]);
    const [ onOne, onTwo ] = [ await connectReady(one.port, m1.token), await connectReady(two.port, m2.token) ];
    clients.push(onOne, onTwo);
    const sent = assertOkReply(await two.call('POST', '/api/chat/socket/sendmessage', { token: owner.token, body: { sendto_id: groupId, chatType: 'group', type: 'text', data: '跨实例群消息' } }), 'send');
    for (const socket of [ onOne, onTwo ]) {
      await socket.waitFor(c => groupTexts(c, groupId).length === 1, 10_000, 'the group message');
      assert.deepStrictEqual(socket.chats().find(data => data.type === 'text'), sent);
    }
  });

  it('a member\'s worker killed with SIGKILL mid-stream: after the reconnect every group message shows exactly once', async () => {
    const server = await harness.start({ workers: 2 });
    const owner = await registerOn(server, 'gw');
    const member = await registerOn(server, 'gw');
    const groupId = await createGroup(server, owner, [ member ]);
    const recipient = new ReconnectingClient(server, member.token);
    await recipient.start();
    clients.push(recipient);
    const victim = serverPidOf(recipient.current!, server.port);

    const total = 60;
    const answered = new Set<string>();
    for (let i = 0; i < total; i++) {
      if (i === 20) process.kill(victim, 'SIGKILL');
      for (let attempt = 1; ; attempt++) {
        const reply = await server.call('POST', '/api/chat/socket/sendmessage', {
          token: owner.token, body: { sendto_id: groupId, chatType: 'group', type: 'text', data: `群 ${i}`, client_msg_id: `gkill-${i}` },
        });
        if (reply.status === 200) {
          answered.add(reply.body.data.id);
          break;
        }
        if (attempt > 50) throw new Error(`send ${i}: ${reply.status || reply.error}`);
        await sleep(100);
      }
    }
    assert.strictEqual(answered.size, total, 'a retried send answered the first message, never a second one');
    const texts = () => new Set(recipient.seen.filter(data => data.type === 'text').map(data => data.id));
    await eventually(30_000, async () => texts().size >= total, 200);
    await sleep(500);
    assert.ok(recipient.reconnects >= 1, 'the client reconnected');
    assert.deepStrictEqual([ ...texts() ].sort(), [ ...answered ].sort());
  });
});
