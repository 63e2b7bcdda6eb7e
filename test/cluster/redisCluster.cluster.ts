import * as assert from 'node:assert';
import * as path from 'node:path';
import Redis from 'ioredis';
import configDefault from '../../config/config.default';
import { RedisKeyValueStore } from '../../app/lib/store/RedisKeyValueStore';
import { RedisBus } from '../../app/delivery/redisBus';
import { BusEvent, GroupEvent } from '../../app/delivery/events';
import { env, killRedis, masterOf, redisCli, REDIS_PORTS, restartRedis, waitUntil } from './ensemble';

/**
 * The session/throttle store and the bus on the ensemble's Redis Cluster, with the client the app makes
 * from REDIS_CLUSTER_NODES (config.default.ts → egg-redis `cluster: true` → ioredis Cluster).
 */
function clusterClient(): any {
  const saved = process.env.REDIS_CLUSTER_NODES;
  process.env.REDIS_CLUSTER_NODES = env.REDIS_CLUSTER_NODES;
  try {
    const { client } = (configDefault({ name: 'eggchat', baseDir: path.join(__dirname, '..', '..'), env: 'prod' } as any) as any).redis;
    // As egg-redis does it (node_modules/egg-redis/lib/redis.js).
    return new Redis.Cluster(client.nodes, client);
  } finally {
    if (saved === undefined) delete process.env.REDIS_CLUSTER_NODES;
    else process.env.REDIS_CLUSTER_NODES = saved;
  }
}

const logger = { warn: () => undefined };
const clients: any[] = [];

async function connected(): Promise<any> {
  const client = clusterClient();
  clients.push(client);
  await new Promise(resolve => client.once('ready', resolve));
  return client;
}

