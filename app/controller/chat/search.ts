import { Controller } from 'egg';
import { text } from '../../lib/validation/rules';

const searchRules = {
  keyword: text('搜索关键词', { min: 1, max: 50 }),
};

export default class SearchController extends Controller {
  /** POST /api/chat/searchUser */
  async searchUser() {
    const { ctx } = this;
    const { keyword } = ctx.validateInput(searchRules, ctx.request.body);
    ctx.ok(await ctx.service.userSearch.search(ctx.me.id, keyword));
  }
}
