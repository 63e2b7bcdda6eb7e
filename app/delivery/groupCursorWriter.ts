import { Sequelize } from 'sequelize';
import { advanceGroupCursors } from '../repository/groupLog';

interface Logger { warn(...args: unknown[]): void }

/**
 * Confirmed receipts of group entries (group_user.delivered_seq), coalesced per member and written
 * every `intervalMs` (and when the worker stops): the rows written follow the number of members
 * online and the interval, never the number of messages. A worker that dies loses at most one
 * interval's confirmations: those entries are pushed again on the next connection (at least once,
 * stable ids).
 */
export class GroupCursorWriter {
  private pending = new Map<string, [ groupId: number, userId: number, seq: number ]>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly sequelize: Sequelize, private readonly logger: Logger, private readonly intervalMs: number) {}

  confirm(groupId: number, userId: number, seq: number): void {
    const key = `${groupId}:${userId}`;
    if ((this.pending.get(key)?.[2] ?? 0) < seq) this.pending.set(key, [ groupId, userId, seq ]);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** A confirmation not written yet (0: none): a socket reopened on this worker starts above it. */
  pendingFor(groupId: number, userId: number): number {
    return this.pending.get(`${groupId}:${userId}`)?.[2] ?? 0;
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.size) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await advanceGroupCursors(this.sequelize, [ ...batch.values() ]);
    } catch (err: any) {
      // Kept for the next flush (newer confirmations win).
      for (const [ key, row ] of batch) if ((this.pending.get(key)?.[2] ?? 0) < row[2]) this.pending.set(key, row);
      this.logger.warn('[chat socket] writing %d group delivery confirmations failed: %s', batch.size, err?.message);
      if (!this.timer) {
        this.timer = setTimeout(() => void this.flush(), 1000);
        this.timer.unref();
      }
    }
  }
}
