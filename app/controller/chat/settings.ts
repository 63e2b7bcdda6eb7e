import { Controller } from 'egg';
import { choice, integer, text } from '../../lib/validation/rules';
import { BusinessError } from '../../lib/errors';
import { MSG } from '../../lib/messages';
import { EditableField } from '../../service/profile';
import { USERSET_MAX_LENGTH } from '../../lib/userSettings';

const usersetRules = {
  userset: text('用户设置', { min: 2, max: USERSET_MAX_LENGTH }),
};

const userSetInfoRules = {
  userid: integer('用户id'),
};

const fieldnameRules = {
  fieldname: text('修改类型', { max: 30 }),
};

const EDITABLE: readonly EditableField[] = [ 'nickname', 'avatar', 'invite_confirm' ];

// An avatar is an http(s) URL or a path on this server (an upload answers `/public/...`).
const AVATAR_URL = /^(https?:\/\/[^\s/?#]+[^\s]*|\/(?!\/)[^\s]*)$/i;

/** What each editable field's value must be, with the original's limits (nickname 30, avatar 1000). */
const VALUE_RULES: Record<EditableField, any> = {
  nickname: { fieldValue: text('昵称', { max: 30 }) },
  avatar: { fieldValue: text('头像地址', { max: 1000, pattern: AVATAR_URL, patternHint: '必须是 http(s) 地址或以 / 开头的路径' }) },
  invite_confirm: { fieldValue: choice('添加我为好友设置', [ '0', '1' ]) },
};

/** My settings and profile fields, and another user's settings before adding them. */
export default class SettingsController extends Controller {
  /** POST /api/chat/userset */
  async userset() {
    const { ctx } = this;
    const { userset } = ctx.validateInput(usersetRules, ctx.request.body);
    await ctx.service.profile.saveUserset(ctx.me.id, userset);
    ctx.ok('ok');
  }

  /** POST /api/chat/getUserSetInfo */
  async getUserSetInfo() {
    const { ctx } = this;
    const { userid } = ctx.validateInput(userSetInfoRules, ctx.request.body);
    ctx.ok(await ctx.service.profile.settingsOf(ctx.me, userid));
  }

  /** POST /api/chat/updateUserinfo — one field at a time, only those in EDITABLE. */
  async updateUserinfo() {
    const { ctx } = this;
    const body = ctx.request.body;
    const { fieldname } = ctx.validateInput(fieldnameRules, body);
    if (fieldname === 'username') throw new BusinessError(MSG.usernameReadonly);
    const { fieldname: field } = ctx.validateInput({ fieldname: choice('修改类型', EDITABLE) }, body);
    // The value by the chosen field's own rule (a number is fine for invite_confirm).
    const { fieldValue } = ctx.validateInput(VALUE_RULES[field as EditableField], body);
    ctx.ok(await ctx.service.profile.updateField(ctx.me.id, field, fieldValue));
  }
}
