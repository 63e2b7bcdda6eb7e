import Redis from 'ioredis';
import { Sequelize } from 'sequelize';
import { DEFAULT_JWT_SECRET } from '../../config/config.default';

/**
 * Start-up checks (agent.ts runs them once per cluster, before any worker starts): a server that cannot
 * work exits within seconds with one clear line instead of retrying, hanging or logging driver noise.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
    // The message says everything; a stack trace of the check itself would only hide it.
    this.stack = `${this.name}: ${message}`;
  }
}

interface Logger { warn(...args: any[]): void }

export function assertJwtSecret(env: string, secret: string | undefined): void {
  if (env === 'prod' && (!process.env.JWT_SECRET || secret === DEFAULT_JWT_SECRET)) {
    throw new StartupError('JWT_SECRET must be set to a secret of your own in production (EGG_SERVER_ENV=prod), ' +
      'e.g. export JWT_SECRET="$(openssl rand -hex 32)"');
  }
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([ promise, deadline ]).finally(() => clearTimeout(timer));
}

const DB_HINTS: Record<string, string> = {
  ER_BAD_DB_ERROR: 'create the database first (CREATE DATABASE … CHARACTER SET utf8mb4), then npm run migrate',
  ER_ACCESS_DENIED_ERROR: 'check the user and password in DATABASE_URL',
  ER_ACCESS_DENIED_NO_PASSWORD_ERROR: 'this account refuses password-less TCP logins (MariaDB root uses unix_socket): ' +
    'create a user with a password and put it in DATABASE_URL',
};

/** Opens one connection to the MySQL/MariaDB server named by DATABASE_URL, or throws a StartupError. */
export async function assertDatabaseReachable(options: any, timeoutMs: number): Promise<void> {
  if (options.dialect === 'sqlite') return;
  const where = `${options.host}:${options.port}`;
  const sequelize = new Sequelize(options.database, options.username, options.password, {
    dialect: options.dialect,
    host: options.host,
    port: options.port,
    dialectOptions: { ...options.dialectOptions, connectTimeout: timeoutMs },
    pool: { max: 1, min: 0, acquire: timeoutMs + 1000 },
    logging: false,
  });
  try {
    await within(sequelize.authenticate(), timeoutMs + 1000);
  } catch (err: any) {
    const code = err?.original?.code || err?.parent?.code || err?.code;
    const hint = DB_HINTS[code] ? ` (${DB_HINTS[code]})` : '';
    throw new StartupError(`Cannot reach the database at ${where} (DATABASE_URL): ${err?.message || err}${hint}`);
  } finally {
    await sequelize.close().catch(() => undefined);
  }
}

/** A Redis server reached but too old for a feature the configuration asks for. */
class RedisVersionError extends StartupError {}

/** Connects to the Redis server named by REDIS_URL and sends PING (AUTH and SELECT included), or throws. */
export async function assertRedisReachable(client: { host: string; port: number; password?: string; db?: number; cluster?: boolean; nodes?: Array<{ host: string; port: number }>; redisOptions?: { password?: string } } | undefined,
  timeoutMs: number, minVersion?: { major: number; why: string }): Promise<void> {
  if (!client) return;
  if (client.cluster) {
    // A Redis Cluster: one seed node answering is enough (ioredis learns the others from it).
    const failures: string[] = [];
    for (const node of client.nodes || []) {
      try {
        await assertRedisReachable({ host: node.host, port: node.port, password: client.redisOptions?.password }, timeoutMs, minVersion);
        return;
      } catch (err: any) {
        if (err instanceof RedisVersionError) throw err;
        failures.push(err.message);
      }
    }
    throw new StartupError(`Cannot reach any Redis Cluster node (REDIS_CLUSTER_NODES): ${failures.join('; ')}`);
  }
  const where = `${client.host}:${client.port}`;
  const redis = new Redis({
    host: client.host,
    port: client.port,
    password: client.password || undefined,
    db: client.db || 0,
    connectTimeout: timeoutMs,
    lazyConnect: true,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // The connection error (ECONNREFUSED, ETIMEDOUT…) says more than connect()'s "Connection is closed".
  let connectionError: Error | undefined;
  redis.on('error', (err: Error) => { connectionError = connectionError || err; });
  try {
    await within(redis.connect().then(() => redis.ping()), timeoutMs + 1000);
    if (minVersion) {
      const version = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] || '0';
      if (Number(version.split('.')[0]) < minVersion.major) {
        throw new RedisVersionError(`Redis at ${where} is version ${version}: ${minVersion.why}`);
      }
    }
  } catch (err: any) {
    if (err instanceof RedisVersionError) throw err;
    const reason = (connectionError || err)?.message || String(err);
    throw new StartupError(`Cannot reach Redis at ${where} (REDIS_URL): ${reason}`);
  } finally {
    redis.disconnect();
  }
}

/**
 * Sequelize prints its warnings (e.g. "SQLite does not support INTEGER with UNSIGNED") with console.warn.
 * egg-scripts treats any stderr output during start-up as a failed start, so `npm start` on the embedded
 * profile would fail: send them to the egg log instead.
 */
export function routeSequelizeWarnings(logger: Logger): void {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { logger: sequelizeLogger } = require('sequelize/lib/utils/logger');
  sequelizeLogger.warn = (message: string) => logger.warn('[sequelize] %s', message);
}
