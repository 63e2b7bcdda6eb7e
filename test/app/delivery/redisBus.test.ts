import * as util from 'node:util';
import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { RedisBus } from '../../../app/delivery/redisBus';
import { BusEvent, GroupEvent } from '../../../app/delivery/events';
import { startRedis } from '../../helpers/server';

/**
 * The production bus on a real Redis: pub/sub channels are server-wide whatever database REDIS_URL
 * names, so two deployments sharing a Redis server hear only their own events (channel prefix).
 */
describe('test/app/delivery/redisBus.test.ts', () => {
  const buses: RedisBus[] = [];

  before(async function() {
    await app.ready();
    if (!(app as any).redis) {
      // eslint-disable-next-line no-console
      console.log('      (skipped: the Redis bus is the production profile\'s)');
      this.skip();
    }
  });

  after(async () => {
    for (const bus of buses.splice(0)) await bus.close();
  });

  function bus(prefix: string): { bus: RedisBus; users: Array<[ number, BusEvent ]>; groups: GroupEvent[] } {
    const made = new RedisBus((app as any).redis, app.logger, prefix);
    buses.push(made);
    const users: Array<[ number, BusEvent ]> = [];
    const groups: GroupEvent[] = [];
    made.onEvent((userId, event) => users.push([ userId, event ]));
    made.onGroupEvent(event => groups.push(event));
    return { bus: made, users, groups };
  }

  it('the default prefix names the Redis database', () => {
    const db = (app.config as any).redis.client.db;
    assert.strictEqual(app.config.chat.busChannelPrefix, process.env.REDIS_CHANNEL_PREFIX ?? `eggchat:${db}:`);
  });

  it('a subscriber that keeps failing is logged once per window, then with the count of the errors left out', async () => {
    const saved = RedisBus.errorLogWindowMs;
    RedisBus.errorLogWindowMs = 1500;
    const redis = await startRedis();
    const publisher = (app as any).redis.duplicate({ host: '127.0.0.1', port: redis.port, db: 0 });
    publisher.on('error', () => undefined);
    const lines: string[] = [];
    const logger = { warn: (text: string, ...args: unknown[]) => lines.push(util.format(text, ...args)) };
    const made = new RedisBus(publisher, logger, 'eggchat-test-errors:');
    let errors = 0;
    (made as any).subscriber.on('error', () => errors++);
    try {
      await made.subscribe(7);
      await redis.kill();
      // ioredis reconnects with its backoff, an 'error' each time: a handful within the window.
      const deadline = Date.now() + 1200;
      while (Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50));
      assert.ok(errors >= 3, `errors seen: ${errors}`);
      assert.strictEqual(lines.length, 1, lines.join('\n'));
      assert.match(lines[0], /^\[chat bus\] redis subscriber: \S/);
      await new Promise(resolve => setTimeout(resolve, 800));
      assert.ok(lines.length >= 2, lines.join('\n'));
      assert.match(lines[1], /^\[chat bus\] redis subscriber: \d+ more errors in 1500 ms, the last: \S/);
    } finally {
      RedisBus.errorLogWindowMs = saved;
      await made.close();
      publisher.disconnect();
    }
  });

  it('events published under one prefix reach its subscribers and nobody under another', async () => {
    const one = bus('eggchat-test-one:');
    const two = bus('eggchat-test-two:');
    await one.bus.subscribe(42);
    await two.bus.subscribe(42);
    // Let the group channel subscriptions made in the constructors complete.
    await new Promise(resolve => setTimeout(resolve, 200));
    await one.bus.publish(42, { k: 'pump' });
    await one.bus.publishGroup({ g: 7, seq: 1, v: 1, skip: null, payload: '{}' });
    const deadline = Date.now() + 2000;
    while ((one.users.length < 1 || one.groups.length < 1) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20));
    assert.deepStrictEqual(one.users, [[ 42, { k: 'pump' }]]);
    assert.deepStrictEqual(one.groups, [{ g: 7, seq: 1, v: 1, skip: null, payload: '{}' }]);
    await new Promise(resolve => setTimeout(resolve, 200));
    assert.deepStrictEqual(two.users, []);
    assert.deepStrictEqual(two.groups, []);
  });
});
