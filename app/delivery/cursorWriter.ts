import { Sequelize } from 'sequelize';
import { advanceCursors } from '../repository/chatInbox';

interface Logger { warn(...args: unknown[]): void }

/**
 * Confirmed receipts of this worker's sockets, written to `chat_cursor` in one statement every
 * `intervalMs` instead of one transaction per pong: under load, thousands of confirmations a second
 * become a few upserts. A worker that dies loses at most the last interval's confirmations — those
 * entries are pushed once more on the next connection (at least once; ids are stable).
 */
export class CursorWriter {
  private pending = new Map<number, number>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly sequelize: Sequelize, private readonly logger: Logger, private readonly intervalMs = 200) {}

  confirm(userId: number, seq: number): void {
    if ((this.pending.get(userId) ?? 0) < seq) this.pending.set(userId, seq);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** A confirmation of this worker not written yet (0: none): a socket reopened here starts above it. */
  pendingFor(userId: number): number {
    return this.pending.get(userId) ?? 0;
  }

  /** Writes what is pending (also called when the worker stops). */
  async flush(): Promise<void> {
    this.timer = undefined;
    if (!this.pending.size) return;
    const batch = this.pending;
    this.pending = new Map();
    const rows = [ ...batch.entries() ];
    try {
      await advanceCursors(this.sequelize, rows);
    } catch (err: any) {
      // The database is unavailable: keep them for the next flush (newer confirmations win).
      for (const [ userId, seq ] of rows) if ((this.pending.get(userId) ?? 0) < seq) this.pending.set(userId, seq);
      this.logger.warn('[chat socket] writing %d delivery confirmations failed: %s', rows.length, err?.message);
      if (!this.timer) {
        this.timer = setTimeout(() => void this.flush(), 1000);
        this.timer.unref();
      }
    }
  }
}
