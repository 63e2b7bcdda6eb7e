import { Service } from 'egg';
import { ThrottleRule } from '../../config/config.default';
import { TooManyRequestsError } from '../lib/errors';

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

  async clear(key: string): Promise<void> {
    await this.app.kvStore.del(`throttle:${key}`);
  }
}
