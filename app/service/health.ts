import { Service } from 'egg';

export interface HealthReport { db: 'up' | 'down'; redis: 'up' | 'down' | 'embedded' }

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error('health check timed out')), ms); }),
  ]).finally(() => clearTimeout(timer));
}

export default class HealthService extends Service {
  /** Pings each dependency, each within a short deadline; never throws. */
  async check(timeoutMs = 1500): Promise<HealthReport> {
    const redis = (this.app as any).redis;
    const [ db, cache ] = await Promise.all([
      within(this.ctx.model.query('SELECT 1'), timeoutMs).then(() => 'up' as const, () => 'down' as const),
      redis
        ? within(redis.ping(), timeoutMs).then(() => 'up' as const, () => 'down' as const)
        : Promise.resolve('embedded' as const),
    ]);
    return { db, redis: cache };
  }
}
