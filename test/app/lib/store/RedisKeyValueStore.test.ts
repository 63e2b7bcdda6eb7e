import * as assert from 'node:assert';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { app } from 'egg-mock/bootstrap';
import { RedisKeyValueStore } from '../../../../app/lib/store/RedisKeyValueStore';
import { ServiceUnavailableError } from '../../../../app/lib/errors';
import { RedisProcess, sleep, startRedis } from '../../../helpers/server';
import { behavesAsKeyValueStore } from './storeContract';

/**
 * The production profile's store against a real redis-server of the test's own (it gets stopped with
 * SIGSTOP here, so never the shared one), through clients set up like the app's (config/config.default.ts).
 */
describe('test/app/lib/store/RedisKeyValueStore.test.ts', function() {
  this.timeout(30_000);

  let redis: RedisProcess | undefined;
  let store: RedisKeyValueStore;
  const clients: Redis[] = [];

  async function connect(commandTimeout?: number): Promise<RedisKeyValueStore> {
    const client = new Redis({ host: '127.0.0.1', port: redis!.port, maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout });
    clients.push(client);
    await new Promise((resolve, reject) => {
      client.once('ready', resolve);
      client.once('error', reject);
    });
    return new RedisKeyValueStore(client);
  }

  /** Stops redis-server (connections stay open, nothing is answered) until `resume` is called. */
  function stopRedis(): { resume(): void } {
    const pid = redis!.child.pid!;
    process.kill(pid, 'SIGSTOP');
    let stopped = true;
    return {
      resume: () => {
        if (stopped) process.kill(pid, 'SIGCONT');
        stopped = false;
      },
    };
  }

  const isUnavailable = (err: unknown) => err instanceof ServiceUnavailableError && err.status === 503;

  before(async function() {
    if (spawnSync('redis-server', [ '--version' ]).error) {
      // eslint-disable-next-line no-console
      console.log('      (skipped: needs the redis-server binary)');
      this.skip();
    }
    redis = await startRedis();
    store = await connect(1000);
  });

  after(async () => {
    for (const client of clients) client.disconnect();
    if (redis) await redis.kill();
  });

  behavesAsKeyValueStore(() => store, work => app.transaction(work));

  it('a set or delete that timed out while Redis was stopped does nothing when Redis runs it after all', async () => {
    const paused = await connect(200);
    const key = `test:store:${randomUUID()}`;
    await paused.set(key, 'sidA.fp', 60);
    const stop = stopRedis();
    try {
      await assert.rejects(paused.set(key, 'sidB.fp', 60), /Command timed out/);
      await assert.rejects(paused.delIfStartsWith(key, 'sidA.'), /Command timed out/);
    } finally {
      stop.resume();
    }
    // Sent after both on the same connection: Redis has run the two late scripts when this is answered.
    assert.strictEqual(await paused.get(key), 'sidA.fp');
    assert.strictEqual(await store.get(key), 'sidA.fp');
  });

  it('a write that Redis runs past its deadline, while the app still waits, is refused with 503 and not done', async () => {
    // Deadline 1000 ms after sending, command timeout 2000 ms: Redis comes back in between.
    const slow = await connect(2000);
    const key = `test:store:${randomUUID()}`;
    await slow.set(key, 'sidA.fp', 60);
    const stop = stopRedis();
    let writes: Array<Promise<void>>;
    try {
      writes = [ slow.set(key, 'sidB.fp', 60), slow.delIfStartsWith(key, 'sidA.') ];
      await sleep(1500);
    } finally {
      stop.resume();
    }
    for (const write of writes) await assert.rejects(write, isUnavailable);
    assert.strictEqual(await slow.get(key), 'sidA.fp');
  });

  it('without a command timeout a write waits for a stopped Redis and is done', async () => {
    const patient = await connect(undefined);
    const key = `test:store:${randomUUID()}`;
    const stop = stopRedis();
    let write: Promise<void>;
    try {
      write = patient.set(key, 'sidA.fp', 60);
      await sleep(300);
    } finally {
      stop.resume();
    }
    await write;
    assert.strictEqual(await patient.get(key), 'sidA.fp');
  });
});
