import { Service } from 'egg';
import { Sequelize } from 'sequelize';
import { BusinessError, HttpError } from '../lib/errors';
import { ADMIN_MSG } from '../lib/messages';
import { hashPassword } from '../lib/password';
import { isUniqueViolation } from '../lib/rawQuery';
import { appendAudit } from '../repository/adminAudit';
import { AdminRole, findAdminByIdIn, findAdminByUsername, insertAdmin, listAdmins, setAdminStatus } from '../repository/adminUser';
import { AdminActor } from './adminAuth';

/** The console's own accounts, managed by owners (the first owner comes from `npm run admin:create`). */
export default class AdminAccountsService extends Service {
  private get db(): Sequelize {
    return this.ctx.model as unknown as Sequelize;
  }

  list() {
    return listAdmins(this.db);
  }

  async create(actor: AdminActor, ip: string, input: { username: string; password: string; role: AdminRole }): Promise<number> {
    // The rule of `npm run admin:create` (database/seeders/20261202000510-admin-console-owner.js).
    const length = [ ...input.password ].length;
    if (length < 10 || !/[A-Za-z]/.test(input.password) || !/[0-9]/.test(input.password) || input.password.toLowerCase().includes(input.username.toLowerCase())) {
      throw new BusinessError(ADMIN_MSG.adminPasswordWeak);
    }
    if (await findAdminByUsername(this.db, input.username)) throw new BusinessError(ADMIN_MSG.adminTaken);
    const hash = await hashPassword(input.password);
    try {
      return await this.app.transaction(async transaction => {
        const now = new Date();
        const id = await insertAdmin(this.db, transaction, { username: input.username, password: hash, role: input.role }, now);
        await appendAudit(this.db, transaction, {
          adminId: actor.id, adminUsername: actor.username, action: 'admin.create', targetType: 'admin', targetId: id, outcome: 'ok', after: { username: input.username, role: input.role }, ip,
        }, now);
        return id;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new BusinessError(ADMIN_MSG.adminTaken);
      throw err;
    }
  }

  /** Disable (out at its next request: the middleware re-reads the row) or enable an admin; never oneself. */
  async setStatus(actor: AdminActor, ip: string, id: number, status: 0 | 1): Promise<void> {
    if (id === actor.id) throw new BusinessError(ADMIN_MSG.adminSelf);
    await this.app.transaction(async transaction => {
      const now = new Date();
      const admin = await findAdminByIdIn(this.db, transaction, id);
      if (!admin) throw new HttpError(404, ADMIN_MSG.adminMissing);
      await setAdminStatus(this.db, transaction, id, status, now);
      await appendAudit(this.db, transaction, {
        adminId: actor.id, adminUsername: actor.username, action: status ? 'admin.enable' : 'admin.disable', targetType: 'admin', targetId: id, outcome: 'ok',
        before: { username: admin.username, status: admin.status }, after: { status }, ip,
      }, now);
    });
  }
}
