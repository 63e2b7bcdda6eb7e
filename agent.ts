import { Agent, IBoot } from 'egg';
import { Sequelize } from 'sequelize';
import { runPendingMigrations } from './app/lib/migrator';
import { tuneSqlite } from './app/lib/sqliteTuning';
import { WriteTurnServer } from './app/lib/sqliteWriteTurns/server';
import { writeTurnSocketPathFor } from './app/lib/sqliteWriteTurns/protocol';
import { assertDatabaseReachable, assertJwtSecret, assertRedisReachable, routeSequelizeWarnings } from './app/lib/startup';

/**
 * The agent starts once per cluster, before the workers: the right place to apply pending migrations
 * (embedded profile by default, DB_AUTO_MIGRATE=1 elsewhere) without workers racing each other.
 */
export default class AgentBoot implements IBoot {
  private writeTurns?: WriteTurnServer;

  constructor(private readonly agent: Agent) {}

  /**
   * Fail fast: a missing JWT_SECRET in production, or a DATABASE_URL / REDIS_URL that does not answer,
   * stops the cluster within seconds with one clear line (before egg-sequelize's own retries finish).
   */
  configWillLoad() {
    const { config } = this.agent as any;
    routeSequelizeWarnings(this.agent.coreLogger);
    assertJwtSecret(config.env, config.jwt?.secret);
    const dbTimeout = Number(config.sequelize?.dialectOptions?.connectTimeout) || 3000;
    const redisTimeout = Number(config.redis?.client?.connectTimeout) || 2000;
    this.agent.beforeStart(async () => {
      await Promise.all([
        assertDatabaseReachable(config.sequelize, dbTimeout),
        assertRedisReachable(config.redis?.client, redisTimeout, config.chat?.shardedPubsub ? {
          major: 7,
          why: 'sharded pub/sub (REDIS_SHARDED_PUBSUB, on by default on a Redis Cluster) needs Redis 7 or later; upgrade the cluster or set REDIS_SHARDED_PUBSUB=0 on every instance',
        } : undefined),
      ]);
    });
  }

  async willReady() {
    const { chat, sequelize: options } = this.agent.config as any;
    // Embedded profile: the workers' turns to write the SQLite file (app/lib/sqliteWriteTurns), served
    // before any worker starts.
    const turnsAt = writeTurnSocketPathFor(options, chat.sqliteWriteTurns);
    if (turnsAt) {
      const server = new WriteTurnServer(turnsAt);
      if (await server.listen()) this.writeTurns = server;
    }
    if (!chat.autoMigrate) return;
    const { database, username, password, ...rest } = options;
    const sequelize = new Sequelize(database, username, password, { ...rest, logging: false });
    tuneSqlite(sequelize, 5000);
    try {
      const applied = await runPendingMigrations(sequelize);
      if (applied.length) this.agent.logger.info('[eggchat] applied migrations: %s', applied.join(', '));
    } finally {
      await sequelize.close();
    }
  }

  async beforeClose() {
    await this.writeTurns?.close();
  }
}
