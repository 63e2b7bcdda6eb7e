import * as assert from 'node:assert';
import { call, Reply, sleep } from '../helpers/server';
import { ChatClient, connectReady } from '../helpers/socket';
import { A, B, REDIS_PORTS, Account, befriend, env, killInstance, ok, register, restartInstance } from './ensemble';
import { TcpProxy } from './tcpProxy';

/**
 * A network partition between one instance and Redis (issue 15, "Bad input"): a third instance, C, started
 * for this file with its Redis Cluster traffic through TCP proxies (tcpProxy.ts) — REDIS_CLUSTER_NODES names
 * the proxies and REDIS_CLUSTER_NAT_MAP maps each node's announced address (127.0.0.1:<node port>, what
 * CLUSTER SLOTS answers) to its proxy, so every connection C makes to the cluster, the bus subscriber's
 * too, goes through them. The proxies are cut for a few seconds (silence, nothing refused), then healed.
 */

const C = Number(env.APP_C_PORT);
const PROXY_BASE = Number(env.REDIS_PROXY_BASE);

function texts(client: ChatClient): string[] {
  return client.chats().filter(data => data.type === 'text').map(data => data.data);
}

function send(port: number, from: Account, to: number, data: string): Promise<Reply> {
  return call(port, 'POST', '/api/chat/socket/sendmessage', { token: from.token, body: { sendto_id: to, chatType: 'single', type: 'text', data } });
}

/** How many times each text arrived on a socket. */
function counts(client: ChatClient): Map<string, number> {
  const seen = new Map<string, number>();
  for (const text of texts(client)) seen.set(text, (seen.get(text) ?? 0) + 1);
  return seen;
}

describe('test/cluster/partition.cluster.ts', function() {
  this.timeout(180_000);
  const proxies = REDIS_PORTS.map((port, i) => new TcpProxy(PROXY_BASE + i, port));
  const sockets: ChatClient[] = [];

  before(async () => {
    for (const proxy of proxies) await proxy.listen();
    await restartInstance('c', C, {
      REDIS_CLUSTER_NODES: proxies.map(proxy => `127.0.0.1:${proxy.listenPort}`).join(','),
      REDIS_CLUSTER_NAT_MAP: proxies.map(proxy => `127.0.0.1:${proxy.targetPort}=127.0.0.1:${proxy.listenPort}`).join(','),
    });
  });

  after(async () => {
    for (const socket of sockets) socket.ws.terminate();
    try {
      killInstance('c');
    } catch {
      // Not started.
    }
    for (const proxy of proxies) await proxy.close();
  });

  it('cut for a few seconds: C answers 503 or correctly (never a 500), A goes on; after the heal C serves and delivers again; every accepted message arrives once', async () => {
    const [ alice, bob ] = [ await register(A), await register(B) ];
    await befriend(A, alice, bob, B);
    // Bob's socket on C, the instance about to be cut off (one socket: a second one would end it, SINGLE_SESSION).
    const bobOnC = await connectReady(C, bob.token);
    sockets.push(bobOnC);
    const accepted: string[] = [];
    accepted.push(ok(await send(C, alice, bob.id, '断网前'), 'send via C before the cut').data);
    await bobOnC.waitFor(c => texts(c).includes('断网前'), 10_000, 'the message before the cut');

    for (const proxy of proxies) proxy.partition();
    const statuses: number[] = [];
    const started = Date.now();
    for (let i = 0; Date.now() - started < 5000; i++) {
      // C, through the cut: a send and a read, both must be 503 or right.
      const sent = await send(C, alice, bob.id, `断网中 C ${i}`);
      statuses.push(sent.status);
      if (sent.status === 200) accepted.push(sent.body.data.data);
      else assert.strictEqual(sent.body?.msg, 'fail', JSON.stringify(sent.body));
      const read = await call(C, 'GET', '/api/chat/goodfriendlist', { token: alice.token });
      statuses.push(read.status);
      if (read.status === 200) {
        const ids = read.body.data.rows.newList.flatMap((section: any) => section.list.map((friend: any) => Number(friend.friend_id)));
        assert.deepStrictEqual(ids, [ bob.id ], 'a read answered during the cut is right');
      } else {
        assert.strictEqual(read.body?.msg, 'fail', JSON.stringify(read.body));
      }
      // A is not cut off: it goes on serving (its messages reach C's socket once C hears Redis again).
      accepted.push(ok(await send(A, alice, bob.id, `断网中 A ${i}`), 'send via A during the cut').data);
    }
    assert.ok(statuses.every(status => status === 200 || status === 503), `C answered only 200 or 503 during the cut: ${statuses.join(',')}`);
    assert.ok(statuses.includes(503), `the cut was felt (a 503): ${statuses.join(',')}`);
    for (const proxy of proxies) proxy.heal();

    const healed = Date.now();
    const after: number[] = [];
    let reply: Reply;
    do {
      await sleep(200);
      reply = await send(C, alice, bob.id, `恢复后 ${after.length}`);
      after.push(reply.status);
      if (reply.status === 200) accepted.push(reply.body.data.data);
    } while (reply.status !== 200 && Date.now() - healed < 30_000);
    assert.ok(after.every(status => status === 200 || status === 503), `after the heal: ${after.join(',')}`);
    assert.strictEqual(reply.status, 200, `C serves again after the heal: ${after.join(',')}`);
    const count = (status: number) => statuses.filter(s => s === status).length;
    console.log(`      C during the ${healed - started} ms cut: ${count(200)} × 200, ${count(503)} × 503; serving again ${Date.now() - healed} ms after the heal`);
    // A message sent through A after the heal reaches bob's socket on C: C's bus subscriber is back.
    accepted.push(ok(await send(A, alice, bob.id, '恢复后经A'), 'send via A after the heal').data);

    await bobOnC.waitFor(c => accepted.every(text => texts(c).includes(text)), 30_000, 'every accepted message on bob\'s socket on C');
    await sleep(500);
    assert.deepStrictEqual([ ...counts(bobOnC) ].filter(([ , n ]) => n > 1), [], 'each message once');
    ok(await call(C, 'POST', '/api/chat/getUserSetInfo', { token: alice.token, body: { userid: alice.id } }), 'the session on C after the heal');
  });
});
