import * as assert from 'node:assert';
import * as path from 'node:path';
import Redis from 'ioredis';
import configDefault from '../../config/config.default';
import { RedisKeyValueStore } from '../../app/lib/store/RedisKeyValueStore';
import { RedisBus } from '../../app/delivery/redisBus';
import { BusEvent, GroupEvent } from '../../app/delivery/events';
import { env, waitUntil } from './ensemble';

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

  it('the bus: a user event and a group event published by one instance reach another instance\'s subscriber', async () => {
    const prefix = `eggchat:test${Date.now()}:`;
    const one = new RedisBus(await connected(), logger, prefix);
    const two = new RedisBus(await connected(), logger, prefix);
    const got: Array<[number, BusEvent]> = [];
    const groups: GroupEvent[] = [];
    two.onEvent((userId, event) => got.push([ userId, event ]));
    two.onGroupEvent(event => groups.push(event));
    await two.subscribe(4242);
    await new Promise(resolve => setTimeout(resolve, 300));
    await one.publish(4242, { k: 'ended', sid: 'abc' } as BusEvent);
    await one.publishGroup({ g: 7, seq: 1 } as unknown as GroupEvent);
    await waitUntil(5000, () => got.length === 1 && groups.length === 1, 'both events on the other bus');
    assert.deepStrictEqual(got[0], [ 4242, { k: 'ended', sid: 'abc' }]);
    assert.strictEqual((groups[0] as any).g, 7);
    await one.close();
    await two.close();
  });
});
