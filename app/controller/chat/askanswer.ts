import { Controller } from 'egg';
import { choice, integer, text } from '../../lib/validation/rules';
import { MSG } from '../../lib/messages';

const OWNER_TYPES = [ 'single', 'group' ] as const;

/** The rules of the six routes; the length limits come from the configuration (ASKANSWER_MAX_*). */
export function rulesOf(limits: { maxAskLength: number; maxAnswerLength: number }) {
  const type = choice('问答类型', OWNER_TYPES);
  const owner = integer('问答所属id');
  const ask = text('问题', { max: limits.maxAskLength });
  const answer = text('答案', { max: limits.maxAnswerLength });
  const id = integer('问答id');
  const named = { type: choice('问答类型', OWNER_TYPES, { required: false }), create_userId: integer('问答所属id', { required: false }) };
  return {
    create: { ask, answer, type, create_userId: owner },
    update: { id, ask, answer, type, create_userId: owner },
    byId: { id, ...named },
    list: { type, userId: owner },
    search: { type, create_userId: owner, ask },
  };
}

/**
 * POST /api/chat/askanswer/* (issue 19): a user's own entries ('single', their id) or those of a group
 * they own ('group', its id). The original's parameters; answers in the contract's shape.
 */
export default class AskanswerController extends Controller {
  private get rules() {
    return rulesOf(this.config.chat.care.askanswer);
  }

  async create() {
    const { ctx } = this;
    const { entry } = await ctx.service.askanswer.create(ctx.me, ctx.validateInput(this.rules.create, ctx.request.body));
    ctx.ok(entry);
  }

  async update() {
    const { ctx } = this;
    ctx.ok(await ctx.service.askanswer.update(ctx.me, ctx.validateInput(this.rules.update, ctx.request.body)));
  }

  async delete() {
    const { ctx } = this;
    await ctx.service.askanswer.remove(ctx.me, ctx.validateInput(this.rules.byId, ctx.request.body));
    ctx.ok(MSG.askDeleted);
  }

  async list() {
    const { ctx } = this;
    ctx.ok(await ctx.service.askanswer.list(ctx.me, ctx.validateInput(this.rules.list, ctx.request.body)));
  }

  async detail() {
    const { ctx } = this;
    ctx.ok(await ctx.service.askanswer.detail(ctx.me, ctx.validateInput(this.rules.byId, ctx.request.body)));
  }

  async search() {
    const { ctx } = this;
    ctx.ok(await ctx.service.askanswer.search(ctx.me, ctx.validateInput(this.rules.search, ctx.request.body)));
  }
}
