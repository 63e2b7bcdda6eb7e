import { Controller } from 'egg';
import { choice, integer, text } from '../../lib/validation/rules';
import { APPLY_STATUSES } from '../../lib/types';
import { pageRules, pageFrom } from '../../lib/validation/paging';
import { uuidRules } from '../../lib/validation/uuid';

const applyRules = {
  friend_id: integer('我申请添加的好友id'),
  nickname: text('我的昵称或者说明', { max: 50, required: false, default: '' }),
};

const handleRules = {
  id: integer('申请表的id'),
  status: choice('处理状态', APPLY_STATUSES),
  nickname: text('好友备注', { max: 50, required: false, default: '' }),
};

export default class ApplyController extends Controller {
  /** POST /api/chat/applyfriend */
  async applyfriend() {
    const { ctx } = this;
    const { friend_id, nickname } = ctx.validateInput(applyRules, ctx.request.body);
    await ctx.service.friendApply.apply(ctx.me, friend_id, nickname);
    ctx.ok('ok');
  }

  /** POST /api/chat/autoAddFriendAndAgree — add a user whose settings need no approval, at once. */
  async autoAddFriendAndAgree() {
    const { ctx } = this;
    const { friend_id, nickname } = ctx.validateInput(applyRules, ctx.request.body);
    await ctx.service.friendApply.autoAdd(ctx.me, friend_id, nickname);
    ctx.ok('ok');
  }

  /** POST /api/chat/isApplyfriend/:uuid — the pending application that user sent me. */
  async isApplyfriend() {
    const { ctx } = this;
    const { uuid } = ctx.validateInput(uuidRules, ctx.params);
    ctx.ok(await ctx.service.friendApply.pendingFrom(ctx.me.id, uuid.toLowerCase()));
  }

  /** GET /api/chat/listapplyfriend/:page?limit= */
  async listapplyfriend() {
    const { ctx } = this;
    const { applyDefault, applyMax } = this.config.chat.pageSize;
    const { page, limit } = pageFrom(ctx.validateInput(pageRules, { ...ctx.query, ...ctx.params }), applyDefault, applyMax);
    ctx.ok(await ctx.service.friendApply.listToMe(ctx.me.id, page, limit));
  }

  /** POST /api/chat/handleapply/:id */
  async handleapply() {
    const { ctx } = this;
    const { id, status, nickname } = ctx.validateInput(handleRules, { ...ctx.request.body, id: ctx.params.id });
    await ctx.service.friendApply.handle(ctx.me, id, status, nickname);
    ctx.ok('ok');
  }
}
