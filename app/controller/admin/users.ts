import { Controller } from 'egg';
import { choice, integer, text } from '../../lib/validation/rules';
import { accountRules } from '../user';
import { AdminActor } from '../../service/adminAuth';

const listRules = {
  q: text('搜索', { max: 50, required: false }),
  role: choice('角色', [ '', 'user', 'visitor', 'admin' ], { required: false }),
  status: choice('状态', [ '', '0', '1' ], { required: false }),
  before: integer('起始ID', { required: false }),
};
const idRules = { id: integer('用户ID') };
const nickname = text('昵称', { max: 50, required: false, default: '' });
const profileRules = {
  nickname,
  // A picture address, as the original's avatar column (uploads: the chat client's media routes).
  avatar: text('头像', { max: 1000, required: false, default: '', pattern: /^(https?:\/\/[^\s"'<>]+)?$/, patternHint: '必须是 http(s) 图片地址' }),
};
const createRules = { ...accountRules, nickname };
const passwordRules = { password: accountRules.password };

export default class AdminUsersController extends Controller {
  private get actor(): AdminActor {
    return this.ctx.state.admin;
  }

  private get userId(): number {
    return this.ctx.validateInput(idRules, this.ctx.params).id;
  }

  /** GET /admin/users — keyset pages (?before=<id>), search (?q=), filters (?role=, ?status=). */
  async index() {
    const { ctx } = this;
    const input = ctx.validateInput(listRules, ctx.query);
    const filter = { role: input.role || undefined, status: input.status ? Number(input.status) : undefined, beforeId: input.before };
    const limit = ctx.app.config.admin.pageSize;
    const rows = await ctx.service.adminUsers.list(input.q || '', filter, limit);
    const next = !input.q && rows.length === limit ? Number(rows[rows.length - 1].id) : null;
    await ctx.render('admin/users.nj', { rows, input, next });
  }

  /** GET /admin/users/new */
  async newForm() {
    await this.ctx.render('admin/userNew.nj', {});
  }

  /** POST /admin/users */
  async create() {
    const { ctx } = this;
    const input = ctx.validateInput(createRules, ctx.request.body);
    const id = await ctx.service.adminUsers.create(this.actor, ctx.ip, input);
    ctx.redirect(`/admin/users/${id}`);
  }

  /** GET /admin/users/:id */
  async show() {
    const { ctx } = this;
    const detail = await ctx.service.adminUsers.detail(this.userId);
    await ctx.render('admin/userDetail.nj', detail);
  }

  /** POST /admin/users/:id/profile */
  async update() {
    const { ctx } = this;
    const id = this.userId;
    const profile = ctx.validateInput(profileRules, ctx.request.body);
    await ctx.service.adminUsers.updateProfile(this.actor, ctx.ip, id, profile);
    ctx.redirect(`/admin/users/${id}`);
  }

  /** POST /admin/users/:id/password */
  async resetPassword() {
    const { ctx } = this;
    const id = this.userId;
    const { password } = ctx.validateInput(passwordRules, ctx.request.body);
    await ctx.service.adminUsers.resetPassword(this.actor, ctx.ip, id, password);
    ctx.redirect(`/admin/users/${id}`);
  }

  /** POST /admin/users/:id/disable */
  async disable() {
    await this.setStatus(0);
  }

  /** POST /admin/users/:id/enable */
  async enable() {
    await this.setStatus(1);
  }

  private async setStatus(status: 0 | 1) {
    const { ctx } = this;
    const id = this.userId;
    await ctx.service.adminUsers.setStatus(this.actor, ctx.ip, id, status);
    ctx.redirect(`/admin/users/${id}`);
  }

  /** POST /admin/users/:id/delete */
  async destroy() {
    const { ctx } = this;
    await ctx.service.adminUsers.remove(this.actor, ctx.ip, this.userId);
    ctx.redirect('/admin/users');
  }
}
