import { Controller } from 'egg';
import { text } from '../../lib/validation/rules';
import { accountRules } from '../user';

const setPasswordRules = {
  // An account from the original system may hold an older, longer password: checked, never stored.
  oldpassword: text('原始密码', { max: 100 }),
  newpassword: { ...accountRules.password, label: '新密码', message: { required: '新密码不能为空' } },
  checknewpassword: text('确认新密码', { max: 100 }),
};

/** The caller's own account (issue 19). */
export default class AccountController extends Controller {
  /** POST /api/chat/setPassword */
  async setPassword() {
    const { ctx } = this;
    const input = ctx.validateInput(setPasswordRules, ctx.request.body);
    ctx.ok(await ctx.service.user.changePassword(ctx.me, input));
  }
}
