import { Controller } from 'egg';
import { Rules, choice, integer, text, validateInput } from '../../lib/validation/rules';
import { accountRules } from '../user';
import { AdminActor } from '../../service/adminAuth';
import { Uploaded } from '../../service/media';
import { checkCsrfOnFields } from '../../lib/adminCsrf';
import { UPLOAD_DIRS } from '../../lib/media';
import { MediaStorage, defaultStorage } from '../../lib/storage';

const listRules = {
  q: text('搜索', { max: 50, required: false }),
  role: choice('角色', [ '', 'user', 'visitor', 'admin' ], { required: false }),
  status: choice('状态', [ '', '0', '1' ], { required: false }),
  before: integer('起始ID', { required: false }),
};
const idRules = { id: integer('用户ID') };
const nickname = text('昵称', { max: 50, required: false, default: '' });
// A picture address, as the original's avatar column: an http(s) address, or a file of this server's media
// storage (what an uploaded avatar file becomes with the local driver, shown again in the edit form).
const avatar = text('头像', {
  max: 1000, required: false, default: '', pattern: /^(https?:\/\/[^\s"'<>]+|\/public\/uploads\/Diy\/(?:[A-Za-z0-9_]+\/)+[A-Za-z0-9_]+\.[a-z0-9]{2,4})?$/,
  patternHint: '必须是 http(s) 图片地址',
});
const profileRules = { nickname, avatar };
const createRules = { ...accountRules, nickname, avatar };
/** The forms' file field (multipart, the last field: the fields before it are checked before it is read). */
const AVATAR_FILE = 'avatarFile';
const passwordRules = { password: accountRules.password };

export default class AdminUsersController extends Controller {
  private get actor(): AdminActor {
    return this.ctx.state.admin;
  }

  private get userId(): number {
    return this.ctx.validateInput(idRules, this.ctx.params).id;
  }

  /** GET /admin/users — keyset pages (?before=<id>), search (?q=), filters (?role=, ?status=). */
  async index() {
    const { ctx } = this;
    const input = ctx.validateInput(listRules, ctx.query);
    const filter = { role: input.role || undefined, status: input.status ? Number(input.status) : undefined, beforeId: input.before };
    const limit = ctx.app.config.admin.pageSize;
    const rows = await ctx.service.adminUsers.list(input.q || '', filter, limit);
    const next = !input.q && rows.length === limit ? Number(rows[rows.length - 1].id) : null;
    await ctx.render('admin/users.nj', { rows, input, next });
  }

  /** GET /admin/users/new */
  async newForm() {
    await this.ctx.render('admin/userNew.nj', {});
  }

  /**
   * A form's fields, and its avatar file when the form is multipart: CSRF and the fields are checked on
   * what comes before the file, then the file goes through the chat's upload checks (app/service/media.ts:
   * kind from the content, size cap, metadata stripped, thumbnail) into the media storage's `avatars`.
   */
  private async readForm<R extends Rules>(rules: R): Promise<{ input: ReturnType<typeof validateInput<R>>; upload: Uploaded | null; storage: MediaStorage }> {
    const { ctx } = this;
    const storage = defaultStorage(this.app.config.chat.media);
    if (!ctx.is('multipart')) return { input: ctx.validateInput(rules, ctx.request.body), upload: null, storage };
    let input: ReturnType<typeof validateInput<R>> | undefined;
    const upload = await ctx.service.media.receiveOptional(`admin:${this.actor.id}`, {
      storage, folder: 'avatars', field: AVATAR_FILE, kinds: UPLOAD_DIRS.avatars,
      checkFields: fields => {
        checkCsrfOnFields(ctx, fields);
        input = ctx.validateInput(rules, fields);
      },
    });
    return { input: input!, upload, storage };
  }

  /** Runs the write with the avatar's URL; when it fails, the file just stored is removed again. */
  private async withAvatar<R>(form: { upload: Uploaded | null; storage: MediaStorage }, write: (avatarUrl: string | null) => Promise<R>): Promise<R> {
    try {
      return await write(form.upload ? form.upload.url : null);
    } catch (err) {
      if (form.upload) await this.ctx.service.media.discard(form.storage, form.upload);
      throw err;
    }
  }

  /** POST /admin/users — urlencoded, or multipart with the avatar file `avatarFile` (optional, last). */
  async create() {
    const { ctx } = this;
    const form = await this.readForm(createRules);
    const id = await this.withAvatar(form, avatarUrl =>
      ctx.service.adminUsers.create(this.actor, ctx.ip, { ...form.input, avatar: avatarUrl ?? form.input.avatar }));
    ctx.redirect(`/admin/users/${id}`);
  }

  /** GET /admin/users/:id */
  async show() {
    const { ctx } = this;
    const detail = await ctx.service.adminUsers.detail(this.userId);
    await ctx.render('admin/userDetail.nj', detail);
  }

  /** POST /admin/users/:id/profile — urlencoded, or multipart with the avatar file (it wins over the address). */
  async update() {
    const { ctx } = this;
    const id = this.userId;
    const form = await this.readForm(profileRules);
    await this.withAvatar(form, avatarUrl =>
      ctx.service.adminUsers.updateProfile(this.actor, ctx.ip, id, { nickname: form.input.nickname, avatar: avatarUrl ?? form.input.avatar }));
    ctx.redirect(`/admin/users/${id}`);
  }

  /** POST /admin/users/:id/password */
  async resetPassword() {
    const { ctx } = this;
    const id = this.userId;
    const { password } = ctx.validateInput(passwordRules, ctx.request.body);
    await ctx.service.adminUsers.resetPassword(this.actor, ctx.ip, id, password);
    ctx.redirect(`/admin/users/${id}`);
  }

  /** POST /admin/users/:id/disable */
  async disable() {
    await this.setStatus(0);
  }

  /** POST /admin/users/:id/enable */
  async enable() {
    await this.setStatus(1);
  }

  private async setStatus(status: 0 | 1) {
    const { ctx } = this;
    const id = this.userId;
    await ctx.service.adminUsers.setStatus(this.actor, ctx.ip, id, status);
    ctx.redirect(`/admin/users/${id}`);
  }

  /** POST /admin/users/:id/delete */
  async destroy() {
    const { ctx } = this;
    await ctx.service.adminUsers.remove(this.actor, ctx.ip, this.userId);
    ctx.redirect('/admin/users');
  }
}
