import type { Sequelize } from 'sequelize';
import type { KeyValueStore } from './store/KeyValueStore';
import type { ReplicaTarget } from './scaleOutConfig';

/**
 * Which SELECTs may go to a read replica (DATABASE_REPLICA_URLS), and read-your-writes (README "Scale-out").
 *
 * Sequelize's replication sends a SELECT outside a transaction to the read pool unless `useMaster` is set;
 * the `beforePoolAcquire` hook below sets it, so every query (models and lib/rawQuery.ts alike) is routed
 * in one place. A SELECT goes to a replica only when all of these hold:
 *   - it runs for an HTTP request whose caller is authenticated (ctx.state.auth); sockets, background work
 *     and public routes (login, register) always read the primary;
 *   - every replica was, at its last check (every REPLICA_CHECK_MS), replicating (both threads running)
 *     and no more than REPLICA_MAX_LAG_SECONDS behind. One that is down, stopped or further behind makes
 *     every read go to the primary until it catches up (Sequelize's read pool cannot skip one replica);
 *   - the caller has no "wrote recently" marker: `rw:<user id>` in Redis, set *before* any write of a
 *     request by that caller (and when a session is issued: a new account reads its rows at once), for
 *     REPLICA_MAX_LAG_SECONDS + 2 s. Any replica still in use is less far behind than that, so a write is
 *     on it by the time the marker expires. A marker that cannot be written fails the write (503); one
 *     that cannot be read sends the reads to the primary.
 * The other party of a write (the new friend, the recipient) reads a replica: they see it within the lag.
 */
export const WRITER_KEY_PREFIX = 'rw:';
const DECISION = Symbol('eggchat#readDecision');
const MARKED = Symbol('eggchat#writerMarked');

interface RoutingOptions { maxLagSeconds: number; checkMs: number; writerPrimarySeconds: number }
interface Logger { warn(...args: unknown[]): void; info(...args: unknown[]): void }
interface RequestContext { state?: { auth?: { id: number } }; [DECISION]?: Promise<boolean>; [MARKED]?: Set<number> }

export interface ReplicaState { healthy: boolean; reason: string }

/** Asks one replica how far behind it is (SHOW SLAVE STATUS: needs REPLICATION CLIENT / SLAVE MONITOR). */
async function replicaState(target: ReplicaTarget, maxLagSeconds: number, timeoutMs: number): Promise<ReplicaState> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const mysql = require('mysql2/promise');
  let connection: any;
  try {
    connection = await mysql.createConnection({ host: target.host, port: target.port, user: target.username, password: target.password, connectTimeout: timeoutMs });
    const [ rows ] = await Promise.race([
      connection.query({ sql: 'SHOW SLAVE STATUS', timeout: timeoutMs }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer')), timeoutMs).unref()),
    ]);
    const status = (rows as any[])[0];
    if (!status) return { healthy: false, reason: 'not a replica' };
    if (status.Slave_IO_Running !== 'Yes' || status.Slave_SQL_Running !== 'Yes') return { healthy: false, reason: 'replication stopped' };
    const lag = status.Seconds_Behind_Master;
    if (lag === null || lag === undefined || Number(lag) > maxLagSeconds) return { healthy: false, reason: `lag ${lag}` };
    return { healthy: true, reason: `lag ${lag}` };
  } catch (err: any) {
    return { healthy: false, reason: err?.message || String(err) };
  } finally {
    connection?.destroy();
  }
}

export class ReadRouting {
  private replicasUsable = false;
  private timer?: NodeJS.Timeout;
  private lastReason = '';

  constructor(
    private readonly replicas: ReplicaTarget[],
    private readonly options: RoutingOptions,
    private readonly currentContext: () => RequestContext | undefined,
    private readonly store: () => KeyValueStore,
    private readonly logger: Logger,
  ) {}

  /** Installs the routing hook on the app's Sequelize and starts checking the replicas. */
  install(sequelize: Sequelize): void {
    sequelize.addHook('beforePoolAcquire', 'readRouting', async (options: any) => this.route(options ?? {}));
    // A replica that died since its last check: the read is made on the primary instead (never a 5xx).
    const manager = (sequelize as any).connectionManager;
    const acquire = manager.getConnection.bind(manager);
    manager.getConnection = async (options: any = {}) => {
      try {
        return await acquire(options);
      } catch (err: any) {
        if (options.type !== 'SELECT' || options.useMaster !== false) throw err;
        this.replicasUsable = false;
        this.logger.warn('[read replicas] left out until the next check: %s', err?.message || err);
        return acquire({ ...options, useMaster: true });
      }
    };
    const check = () => this.check().finally(() => {
      this.timer = setTimeout(check, this.options.checkMs);
      this.timer.unref();
    });
    void check();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  get usingReplicas(): boolean {
    return this.replicasUsable;
  }

  /** Marks a user as a recent writer: their reads go to the primary for a while (see above). */
  async markWriter(userId: number): Promise<void> {
    const ctx = this.currentContext();
    const marked = ctx ? (ctx[MARKED] ??= new Set()) : undefined;
    if (marked?.has(userId)) return;
    await this.store().set(WRITER_KEY_PREFIX + userId, '1', this.options.writerPrimarySeconds);
    marked?.add(userId);
  }

  private async check(): Promise<void> {
    const states = await Promise.all(this.replicas.map(target => replicaState(target, this.options.maxLagSeconds, Math.max(200, this.options.checkMs))));
    const usable = states.every(state => state.healthy);
    const reason = states.map((state, i) => `${this.replicas[i].host}:${this.replicas[i].port} ${state.reason}`).join(', ');
    if (usable !== this.replicasUsable || (!usable && reason !== this.lastReason)) {
      this.logger[usable ? 'info' : 'warn']('[read replicas] %s (%s)', usable ? 'in use' : 'left out, reads go to the primary', reason);
    }
    this.replicasUsable = usable;
    this.lastReason = reason;
  }

  private async route(options: { type?: string; useMaster?: boolean }): Promise<void> {
    if (options.useMaster) return;
    const ctx = this.currentContext();
    const callerId = ctx?.state?.auth?.id;
    if (options.type !== 'SELECT') {
      // A write (or a transaction): the caller's later reads, on any instance, go to the primary.
      if (ctx && callerId) {
        ctx[DECISION] = Promise.resolve(false);
        await this.markWriter(callerId);
      }
      return;
    }
    if (!ctx || !callerId || !this.replicasUsable) {
      options.useMaster = true;
      return;
    }
    ctx[DECISION] ??= this.store().get(WRITER_KEY_PREFIX + callerId).then(marker => marker === null, () => false);
    options.useMaster = !(await ctx[DECISION]);
  }
}
