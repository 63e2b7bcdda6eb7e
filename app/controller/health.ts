import { Controller } from 'egg';
import { MSG } from '../lib/messages';

export default class HealthController extends Controller {
  /**
   * GET /api/health — no token; says only up/down per dependency. A 503 keeps the contract's failure body
   * exactly; which dependency is down goes in the `X-Health` header (`db=up; redis=down`).
   */
  async show() {
    const { ctx } = this;
    const report = await ctx.service.health.check();
    if (report.db === 'down' || report.redis === 'down') {
      ctx.set('X-Health', `db=${report.db}; redis=${report.redis}`);
      ctx.status = 503;
      ctx.body = { msg: 'fail', data: MSG.unavailable };
      return;
    }
    ctx.ok(report);
  }
}
