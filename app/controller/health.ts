import { Controller } from 'egg';
import { MSG } from '../lib/messages';

export default class HealthController extends Controller {
  /** GET /api/health — no token; says only up/down per dependency. */
  async show() {
    const { ctx } = this;
    const report = await ctx.service.health.check();
    if (report.db === 'down' || report.redis === 'down') {
      ctx.status = 503;
      ctx.body = { msg: 'fail', data: MSG.unavailable, checks: report };
      return;
    }
    ctx.ok(report);
  }
}