describe('test/cluster/redisCluster.cluster.ts', function() {
  this.timeout(30_000);

  after(() => {
    for (const client of clients) client.disconnect();
  });

  it('the keys of many users lie on all three masters; getMany reads them (MGET would answer CROSSSLOT)', async () => {
    const redis = await connected();
    const store = new RedisKeyValueStore(redis);
    const keys = Array.from({ length: 30 }, (_, i) => `scaleout_test_${Date.now()}_${i}`);
    for (const [ i, key ] of keys.entries()) await store.set(key, `v${i}`, 60);
    const masters = new Set(await Promise.all(keys.map(key => redis.cluster('keyslot', key).then((slot: number) => {
      const node = (redis as any).slots[slot]?.[0];
      return node;
    }))));
    assert.strictEqual(masters.size, 3, 'spread over the three masters');
    await assert.rejects(redis.mget(...keys), /CROSSSLOT|same slot/);
    assert.deepStrictEqual(await store.getMany([ ...keys, 'scaleout_missing' ]), [ ...keys.map((_, i) => `v${i}`), null ]);
    await Promise.all(keys.map(key => store.del(key)));
  });

  it('the scripts (one key each) and MULTI on one key: counters, deadlines, conditional deletes', async () => {
    const store = new RedisKeyValueStore(await connected());
    const key = `scaleout_counter_${Date.now()}`;
    assert.strictEqual((await store.incr(key, 60)).count, 1);
    assert.strictEqual((await store.incr(key, 60)).count, 2);
    const peeked = await store.peek(key);
    assert.strictEqual(peeked?.count, 2);
    assert.ok(peeked!.ttlMs > 50_000 && peeked!.ttlMs <= 60_000, String(peeked?.ttlMs));
    const session = `scaleout_session_${Date.now()}`;
    await store.set(session, 'sid1.fp', 60);
    await store.delIfStartsWith(session, 'other.');
    assert.strictEqual(await store.get(session), 'sid1.fp');
    await store.delIfStartsWith(session, 'sid1.');
    assert.strictEqual(await store.get(session), null);
    await store.del(key);
  });

  for (const sharded of [ true, false ]) {
    const mode = sharded ? 'sharded pub/sub (REDIS_SHARDED_PUBSUB=1, the default)' : 'classic pub/sub (REDIS_SHARDED_PUBSUB=0)';
    it(`the bus on ${mode}: a user event and a group event published by one instance reach another instance's subscriber`, async () => {
      const prefix = `eggchat:test${Date.now()}:`;
      const one = new RedisBus(await connected(), logger, prefix, sharded);
      const two = new RedisBus(await connected(), logger, prefix, sharded);
      const got: Array<[number, BusEvent]> = [];
      const groups: GroupEvent[] = [];
      two.onEvent((userId, event) => got.push([ userId, event ]));
      two.onGroupEvent(event => groups.push(event));
      await two.subscribe(4242);
      await new Promise(resolve => setTimeout(resolve, 300));
      // Where the channel lives: sharded, on the master of its slot only (PUBSUB SHARDCHANNELS there); classic, a
      // PUBSUB CHANNELS subscription on whichever node the subscriber sits, and no shard channel anywhere.
      const channel = `${prefix}chat:u:4242`;
      const owner = masterOf(channel);
      const listing = (kind: string) => REDIS_PORTS.filter(port => redisCli(port, 'pubsub', kind, channel).trim() === channel);
      assert.deepStrictEqual(listing('shardchannels'), sharded ? [ owner ] : []);
      assert.strictEqual(listing('channels').length, sharded ? 0 : 1);
      await one.publish(4242, { k: 'ended', sid: 'abc' } as BusEvent);
      await one.publishGroup({ g: 7, seq: 1 } as unknown as GroupEvent);
      await waitUntil(5000, () => got.length === 1 && groups.length === 1, 'both events on the other bus');
      assert.deepStrictEqual(got[0], [ 4242, { k: 'ended', sid: 'abc' }]);
      assert.strictEqual((groups[0] as any).g, 7);
      // Unsubscribed when its last socket leaves.
      await two.unsubscribe(4242);
      await waitUntil(3000, () => listing(sharded ? 'shardchannels' : 'channels').length === 0, 'channel gone');
      await one.close();
      await two.close();
    });
  }

  it('a shard with no master for 6 s: the sharded subscriber retries with a backoff (a few errors, not a loop), and delivery resumes once it is back', async () => {
    const prefix = `eggchat:test${Date.now()}:`;
    const one = new RedisBus(await connected(), logger, prefix, true);
    const two = new RedisBus(await connected(), logger, prefix, true);
    const got: number[] = [];
    two.onEvent(userId => got.push(userId));
    let errors = 0;
    (two as any).userSubscriber.on('error', () => errors++);
    await two.subscribe(5151);
    await waitUntil(5000, () => REDIS_PORTS.some(port => redisCli(port, 'pubsub', 'shardchannels').includes(`${prefix}chat:u:5151`)), 'subscribed');
    // The channel's master and its replica both down: nothing can take the slots over.
    const channel = `${prefix}chat:u:5151`;
    const master = masterOf(channel);
    const masterId = redisCli(master, 'cluster', 'myid').trim();
    const replicas = redisCli(master, 'cluster', 'replicas', masterId).trim().split('\n')
      .filter(Boolean)
      .map(line => Number(line.split(' ')[1].split(':')[1].split('@')[0]));
    const victims = [ master, ...replicas ];
    for (const port of victims) killRedis(port);
    try {
      await new Promise(resolve => setTimeout(resolve, 6000));
      // Without the backoff ioredis 5.11.1 loops: ~50 errors a second (docs/SCALING.md §7).
      assert.ok(errors > 0 && errors <= 30, `errors in 6 s: ${errors}`);
    } finally {
      await restartRedis(...victims);
    }
    await waitUntil(15_000, () => redisCli(masterOf(channel), 'pubsub', 'shardchannels', channel).trim() === channel, 'subscribed again');
    await one.publish(5151, { k: 'pump' });
    await waitUntil(5000, () => got.includes(5151), 'delivered after the shard came back');
    await one.close();
    await two.close();
  });
});
