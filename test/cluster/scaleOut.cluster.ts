import * as assert from 'node:assert';
import { call, Reply, sleep } from '../helpers/server';
import { PASSWORD } from '../helpers/api';
import { ChatClient, connectReady } from '../helpers/socket';
import {
  A, B, NGINX, Account, befriend, friendIds, killInstance, killRedis, masterOf, ok, pauseReplica, redisCli, register,
  REDIS_PORTS, replicasInSync, restartInstance, restartRedis, sql, waitUntil,
} from './ensemble';

/**
 * Against the ensemble of scripts/cluster.sh (npm run test:cluster): two eggchat instances A and B on a
 * Redis Cluster (3 masters + 3 replicas) and a MariaDB primary + replica, nginx in front. Named
 * *.cluster.ts so that `npm test` (test/**\/*.test.ts) leaves it alone: it needs the ensemble.
 */

const sockets: ChatClient[] = [];

function texts(client: ChatClient): string[] {
  return client.chats().filter(data => data.type === 'text').map(data => data.data);
}

async function send(port: number, from: Account, to: number, data: string, chatType = 'single'): Promise<Reply> {
  return call(port, 'POST', '/api/chat/socket/sendmessage', { token: from.token, body: { sendto_id: to, chatType, type: 'text', data } });
}

/** The replica applies the primary's changes `seconds` late (0: at once). */
function delayReplica(seconds: number): void {
  sql('replica', `STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = ${seconds}; START SLAVE;`);
}

