import type { Redis } from 'ioredis';
import { KeyValueStore } from './KeyValueStore';

const INCR_WITH_WINDOW = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { count, redis.call('PTTL', KEYS[1]) }`;

export class RedisKeyValueStore implements KeyValueStore {
  constructor(private readonly redis: Redis) {}

  async get(key: string): Promise<string | null> {
    return this.redis.get(key);
  }

  async set(key: string, value: string, ttlSeconds: number, _transaction?: unknown): Promise<void> {
    await this.redis.set(key, value, 'EX', ttlSeconds);
  }

  async del(key: string): Promise<void> {
    await this.redis.del(key);
  }

  async peek(key: string): Promise<{ count: number; ttlMs: number } | null> {
    const [[ , value ], [ , ttlMs ]] = await this.redis.multi().get(key).pttl(key)
      .exec() as Array<[Error | null, any]>;
    return value === null ? null : { count: Number(value), ttlMs: Math.max(0, Number(ttlMs)) };
  }

  async incr(key: string, windowSeconds: number): Promise<{ count: number; ttlMs: number }> {
    const [ count, ttlMs ] = await this.redis.eval(INCR_WITH_WINDOW, 1, key, windowSeconds * 1000) as [number, number];
    return { count, ttlMs };
  }
}
