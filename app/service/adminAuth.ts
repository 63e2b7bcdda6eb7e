import { Service } from 'egg';
import { Sequelize } from 'sequelize';
import { BusinessError } from '../lib/errors';
import { ADMIN_MSG } from '../lib/messages';
import { burnPasswordWork, verifyPassword } from '../lib/password';
import { ThrottleRule } from '../../config/config.default';
import { AdminUserRow, findAdminByUsername, recordAdminLogin } from '../repository/adminUser';
import { appendAudit } from '../repository/adminAudit';

export interface AdminActor { id: number; username: string; role: AdminUserRow['role'] }

/** Logins to the admin console: throttled per username and per address, one generic refusal. */
export default class AdminAuthService extends Service {
  private get db(): Sequelize {
    return this.ctx.model as unknown as Sequelize;
  }

  async login(username: string, password: string, ip: string): Promise<AdminActor> {
    const { loginFailPerUser, loginFailPerIp } = this.config.admin;
    const userKey = `admin-login:user:${username.toLowerCase()}`;
    const counters: Array<[ string, ThrottleRule ]> = [[ userKey, loginFailPerUser ], [ `admin-login:ip:${ip}`, loginFailPerIp ]];
    await this.service.throttle.assertUnder(...counters);

    const admin = await findAdminByUsername(this.db, username);
    let ok = false;
    if (admin && admin.status === 1) ok = (await verifyPassword(password, admin.password)).ok;
    // Same hashing work for an unknown name: the answer and its timing tell nothing about the account.
    else await burnPasswordWork(password);
    if (!admin || !ok) {
      await this.service.throttle.hit(...counters);
      // The refused login in the audit log (the name as typed, never the password).
      await this.app.transaction(transaction => appendAudit(this.db, transaction, {
        adminId: admin?.id ?? null, adminUsername: username, action: 'admin.login', targetType: 'admin', targetId: admin?.id ?? null, outcome: 'denied', ip,
      }));
      throw new BusinessError(ADMIN_MSG.loginFailed);
    }
    await this.service.throttle.clear(userKey);
    await this.app.transaction(async transaction => {
      const now = new Date();
      await recordAdminLogin(this.db, transaction, admin.id, ip, now);
      await appendAudit(this.db, transaction, { adminId: admin.id, adminUsername: admin.username, action: 'admin.login', targetType: 'admin', targetId: admin.id, outcome: 'ok', ip }, now);
    });
    return { id: admin.id, username: admin.username, role: admin.role };
  }
}
