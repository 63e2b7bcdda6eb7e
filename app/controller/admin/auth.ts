import { Controller } from 'egg';
import { text } from '../../lib/validation/rules';

const loginRules = {
  username: text('账号', { max: 50 }),
  password: text('密码', { max: 64 }),
};

export default class AdminAuthController extends Controller {
  /** GET /admin/login */
  async loginPage() {
    const { ctx } = this;
    if ((ctx.session as any).adminId) return ctx.redirect('/admin');
    await ctx.render('admin/login.nj', { error: '' });
  }

  /** POST /admin/login — a new session id on success (no fixation), and a new CSRF secret. */
  async login() {
    const { ctx } = this;
    const { username, password } = ctx.validateInput(loginRules, ctx.request.body);
    const admin = await ctx.service.adminAuth.login(username, password, ctx.ip);
    const session = ctx.session as any;
    session.adminId = admin.id;
    session.createdAt = Date.now();
    await (ctx.session as any).regenerate();
    ctx.rotateCsrfSecret();
    ctx.redirect('/admin');
  }

  /** POST /admin/logout */
  async logout() {
    const { ctx } = this;
    ctx.session = null;
    ctx.redirect('/admin/login');
  }
}
