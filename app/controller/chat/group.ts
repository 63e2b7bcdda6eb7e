import { Controller } from 'egg';
import { choice, integer, text } from '../../lib/validation/rules';
import { pageFrom, pageRules } from '../../lib/validation/paging';
import { BusinessError, ValidationError } from '../../lib/errors';
import { lazyModule } from '../../lib/lazyModule';
import { MSG } from '../../lib/messages';
import { corsOrigins } from '../../../config/config.default';

// Labels are the original's `desc` (docs/design/groups.md §3). Names and nicknames are single-line.
// The QR code's encoder is loaded on the first QR request (lib/lazyModule.ts).
const qrcode = lazyModule(() => import('qrcode'));
const SINGLE_LINE = { pattern: /^[^\n\r\t]*$/, patternHint: '不能包含换行符或制表符' };
const groupId = integer('群id');
const idRules = { id: groupId };
const renameRules = { id: groupId, name: text('群名称', { max: 20, ...SINGLE_LINE }) };
const remarkRules = { id: groupId, remark: text('群公告', { max: 500 }) };
const nicknameRules = { id: groupId, nickname: text('群昵称', { max: 20, ...SINGLE_LINE }) };
const removeRules = { group_id: groupId, user_id: integer('群成员id') };
const inviteRules = {
  group_id: groupId,
  user_id: integer('用户id'),
  // Accepted for the client's sake (its id, or -1 for "I join myself") and ignored: the caller is the inviter.
  inviteuser_id: integer('邀请人的用户id', { min: -2147483648, required: false, default: 0 }),
  addGroupDesc: text('加群说明或者邀请说明', { max: 500, required: false, default: '' }),
};
const joinRuleRules = { group_id: groupId, addGroupSet: choice('进群设置属性值', [ '0', '1', '2' ]) };
const agreeRules = { group_id: groupId, user_id: integer('进群的用户id'), type: choice('同意或者拒绝', [ 'agree', 'no' ]) };
const qrRules = {
  id: integer('群id或者个人id'),
  type: text('平台类型', { max: 10, required: false, default: '' }),
  http: text('网址域名', { max: 500, required: false, default: '' }),
  chatType: choice('聊天类型', [ 'group', 'single' ], { required: false }),
};
const USER_IDS_LABEL = '选择的好友';
const userIdRule = { id: integer(USER_IDS_LABEL) };

/** Group chat routes (issue 13): the caller is always ctx.me (the token), never the body. */
export default class GroupController extends Controller {
  /** POST /api/chat/group/create — `userIds`: ids of my contact-list (goodfriend) rows, a JSON or form array. */
  async create() {
    const { ctx } = this;
    const raw = (ctx.request.body as any)?.userIds;
    if (raw === undefined || raw === null || raw === '') throw new ValidationError(`${USER_IDS_LABEL}不能为空`);
    const list: unknown[] = Array.isArray(raw) ? raw : [ raw ];
    const max = this.config.chat.group.maxMembers;
    if (!list.length) throw new ValidationError(`${USER_IDS_LABEL}不能为空`);
    if (list.length > max) throw new ValidationError(`${USER_IDS_LABEL} 最多 ${max} 个`);
    const ids = list.map(value => ctx.validateInput(userIdRule, { id: value }).id as number);
    await ctx.service.group.create(ctx.me, ids);
    ctx.ok('ok');
  }

  /** GET /api/chat/grouplist/:page?limit= */
  async grouplist() {
    const { ctx } = this;
    const { listDefault, listMax } = this.config.chat.group;
    const { page, limit } = pageFrom(ctx.validateInput(pageRules, { ...ctx.query, ...ctx.params }), listDefault, listMax);
    ctx.ok(await ctx.service.group.list(ctx.me.id, page, limit));
  }

  /** GET /api/chat/groupinfo/:id */
  async groupinfo() {
    const { ctx } = this;
    const { id } = ctx.validateInput(idRules, ctx.params);
    ctx.ok(await ctx.service.group.info(ctx.me.id, id));
  }