describe('test/cluster/scaleOut.cluster.ts', function() {
  this.timeout(120_000);

  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.ws.terminate();
  });

  describe('sessions, throttles and delivery across instances', () => {
    it('a session made on A works on B, and logout on A revokes it on B at once (and closes its socket on B)', async () => {
      const me = await register(A);
      ok(await call(B, 'POST', '/api/chat/getUserSetInfo', { token: me.token, body: { userid: me.id } }), 'B accepts A\'s token');
      const onB = await connectReady(B, me.token);
      sockets.push(onB);
      ok(await call(A, 'POST', '/api/chat/logout', { token: me.token }), 'logout on A');
      const after = await call(B, 'POST', '/api/chat/getUserSetInfo', { token: me.token, body: { userid: me.id } });
      assert.strictEqual(after.status, 401, JSON.stringify(after.body));
      await onB.closed;
      assert.strictEqual(onB.closeCode, 4001);
    });

    it('a message sent through A reaches the recipient\'s socket held by B', async () => {
      const [ alice, bob ] = [ await register(A), await register(B) ];
      await befriend(A, alice, bob, B);
      const bobOnB = await connectReady(B, bob.token);
      sockets.push(bobOnB);
      ok(await send(A, alice, bob.id, '经A到B'), 'send via A');
      await bobOnB.waitFor(c => texts(c).includes('经A到B'), 10_000, 'the message on B');
    });

    it('a group message reaches members holding sockets on A and on B', async () => {
      const owner = await register(A);
      const [ m1, m2 ] = [ await register(A), await register(B) ];
      await befriend(A, owner, m1);
      await befriend(A, owner, m2, B);
      // goodfriend row ids of the owner's contacts: group/create takes those.
      const rows = ok(await call(A, 'GET', '/api/chat/goodfriendlist', { token: owner.token }), 'list').rows.newList.flatMap((section: any) => section.list);
      ok(await call(A, 'POST', '/api/chat/group/create', { token: owner.token, body: { userIds: rows.map((row: any) => row.id) } }), 'group/create');
      const groups = ok(await call(B, 'GET', '/api/chat/grouplist', { token: owner.token }), 'grouplist');
      const groupId = Number((groups.rows ?? groups)[0].id);
      const [ onA, onB ] = [ await connectReady(A, m1.token), await connectReady(B, m2.token) ];
      sockets.push(onA, onB);
      ok(await send(B, owner, groupId, '群里两台都收到', 'group'), 'group send via B');
      for (const socket of [ onA, onB ]) await socket.waitFor(c => texts(c).includes('群里两台都收到'), 10_000, 'the group message');
    });

    it('a throttle counts across instances: failed logins alternated over A and B', async () => {
      const me = await register(A);
      const statuses: number[] = [];
      // LOGIN_FAIL_LIMIT_ACCOUNT is 10 (the default) in the ensemble.
      for (let i = 0; i < 11; i++) {
        const reply = await call(i % 2 ? B : A, 'POST', '/api/loginChat', { body: { username: me.username, password: `${PASSWORD}x` } });
        statuses.push(reply.status);
      }
      assert.deepStrictEqual(statuses.slice(0, 10).every(status => status === 400), true, statuses.join(','));
      assert.strictEqual(statuses[10], 429, statuses.join(','));
    });
  });

  describe('read replicas: read-your-writes', () => {
    after(() => {
      sql('replica', 'START SLAVE');
      delayReplica(0);
    });

    it('the writer reads their write at once; the other party reads the lagging replica, then sees it', async () => {
      const [ writer, other ] = [ await register(A), await register(B) ];
      ok(await call(B, 'POST', '/api/chat/updateUserinfo', { token: other.token, body: { fieldname: 'invite_confirm', fieldValue: 0 } }), 'invite_confirm 0');
      delayReplica(3);
      // Both have just written (register, settings): their markers (REPLICA_MAX_LAG_SECONDS 4 + 2 s) must expire first.
      await sleep(6500);
      ok(await call(A, 'POST', '/api/chat/autoAddFriendAndAgree', { token: writer.token, body: { friend_id: other.id } }), 'add');
      assert.ok((await friendIds(B, writer)).includes(other.id), 'the writer sees the new friend at once, on the other instance');
      assert.ok(!(await friendIds(A, other)).includes(writer.id), 'the other party reads the replica, 3 s behind');
      await waitUntil(15_000, async () => (await friendIds(A, other)).includes(writer.id), 'the other party to see it within the lag');
    });

    it('delivery reads the primary: a socket reopened on the other instance while the replica still holds the old receipt cursor, and offline fetches, repeat nothing', async () => {
      const [ alice, bob, carol ] = [ await register(A), await register(B), await register(A) ];
      await befriend(A, alice, bob, B); // bob accepts anyone from now on (invite_confirm 0)
      delayReplica(3);
      await sleep(6500); // every marker expires: bob's HTTP reads go to the replica
      const first = await connectReady(B, bob.token);
      sockets.push(first);
      const sent = [ '已送达一', '已送达二', '已送达三' ];
      for (const text of sent) ok(await send(A, alice, bob.id, text), 'send');
      await first.waitFor(c => sent.every(text => texts(c).includes(text)), 10_000, 'the three messages');
      // The socket's receipts (pongs) are written by B's cursor writer, outside any request, to the primary; the
      // replica applies them 3 s later.
      const last = Number(sql('primary', `SELECT MAX(seq) FROM eggchat.chat_inbox WHERE user_id = ${bob.id}`).trim());
      const cursor = (which: 'primary' | 'replica') => Number(sql(which, `SELECT delivered_seq FROM eggchat.chat_cursor WHERE user_id = ${bob.id}`).trim() || 0);
      await waitUntil(5000, () => cursor('primary') >= last, 'the receipt on the primary', 50);
      first.ws.close();
      await first.closed;
      assert.ok(cursor('replica') < last, 'the replica still has the old cursor');
      // Within the lag: bob's HTTP reads are served by the replica (carol's new friendship is not there yet) …
      ok(await call(A, 'POST', '/api/chat/autoAddFriendAndAgree', { token: carol.token, body: { friend_id: bob.id } }), 'carol adds bob');
      assert.ok(!(await friendIds(B, bob)).includes(carol.id), 'bob reads the lagging replica');
      // … while his new socket (on A) and his offline fetches (on both) read the primary: nothing pushed again.
      const second = await connectReady(A, bob.token);
      sockets.push(second);
      ok(await call(A, 'POST', '/api/chat/chatGetmessageOffLine', { token: bob.token }), 'offline fetch on A');
      ok(await call(B, 'POST', '/api/chat/chatGetmessageOffLine', { token: bob.token }), 'offline fetch on B');
      await sleep(1000);
      assert.ok(cursor('replica') < last, 'the checks ran while the replica still had the old cursor');
      assert.deepStrictEqual(texts(second).filter(text => sent.includes(text)), [], 'nothing delivered is pushed again');
      // And what comes next still arrives once.
      ok(await send(B, alice, bob.id, '新的一条'), 'send after');
      await second.waitFor(c => texts(c).includes('新的一条'), 10_000, 'the next message');
      assert.deepStrictEqual(texts(second), [ '新的一条' ]);
    });

    it('a replica whose SQL thread is stopped is left out: every read goes to the primary, no 5xx', async () => {
      delayReplica(0);
      sql('replica', 'STOP SLAVE SQL_THREAD');
      await sleep(1500);
      const [ writer, other ] = [ await register(A), await register(B) ];
      ok(await call(B, 'POST', '/api/chat/updateUserinfo', { token: other.token, body: { fieldname: 'invite_confirm', fieldValue: 0 } }), 'invite_confirm 0');
      await sleep(6500);
      ok(await call(A, 'POST', '/api/chat/autoAddFriendAndAgree', { token: writer.token, body: { friend_id: other.id } }), 'add');
      assert.ok((await friendIds(B, writer)).includes(other.id), 'the writer sees it');
      assert.ok((await friendIds(A, other)).includes(writer.id), 'the other party too: the stopped replica is not read');
      sql('replica', 'START SLAVE SQL_THREAD');
    });
  });

  describe('a replica that stops answering', () => {
    afterEach(() => pauseReplica(false));

    it('is left out within a check: reads of a caller without a recent write answer 200 and correctly', async () => {
      const [ writer, other ] = [ await register(A), await register(B) ];
      await befriend(A, writer, other, B);
      await sleep(6500); // both markers expire: their reads would go to the replica
      pauseReplica(true);
      await sleep(2000); // REPLICA_CHECK_MS 500: the check times out and leaves it out
      for (const port of [ A, B, A, B ]) {
        assert.ok((await friendIds(port, other)).includes(writer.id), 'read from the primary, not stuck on the replica');
      }
    });
  });

  describe('failures', () => {
    // Puts back what a test broke (a killed Redis node or instance), even when it fails.
    let restore: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await restore?.();
      restore = undefined;
    });

    it('Redis master failover: a few seconds of 503 at most, the session survives, every accepted message arrives', async () => {
      const [ alice, bob ] = [ await register(A), await register(B) ];
      await befriend(A, alice, bob, B);
      const bobOnB = await connectReady(B, bob.token);
      sockets.push(bobOnB);
      // A new session, and its master killed as soon as the login has answered: the store waited for a replica's
      // acknowledgement (WAIT 1), so the promoted replica has it.
      const victim = masterOf(`chat_user_${alice.id}`);
      // A replica restarted by an earlier test must be in sync before its master is killed, or nothing takes over.
      await replicasInSync(victim);
      alice.token = ok(await call(A, 'POST', '/api/loginChat', { body: { username: alice.username, password: PASSWORD } }), 'login').token;
      killRedis(victim);
      restore = () => restartRedis(victim);
      const started = Date.now();
      const statuses: number[] = [];
      const accepted: string[] = [];
      let firstOkAfter503 = 0;
      for (let i = 0; Date.now() - started < 15_000; i++) {
        const reply = await send(i % 2 ? B : A, alice, bob.id, `failover ${i}`);
        statuses.push(reply.status);
        if (reply.status === 200) accepted.push(`failover ${i}`);
        if (reply.status === 200 && statuses.includes(503) && !firstOkAfter503) firstOkAfter503 = Date.now() - started;
        if (accepted.length >= 5 && Date.now() - started > 8000) break;
        await sleep(100);
      }
      assert.ok(statuses.every(status => status === 200 || status === 503), `only 200 or 503: ${statuses.join(',')}`);
      const unavailable = statuses.filter(status => status === 503).length;
      assert.ok(unavailable * 100 < 10_000, `503s for at most a few seconds (${unavailable} × ~100 ms)`);
      assert.strictEqual(statuses[statuses.length - 1], 200, 'serving again');
      ok(await call(A, 'POST', '/api/chat/getUserSetInfo', { token: alice.token, body: { userid: alice.id } }), 'the session survived the failover');
      await bobOnB.waitFor(c => accepted.every(text => texts(c).includes(text)), 40_000, 'every accepted message');
    });

    it('sharded pub/sub: the master of the recipient\'s channel killed — live pushes resume after the failover, every accepted message arrives once', async () => {
      const [ alice, bob ] = [ await register(A), await register(B) ];
      await befriend(A, alice, bob, B);
      const bobOnB = await connectReady(B, bob.token);
      sockets.push(bobOnB);
      // The instances' bus prefix (config chat.busChannelPrefix: db 0 on a cluster) and bob's channel, which
      // instance B subscribed with SSUBSCRIBE on the master of the channel's slot.
      const channel = `eggchat:0:chat:u:${bob.id}`;
      const victim = masterOf(channel);
      assert.strictEqual(redisCli(victim, 'pubsub', 'shardchannels', channel).trim(), channel, 'a sharded subscription on the slot\'s master');
      // A replica restarted by an earlier test must be in sync before its master is killed, or nothing takes over.
      await replicasInSync(victim);
      ok(await send(A, alice, bob.id, 'before the kill'), 'send');
      await bobOnB.waitFor(c => texts(c).includes('before the kill'), 5000, 'the live push before');
      killRedis(victim);
      restore = () => restartRedis(victim);
      const started = Date.now();
      const statuses: number[] = [];
      const accepted: string[] = [ 'before the kill' ];
      for (let i = 0; Date.now() - started < 20_000; i++) {
        const reply = await send(A, alice, bob.id, `shard down ${i}`);
        statuses.push(reply.status);
        if (reply.status === 200) accepted.push(`shard down ${i}`);
        if (accepted.length >= 6 && Date.now() - started > 8000) break;
        await sleep(100);
      }
      assert.ok(statuses.every(status => status === 200 || status === 503), `only 200 or 503: ${statuses.join(',')}`);
      await bobOnB.waitFor(c => accepted.every(text => texts(c).includes(text)), 40_000, 'every accepted message');
      // The subscription moved to the promoted replica, and a push is live again (well under the 30 s heartbeat
      // whose inbox pump would otherwise be what delivers it).
      const living = REDIS_PORTS.find(port => port !== victim)!;
      let promoted = victim;
      await waitUntil(20_000, () => {
        try {
          promoted = masterOf(channel, living);
        } catch {
          // No master for the slot yet: the failover is still under way.
        }
        return promoted !== victim;
      }, 'a promoted master for the channel\'s slot');
      await waitUntil(10_000, () => redisCli(promoted, 'pubsub', 'shardchannels', channel).trim() === channel, 'subscribed again on the new master');
      const sentAt = Date.now();
      ok(await send(A, alice, bob.id, 'after the failover'), 'send after');
      await bobOnB.waitFor(c => texts(c).includes('after the failover'), 3000, 'a live push after the failover');
      accepted.push('after the failover');
      assert.ok(Date.now() - sentAt < 3000);
      // On screen (one entry per message id) each accepted text once: no message stored twice.
      const shown = [ ...bobOnB.screen().values() ].filter(data => data.type === 'text').map(data => data.data);
      assert.deepStrictEqual(shown.filter(text => accepted.includes(text)).sort(), [ ...accepted ].sort());
    });

    it('SIGKILL of instance B: A keeps serving, the socket reconnects through nginx, no accepted message lost', async () => {
      const [ alice, bob ] = [ await register(A), await register(A) ];
      await befriend(A, alice, bob);
      const bobOnB = await connectReady(B, bob.token);
      sockets.push(bobOnB);
      killInstance('b');
      restore = async () => restartInstance('b', B);
      await bobOnB.closed;
      const accepted: string[] = [];
      for (let i = 0; i < 5; i++) {
        accepted.push(ok(await send(NGINX, alice, bob.id, `after kill ${i}`), 'send through nginx while B is dead').data);
      }
      const again = await connectReady(NGINX, bob.token);
      sockets.push(again);
      await again.waitFor(c => accepted.every(text => texts(c).includes(text)), 15_000, 'the messages sent while B was dead');
      await restore();
      restore = undefined;
      ok(await call(B, 'POST', '/api/chat/getUserSetInfo', { token: bob.token, body: { userid: bob.id } }), 'B back');
    });
  });
});
