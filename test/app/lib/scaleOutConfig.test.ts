import * as assert from 'node:assert';
import * as path from 'node:path';
import { redisClusterFromEnv, redisConfigured, replicasFromEnv, shardedPubsubFromEnv } from '../../../app/lib/scaleOutConfig';
import configDefault from '../../../config/config.default';

const BASE_DIR = path.resolve(__dirname, '..', '..', '..');

/** config.default.ts evaluated under `env` (it reads process.env when called). */
function configUnder(env: Record<string, string | undefined>): any {
  const saved: Record<string, string | undefined> = {};
  for (const key of Object.keys(env)) {
    saved[key] = process.env[key];
    if (env[key] === undefined) delete process.env[key];
    else process.env[key] = env[key];
  }
  try {
    return configDefault({ name: 'eggchat', baseDir: BASE_DIR, env: 'unittest' } as any);
  } finally {
    for (const [ key, value ] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

const NONE = { REDIS_URL: undefined, REDIS_CLUSTER_NODES: undefined, REDIS_CLUSTER_NAT_MAP: undefined, REDIS_PASSWORD: undefined, DATABASE_REPLICA_URLS: undefined };

describe('test/app/lib/scaleOutConfig.test.ts', () => {
  describe('the send path\'s round trips (issue 12)', () => {
    it('DB_BATCHED_SEND: on unless 0', () => {
      assert.strictEqual(configUnder({ DB_BATCHED_SEND: undefined }).chat.batchedSend, true);
      assert.strictEqual(configUnder({ DB_BATCHED_SEND: '0' }).chat.batchedSend, false);
    });
  });

  describe('Redis Cluster', () => {
    it('REDIS_CLUSTER_NODES: seed nodes, the password from REDIS_PASSWORD', () => {
      assert.deepStrictEqual(redisClusterFromEnv({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001,', REDIS_PASSWORD: 'p@ss' }), {
        nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }], password: 'p@ss',
      });
    });

    it('a redis+cluster:// REDIS_URL: nodes and the URL-encoded password', () => {
      assert.deepStrictEqual(redisClusterFromEnv({ REDIS_URL: 'redis+cluster://:s%40cret@a.example:6379,b.example:6380/0' }), {
        nodes: [{ host: 'a.example', port: 6379 }, { host: 'b.example', port: 6380 }], password: 's@cret',
      });
    });

    it('REDIS_CLUSTER_NAT_MAP: ioredis natMap (announced address → the one to dial); absent by default', () => {
      assert.deepStrictEqual(redisClusterFromEnv({ REDIS_CLUSTER_NODES: '127.0.0.1:7812', REDIS_CLUSTER_NAT_MAP: '127.0.0.1:7800=127.0.0.1:7812, 10.0.0.2:6379=203.0.113.9:16379' }), {
        nodes: [{ host: '127.0.0.1', port: 7812 }], password: '',
        natMap: { '127.0.0.1:7800': { host: '127.0.0.1', port: 7812 }, '10.0.0.2:6379': { host: '203.0.113.9', port: 16379 } },
      });
      assert.throws(() => redisClusterFromEnv({ REDIS_CLUSTER_NODES: '127.0.0.1:7812', REDIS_CLUSTER_NAT_MAP: '127.0.0.1:7800' }), /REDIS_CLUSTER_NAT_MAP: "127.0.0.1:7800" is not host:port=host:port/);
      const config = configUnder({ ...NONE, REDIS_CLUSTER_NODES: '127.0.0.1:7600', REDIS_CLUSTER_NAT_MAP: '127.0.0.1:7600=127.0.0.1:7612' });
      assert.deepStrictEqual(config.redis.client.natMap, { '127.0.0.1:7600': { host: '127.0.0.1', port: 7612 } });
      assert.ok(!('natMap' in configUnder({ ...NONE, REDIS_CLUSTER_NODES: '127.0.0.1:7600' }).redis.client), 'no natMap unless set');
    });

    it('a plain redis:// URL or nothing: no cluster', () => {
      assert.strictEqual(redisClusterFromEnv({ REDIS_URL: 'redis://127.0.0.1:6379/7' }), undefined);
      assert.strictEqual(redisClusterFromEnv({}), undefined);
    });

    it('REDIS_SHARDED_PUBSUB: on by default on a cluster, 0 turns it off, never without a cluster; other values refused', () => {
      const cluster = { REDIS_CLUSTER_NODES: '127.0.0.1:7600' };
      assert.strictEqual(shardedPubsubFromEnv(cluster), true);
      assert.strictEqual(shardedPubsubFromEnv({ ...cluster, REDIS_SHARDED_PUBSUB: '0' }), false);
      assert.strictEqual(shardedPubsubFromEnv({ ...cluster, REDIS_SHARDED_PUBSUB: '1' }), true);
      assert.strictEqual(shardedPubsubFromEnv({ REDIS_URL: 'redis+cluster://127.0.0.1:7600' }), true);
      assert.strictEqual(shardedPubsubFromEnv({ REDIS_URL: 'redis://127.0.0.1:6379/7', REDIS_SHARDED_PUBSUB: '1' }), false);
      assert.strictEqual(shardedPubsubFromEnv({}), false);
      assert.throws(() => shardedPubsubFromEnv({ ...cluster, REDIS_SHARDED_PUBSUB: 'yes' }), /REDIS_SHARDED_PUBSUB must be 0 or 1, got "yes"/);
      assert.strictEqual(configUnder({ ...NONE, ...cluster, REDIS_SHARDED_PUBSUB: undefined }).chat.shardedPubsub, true);
      assert.strictEqual(configUnder({ ...NONE, REDIS_URL: 'redis://127.0.0.1:6379/7' }).chat.shardedPubsub, false);
    });

    it('a node without a port is refused with the variable named', () => {
      assert.throws(() => redisClusterFromEnv({ REDIS_CLUSTER_NODES: '10.0.0.1' }), /REDIS_CLUSTER_NODES: "10.0.0.1" is not host:port/);
      assert.throws(() => redisClusterFromEnv({ REDIS_URL: 'redis+cluster://' }), /at least one host:port/);
    });

    it('the config: egg-redis cluster mode, per-node timeouts under redisOptions, Redis sessions', () => {
      const config = configUnder({ ...NONE, REDIS_CLUSTER_NODES: '127.0.0.1:7600,127.0.0.1:7601', REDIS_PASSWORD: 'pw' });
      assert.strictEqual(config.redis.client.cluster, true);
      assert.deepStrictEqual(config.redis.client.nodes, [{ host: '127.0.0.1', port: 7600 }, { host: '127.0.0.1', port: 7601 }]);
      assert.strictEqual(config.redis.client.enableOfflineQueue, false);
      assert.strictEqual(config.redis.client.redisOptions.password, 'pw');
      assert.strictEqual(config.redis.client.redisOptions.commandTimeout, 1000);
      assert.strictEqual(config.chat.sessionStore, 'redis');
      assert.strictEqual(redisConfigured({ REDIS_CLUSTER_NODES: '127.0.0.1:7600' }), true);
    });

    it('unchanged without it: one Redis (REDIS_URL), or none (embedded)', () => {
      const single = configUnder({ ...NONE, REDIS_URL: 'redis://127.0.0.1:6379/7' });
      assert.strictEqual(single.redis.client.cluster, undefined);
      assert.strictEqual(single.redis.client.db, 7);
      assert.strictEqual(single.chat.sessionStore, 'redis');
      const embedded = configUnder(NONE);
      assert.strictEqual(embedded.redis, undefined);
      assert.strictEqual(embedded.chat.sessionStore, 'sql');
      assert.strictEqual(redisConfigured({}), false);
    });
  });

  describe('read replicas', () => {
    it('DATABASE_REPLICA_URLS: Sequelize replication.read entries', () => {
      assert.deepStrictEqual(replicasFromEnv({ DATABASE_URL: 'mysql://w:x@10.0.0.1/eggchat', DATABASE_REPLICA_URLS: 'mysql://r:p%2F1@10.0.0.2:3307/eggchat, mariadb://r2@10.0.0.3/eggchat' }), [
        { host: '10.0.0.2', port: 3307, username: 'r', password: 'p/1' },
        { host: '10.0.0.3', port: 3306, username: 'r2', password: '' },
      ]);
      assert.deepStrictEqual(replicasFromEnv({}), []);
    });

    it('refused without a primary, or with another scheme', () => {
      assert.throws(() => replicasFromEnv({ DATABASE_REPLICA_URLS: 'mysql://r@10.0.0.2/eggchat' }), /needs DATABASE_URL/);
      assert.throws(() => replicasFromEnv({ DATABASE_URL: 'mysql://w@h/eggchat', DATABASE_REPLICA_URLS: 'postgres://r@h/eggchat' }), /is not mysql/);
    });

    it('the config: replication only when set, the primary stays the write side', () => {
      const primary = 'mysql://w:x@10.0.0.1:3306/eggchat';
      const config = configUnder({ ...NONE, DATABASE_URL: primary, DATABASE_REPLICA_URLS: 'mysql://r:p@10.0.0.2:3306/eggchat' });
      assert.deepStrictEqual(config.sequelize.replication.read, [{ host: '10.0.0.2', port: 3306, username: 'r', password: 'p' }]);
      assert.deepStrictEqual(config.sequelize.replication.write, {});
      assert.strictEqual(config.sequelize.host, '10.0.0.1');
      assert.strictEqual(configUnder({ ...NONE, DATABASE_URL: primary }).sequelize.replication, undefined);
    });
  });
});