  /** POST /api/chat/groupUpdateName */
  async groupUpdateName() {
    const { ctx } = this;
    const { id, name } = ctx.validateInput(renameRules, ctx.request.body);
    await ctx.service.group.updateByOwner(ctx.me, id, 'name', name);
    ctx.ok('ok');
  }

  /** POST /api/chat/groupremark — the group notice (群公告). */
  async groupremark() {
    const { ctx } = this;
    const { id, remark } = ctx.validateInput(remarkRules, ctx.request.body);
    await ctx.service.group.updateByOwner(ctx.me, id, 'remark', remark);
    ctx.ok('ok');
  }

  /** POST /api/chat/groupnickname */
  async groupnickname() {
    const { ctx } = this;
    const { id, nickname } = ctx.validateInput(nicknameRules, ctx.request.body);
    await ctx.service.group.setNickname(ctx.me.id, id, nickname);
    ctx.ok('ok');
  }

  /** POST /api/chat/groupDeleteOrQuit — the owner dissolves, a member quits. */
  async groupDeleteOrQuit() {
    const { ctx } = this;
    const { id } = ctx.validateInput(idRules, ctx.request.body);
    await ctx.service.group.deleteOrQuit(ctx.me, id);
    ctx.ok('ok');
  }

  /** GET /api/chat/groupQrcode/:id?type=&http=&chatType= — a PNG (the token may be in the query: app/lib/queryToken.ts). */
  async groupQrcode() {
    const { ctx } = this;
    const input = ctx.validateInput(qrRules, { ...ctx.query, id: ctx.params.id });
    const http = input.http as string;
    if (http && !this.allowedClientUrl(http)) throw new BusinessError(MSG.groupQrcodeOriginRefused);
    const content = await ctx.service.group.qrcodeText(ctx.me.id, { id: input.id, type: input.type, http, chatType: input.chatType ?? 'group' });
    const png = await (await qrcode()).toBuffer(content, { type: 'png', scale: 10, margin: 4, errorCorrectionLevel: 'M' });
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'image/png';
    ctx.body = png;
  }

  /** POST /api/chat/groupDeleteUser — the owner removes a member (`user_id` is the member's user id). */
  async groupDeleteUser() {
    const { ctx } = this;
    const { group_id, user_id } = ctx.validateInput(removeRules, ctx.request.body);
    await ctx.service.groupMembers.remove(ctx.me, group_id, user_id);
    ctx.ok(MSG.groupMemberRemoved);
  }

  /** POST /api/chat/groupInviteUser — invite a friend, or join myself (`user_id` = me) under the join rule. */
  async groupInviteUser() {
    const { ctx } = this;
    const { group_id, user_id, addGroupDesc } = ctx.validateInput(inviteRules, ctx.request.body);
    ctx.ok(await ctx.service.groupMembers.invite(ctx.me, { group_id, user_id, addGroupDesc }));
  }

  /** POST /api/chat/groupAddUserSet — the join rule. */
  async groupAddUserSet() {
    const { ctx } = this;
    const { group_id, addGroupSet } = ctx.validateInput(joinRuleRules, ctx.request.body);
    await ctx.service.groupMembers.setJoinRule(ctx.me, group_id, addGroupSet);
    ctx.ok(MSG.settingUpdated);
  }

  /** POST /api/chat/groupAgreeOrNo — the owner's answer to a join request. */
  async groupAgreeOrNo() {
    const { ctx } = this;
    const { group_id, user_id, type } = ctx.validateInput(agreeRules, ctx.request.body);
    await ctx.service.groupMembers.handleRequest(ctx.me, group_id, user_id, type);
    ctx.ok(MSG.groupHandled);
  }

  /**
   * The QR code may point only at the client's own pages: an http(s) URL whose origin is an allowed
   * CORS origin (CORS_ORIGINS; unset: any outside production). The original embedded any `http`.
   */
  private allowedClientUrl(value: string): boolean {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return false;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    if (value.includes('#')) return false;
    return corsOrigins(this.config.env)(url.origin);
  }
}
