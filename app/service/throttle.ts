import { Service } from 'egg';
import { ThrottleRule } from '../../config/config.default';
import { TooManyRequestsError } from '../lib/errors';
import { LocalCounters } from '../lib/store/LocalCounters';

/** This worker's counters for `hitFrequent` in the embedded profile. */
const workerCounters = new LocalCounters();

/** Counters in the shared store (Redis or the database): every worker sees the same numbers. */
export default class ThrottleService extends Service {
  /** Refuses with 429 + Retry-After when any of the counters has reached its limit. */
  async assertUnder(...checks: Array<[ string, ThrottleRule ]>): Promise<void> {
    const counters = await Promise.all(checks.map(([ key ]) => this.app.kvStore.peek(`throttle:${key}`)));
    counters.forEach((counter, i) => {
      if (counter && counter.count >= checks[i][1].limit) throw new TooManyRequestsError(counter.ttlMs / 1000);
    });
  }

  async hit(...checks: Array<[ string, ThrottleRule ]>): Promise<void> {
    await Promise.all(checks.map(([ key, rule ]) => this.app.kvStore.incr(`throttle:${key}`, rule.windowSeconds)));
  }

  /**
   * Counts one hit of a limit checked on every request of a hot route (the per-sender send limit) and
   * answers the counter. Production profile: the shared store (one Redis script, as `hit`). Embedded
   * profile (one instance): this worker's memory — in the kv_store table each hit was a write
   * transaction of its own, queued behind every other write of the instance. Each worker counts apart,
   * so a sender whose requests reach several workers can get up to `workers × limit` through per
   * window (egg's cluster spreads connections, not requests: a client's keep-alive connection stays on
   * one worker), and a restart forgets the counts. It is a flood guard, and stays one.
   */
  async hitFrequent(key: string, rule: ThrottleRule): Promise<{ count: number; ttlMs: number }> {
    if (this.app.config.chat.sessionStore === 'redis') return this.app.kvStore.incr(`throttle:${key}`, rule.windowSeconds);
    return workerCounters.incr(`throttle:${key}`, rule.windowSeconds);
  }

  async clear(key: string): Promise<void> {
    await this.app.kvStore.del(`throttle:${key}`);
  }
}
