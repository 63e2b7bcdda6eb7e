import { Controller } from 'egg';
import { choice, integer, text } from '../../lib/validation/rules';

const filterRules = {
  admin: text('管理员', { max: 50, required: false }),
  action: text('操作', { max: 40, required: false, pattern: /^[a-z.]*$/, patternHint: '只能包含小写字母和点' }),
  target: integer('用户ID', { required: false }),
  outcome: choice('结果', [ 'ok', 'denied', 'failed' ], { required: false }),
  before: integer('起始ID', { required: false }),
};

export default class AdminAuditController extends Controller {
  /** GET /admin/audit — newest first, filterable, keyset pages. */
  async index() {
    const { ctx } = this;
    const filter = ctx.validateInput(filterRules, ctx.query);
    const limit = ctx.app.config.admin.pageSize;
    const rows = await ctx.service.adminAudit.list({
      adminUsername: filter.admin || undefined, action: filter.action || undefined, targetId: filter.target, outcome: filter.outcome, beforeId: filter.before,
    }, limit);
    const next = rows.length === limit ? Number(rows[rows.length - 1].id) : null;
    await ctx.render('admin/audit.nj', { rows, filter, next });
  }
}
