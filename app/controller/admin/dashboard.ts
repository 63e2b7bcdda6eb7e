import { Controller } from 'egg';

export default class AdminDashboardController extends Controller {
  /** GET /admin */
  async index() {
    const { ctx } = this;
    const overview = await ctx.service.adminDashboard.overview();
    // The chart data travels in a data- attribute (escaped by the template), read by admin.js: no inline script.
    await ctx.render('admin/dashboard.nj', { ...overview, chartJson: JSON.stringify(overview.charts) });
  }
}
