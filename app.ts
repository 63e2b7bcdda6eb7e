import { Application, IBoot } from 'egg';
import { Sequelize } from 'sequelize';
import { registerRules } from './app/lib/validation/rules';
import { tuneSqlite } from './app/lib/sqliteTuning';
import { limitMysqlQueryTime } from './app/lib/mysqlTuning';
import { drainServer, trackConnections } from './app/lib/gracefulClose';
import { assertJwtSecret, routeSequelizeWarnings } from './app/lib/startup';
import { adminSessionStore } from './app/lib/adminSessionStore';
import { WriteTurns } from './app/lib/sqliteWriteTurns/client';
import { writeTurnSocketPathFor } from './app/lib/sqliteWriteTurns/protocol';
import { limitHeapGrowth } from './app/lib/heapGrowth';

export default class AppBoot implements IBoot {
  private writeTurns?: WriteTurns;

  constructor(private readonly app: Application) {
    // egg emits 'server' before it listens: every connection is known to the drain on SIGTERM.
    app.once('server', trackConnections);
    // GET /ws upgrades on the same server and port.
    app.once('server', server => app.chatSockets.attach(server));
  }

  configWillLoad() {
    const { config } = this.app;
    // The agent checks this first (agent.ts); a worker started on its own (tests) checks again.
    assertJwtSecret(config.env, config.jwt.secret);
    // Before the worker allocates much: the garbage it holds between full collections stays a fraction of its live heap.
    limitHeapGrowth(config.chat.heapGrowingPercent);
    routeSequelizeWarnings(this.app.coreLogger);
    // The error mapper wraps everything, the body parser included; egg's HTML 404 page is not wanted.
    config.coreMiddleware.unshift('errorHandler');
    (config as any).notfound = { ...(config as any).notfound, enable: false };
    // The admin console's sessions (issue 20) live server-side, beside the chat sessions (before the
    // session middleware is built).
    (this.app as any).sessionStore = adminSessionStore(() => this.app.kvStore);
  }

  async didLoad() {
    // egg-session logs the session id of a missed, expired or invalid admin session: a session id is never
    // logged here (SECURITY.md), so its listeners are replaced by ones that say what happened only.
    for (const event of [ 'session:missed', 'session:expired', 'session:invalid' ]) {
      this.app.removeAllListeners(event);
      this.app.on(event, ({ ctx }: { ctx: any }) => ctx.coreLogger.info('[admin session] %s', event.slice(8)));
    }
    registerRules(this.app.validator as any);
    // Embedded profile: this worker's writes take turns with the other workers' (agent.ts serves them).
    const turnsAt = writeTurnSocketPathFor(this.app.config.sequelize as any, this.app.config.chat.sqliteWriteTurns);
    if (turnsAt) this.writeTurns = new WriteTurns(turnsAt);
    tuneSqlite(this.app.model as unknown as Sequelize, 5000, this.writeTurns);
    limitMysqlQueryTime(this.app.model as unknown as Sequelize, this.app.config.chat.dbQueryTimeoutMs);
    // DATABASE_REPLICA_URLS: which reads may go to a replica (app/lib/readRouting.ts).
    this.app.readRouting?.install(this.app.model as unknown as Sequelize);
  }

  /** Runs before the plugins close their pools: finish the requests in flight, take no new ones. */
  async beforeClose() {
    // Sockets are dropped without a close frame: the client reconnects (to a worker that stays) instead of logging out.
    await this.app.stopChatSockets();
    this.app.readRouting?.stop();
    await drainServer((this.app as any).server, this.app.config.chat.shutdownDrainMs);
    await this.app.closeMultiStatementPool();
    // What still writes after the drain (delivery confirmations) does so under the busy timeout alone.
    this.writeTurns?.close();
  }
}
