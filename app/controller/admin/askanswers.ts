import { Controller } from 'egg';
import { choice, integer, text } from '../../lib/validation/rules';
import { rulesOf } from '../chat/askanswer';
import { AdminActor } from '../../service/adminAuth';

const listRules = {
  q: text('问题', { max: 50, required: false }),
  owner_type: choice('问答类型', [ '', 'single', 'group' ], { required: false }),
  owner_id: integer('问答所属id', { required: false }),
  before: integer('起始ID', { required: false }),
};
const idRules = { id: integer('问答id') };

/** The console's auto-answers page (issue 20 §3): every owner's entries; edits within the chat side's limits. */
export default class AdminAskanswersController extends Controller {
  private get actor(): AdminActor {
    return this.ctx.state.admin;
  }

  private get entryId(): number {
    return this.ctx.validateInput(idRules, this.ctx.params).id;
  }

  /** The question and answer rules of the chat side's update (ASKANSWER_MAX_* lengths). */
  private get editRules() {
    const { ask, answer } = rulesOf(this.config.chat.care.askanswer).update;
    return { ask, answer };
  }

  /** GET /admin/askanswers — newest first, keyset pages (?before=<id>), ?q= (question contains), ?owner_type= and ?owner_id=. */
  async index() {
    const { ctx } = this;
    // The search form sends its empty fields too (`owner_id=`): an empty field is no filter, not a bad id.
    const query = Object.fromEntries(Object.entries(ctx.query).filter(([ , value ]) => value !== ''));
    const input = ctx.validateInput(listRules, query);
    const limit = ctx.app.config.admin.pageSize;
    const filter = { ask: input.q || undefined, ownerType: input.owner_type || undefined, ownerId: input.owner_id, beforeId: input.before };
    const rows = await ctx.service.adminAskanswers.list(filter, limit);
    const next = rows.length === limit ? rows[rows.length - 1].id : null;
    await ctx.render('admin/askanswers.nj', { rows, input, next });
  }

  /** GET /admin/askanswers/:id */
  async show() {
    const { ctx } = this;
    const entry = await ctx.service.adminAskanswers.detail(this.entryId);
    await ctx.render('admin/askanswerDetail.nj', { entry, limits: this.config.chat.care.askanswer });
  }

  /** POST /admin/askanswers/:id/edit */
  async update() {
    const { ctx } = this;
    const id = this.entryId;
    const input = ctx.validateInput(this.editRules, ctx.request.body);
    await ctx.service.adminAskanswers.update(this.actor, ctx.ip, id, input);
    ctx.redirect(`/admin/askanswers/${id}`);
  }

  /** POST /admin/askanswers/:id/delete */
  async destroy() {
    const { ctx } = this;
    await ctx.service.adminAskanswers.remove(this.actor, ctx.ip, this.entryId);
    ctx.redirect('/admin/askanswers');
  }
}
