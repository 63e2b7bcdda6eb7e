import { Service } from 'egg';
import { Sequelize, Transaction } from 'sequelize';
import { HttpError } from '../lib/errors';
import { appendAudit, AuditFilter, listAudit } from '../repository/adminAudit';
import type { AdminActor } from './adminAuth';

/** What an audited admin write changes: how to load it (null: absent), its 404 text, and its audited fields. */
export interface AuditedTarget<T> {
  type: string;
  id: number;
  load: (transaction: Transaction) => Promise<T | null>;
  missing: string;
  snapshot: (row: T) => unknown;
}

/** The audit log: read by its page, appended to by every admin write (and by refused write attempts). */
export default class AdminAuditService extends Service {
  private get db(): Sequelize {
    return this.ctx.model as unknown as Sequelize;
  }

  list(filter: AuditFilter, limit: number) {
    return listAudit(this.db, filter, limit);
  }

  /**
   * An admin write: loads the target (404 when absent), runs `work` on it and appends the audit row (before →
   * what `work` returns) in the same transaction — the change and its record, both or neither.
   */
  async change<T>(actor: AdminActor, ip: string, action: string, target: AuditedTarget<T>,
    work: (transaction: Transaction, row: T, now: Date) => Promise<unknown>): Promise<void> {
    await this.app.transaction(async transaction => {
      const now = new Date();
      const row = await target.load(transaction);
      if (!row) throw new HttpError(404, target.missing);
      const after = await work(transaction, row, now);
      await appendAudit(this.db, transaction, {
        adminId: actor.id, adminUsername: actor.username, action, targetType: target.type, targetId: target.id, outcome: 'ok', before: target.snapshot(row), after, ip,
      }, now);
    });
  }

  /** A refused write (role, CSRF, validation, a missing user…): recorded on its own, never failing the answer. */
  async refused(entry: { adminId: number | null; adminUsername: string; action: string; targetType: string; targetId: number | null; status: number; reason: string; ip: string }): Promise<void> {
    try {
      await this.app.transaction(transaction => appendAudit(this.db, transaction, {
        adminId: entry.adminId, adminUsername: entry.adminUsername, action: entry.action, targetType: entry.targetType, targetId: entry.targetId,
        outcome: entry.status === 403 || entry.status === 401 ? 'denied' : 'failed', after: { status: entry.status, reason: entry.reason }, ip: entry.ip,
      }));
    } catch (err: any) {
      this.ctx.logger.warn('[admin audit] a refusal could not be recorded: %s', err?.message);
    }
  }
}
