import { Service } from 'egg';
import { Sequelize } from 'sequelize';
import { appendAudit, AuditFilter, listAudit } from '../repository/adminAudit';

/** The audit log: read by its page, appended to by every admin write (and by refused write attempts). */
export default class AdminAuditService extends Service {
  private get db(): Sequelize {
    return this.ctx.model as unknown as Sequelize;
  }

  list(filter: AuditFilter, limit: number) {
    return listAudit(this.db, filter, limit);
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
