import { Controller } from 'egg';
import { text } from '../lib/validation/rules';

export const accountRules = {
  username: text('账号', { min: 4, max: 20, pattern: /^[A-Za-z0-9_]+$/, patternHint: '只能包含字母、数字和下划线' }),
  password: text('密码', { min: 6, max: 20 }),
};

export default class UserController extends Controller {
  /** POST /api/regChat */
  async register() {
    const { ctx } = this;
    const credentials = ctx.validateInput(accountRules, ctx.request.body);
    ctx.ok(await ctx.service.user.register(credentials, ctx.ip));
  }

  /** POST /api/loginChat */
  async login() {
    const { ctx } = this;
    const credentials = ctx.validateInput(accountRules, ctx.request.body);
    ctx.ok(await ctx.service.user.login(credentials, ctx.ip));
  }

  /** POST /api/chat/logout */
  async logout() {
    const { ctx } = this;
    await ctx.service.token.revoke(ctx.me);
    ctx.ok(true);
  }
}
