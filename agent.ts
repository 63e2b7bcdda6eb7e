import { Agent, IBoot } from 'egg';
import { Sequelize } from 'sequelize';
import { runPendingMigrations } from './app/lib/migrator';
import { tuneSqlite } from './app/lib/sqliteTuning';

/**
 * The agent starts once per cluster, before the workers: the right place to apply pending migrations
 * (embedded profile by default, DB_AUTO_MIGRATE=1 elsewhere) without workers racing each other.
 */
export default class AgentBoot implements IBoot {
  constructor(private readonly agent: Agent) {}

  async willReady() {
    const { chat, sequelize: options } = this.agent.config as any;
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
}
