import { Controller } from 'egg';
import { flag, integer } from '../../lib/validation/rules';
import { pageRules, pageFrom } from '../../lib/validation/paging';
import { MSG } from '../../lib/messages';

const friendIdRules = {
  id: integer('好友id'),
};

const visibilityRules = {
  id: integer('好友id'),
  friendlookme: flag('朋友是否可以看我'),
  melookfriend: flag('我是否看朋友'),
};

export default class GoodfriendController extends Controller {
  /** GET /api/chat/goodfriendlist/:page?limit= */
  async goodfriendlist() {
    const { ctx } = this;
    const { friendDefault, friendMax } = this.config.chat.pageSize;
    const { page, limit } = pageFrom(ctx.validateInput(pageRules, { ...ctx.query, ...ctx.params }), friendDefault, friendMax);
    ctx.okJson(await ctx.service.goodfriend.contactsJson(ctx.me.id, page, limit));
  }

  /** GET /api/chat/getgoodfriendinfo/:id — :id is the friend's user id. */
  async getgoodfriendinfo() {
    const { ctx } = this;
    const { id } = ctx.validateInput(friendIdRules, ctx.params);
    ctx.ok(await ctx.service.goodfriend.profile(ctx.me.id, id));
  }

  /** POST /api/chat/ismygoodfriend/:id — :id is the other user's id. */
  async ismygoodfriend() {
    const { ctx } = this;
    const { id } = ctx.validateInput(friendIdRules, ctx.params);
    ctx.ok(await ctx.service.goodfriend.myRowFor(ctx.me.id, id));
  }

  /** POST /api/chat/deletegoodfriend/:id — :id is the friend's user id. */
  async deletegoodfriend() {
    const { ctx } = this;
    const { id } = ctx.validateInput(friendIdRules, ctx.params);
    await ctx.service.goodfriend.remove(ctx.me.id, id);
    ctx.ok(MSG.friendDeleted);
  }

  /** POST /api/chat/setblackgoodfriend/:id */
  async setblackgoodfriend() {
    const { ctx } = this;
    const { id } = ctx.validateInput(friendIdRules, ctx.params);
    await ctx.service.goodfriend.toggleBlack(ctx.me.id, id);
    ctx.ok('ok');
  }

  /** POST /api/chat/setstargoodfriend/:id */
  async setstargoodfriend() {
    const { ctx } = this;
    const { id } = ctx.validateInput(friendIdRules, ctx.params);
    await ctx.service.goodfriend.toggleStar(ctx.me.id, id);
    ctx.ok('ok');
  }

  /** POST /api/chat/setmeOrfriendCanSee/:id */
  async setmeOrfriendCanSee() {
    const { ctx } = this;
    const { id, friendlookme, melookfriend } = ctx.validateInput(visibilityRules, { ...ctx.request.body, id: ctx.params.id });
    await ctx.service.goodfriend.setVisibility(ctx.me.id, id, friendlookme, melookfriend);
    ctx.ok('ok');
  }
}
