import { Controller } from 'egg';
import { choice, integer, text } from '../../lib/validation/rules';
import { ADMIN_ROLES, AdminRole } from '../../repository/adminUser';
import { AdminActor } from '../../service/adminAuth';

const createRules = {
  username: text('管理员账号', { min: 3, max: 50, pattern: /^[A-Za-z0-9_.-]+$/, patternHint: '只能包含字母、数字、下划线、点和减号' }),
  password: text('密码', { min: 10, max: 64 }),
  role: choice('角色', ADMIN_ROLES),
};
const idRules = { id: integer('管理员ID') };

export default class AdminAdminsController extends Controller {
  private get actor(): AdminActor {
    return this.ctx.state.admin;
  }

  /** GET /admin/admins (owner) */
  async index() {
    await this.ctx.render('admin/admins.nj', { rows: await this.ctx.service.adminAccounts.list(), roles: ADMIN_ROLES });
  }

  /** POST /admin/admins (owner) */
  async create() {
    const { ctx } = this;
    const input = ctx.validateInput(createRules, ctx.request.body);
    await ctx.service.adminAccounts.create(this.actor, ctx.ip, { ...input, role: input.role as AdminRole });
    ctx.redirect('/admin/admins');
  }

  /** POST /admin/admins/:id/disable and /enable (owner; the path's last segment says which). */
  async setStatus() {
    const { ctx } = this;
    const { id } = ctx.validateInput(idRules, ctx.params);
    await ctx.service.adminAccounts.setStatus(this.actor, ctx.ip, id, ctx.path.endsWith('/enable') ? 1 : 0);
    ctx.redirect('/admin/admins');
  }
}
