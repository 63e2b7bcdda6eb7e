import { Controller } from 'egg';
import { choice, integer, text } from '../../lib/validation/rules';
import { ValidationError } from '../../lib/errors';
import { MESSAGE_TYPES } from '../../service/message';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const OPTIONS_LABEL = '额外参数';

/** The rules of sendmessage; `data`'s cap comes from the configuration (MESSAGE_MAX_LENGTH). */
function sendRules(maxDataLength: number) {
  return {
    sendto_id: integer('接收人/群的id值'),
    chatType: choice('接收类型', [ 'single', 'group' ]),
    type: choice('消息类型', MESSAGE_TYPES),
    data: text('消息内容', { max: maxDataLength }),
    // Optional; empty means none.
    client_msg_id: text('消息幂等键', { max: 64, required: false, pattern: /^[\w-]*$/, patternHint: '只能包含字母、数字、下划线和 -' }),
  };
}

const revokeRules = {
  id: text('消息uuid', { min: 36, max: 36, pattern: UUID, patternHint: '必须是 uuid 格式' }),
  chatType: choice('聊天类型', [ 'single', 'group' ]),
  to_id: integer('接收者id或者群id'),
  // Sent by the client, as in the original; the stored message decides who receives the notice.
  to_name: text('接收者或者群名称', { max: 50, required: false }),
  to_avatar: text('接收者或者群头像', { max: 1000, required: false }),
  create_time: integer('消息发送时间', { min: 0, max: 9_999_999_999_999, required: false }),
};

/**
 * `options`: the JSON object the client sends as `encodeURIComponent(JSON.stringify(options))` (or plain
 * JSON, or an object in a JSON body); absent or empty is `{}`.
 */
function parseOptions(raw: unknown, maxLength: number): Record<string, unknown> {
  if (raw === undefined || raw === null || raw === '') return {};
  let value: unknown = raw;
  if (typeof raw === 'string') {
    if (raw.length > maxLength) throw new ValidationError(`${OPTIONS_LABEL} 的长度 不能超过 ${maxLength}`);
    let decoded = raw;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      // Not percent-encoded: read as it is.
    }
    try {
      value = JSON.parse(decoded);
    } catch {
      throw new ValidationError(`${OPTIONS_LABEL} 必须是 JSON 对象字符串`);
    }
  } else if (JSON.stringify(raw).length > maxLength) {
    throw new ValidationError(`${OPTIONS_LABEL} 的长度 不能超过 ${maxLength}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError(`${OPTIONS_LABEL} 必须是 JSON 对象字符串`);
  return value as Record<string, unknown>;
}

let cachedRules: { max: number; rules: ReturnType<typeof sendRules> } | undefined;

/** Messages: send, recall, and the push of what arrived while away. */
export default class MessageController extends Controller {
  /** POST /api/chat/socket/sendmessage — answers the stored message object (the client's acknowledgement). */
  async sendmessage() {
    const { ctx } = this;
    const { maxDataLength, maxOptionsLength } = this.config.chat.message;
    if (!cachedRules || cachedRules.max !== maxDataLength) cachedRules = { max: maxDataLength, rules: sendRules(maxDataLength) };
    const input = ctx.validateInput(cachedRules.rules, ctx.request.body);
    const options = parseOptions((ctx.request.body as any)?.options, maxOptionsLength);
    const clientMsgId = input.client_msg_id || ctx.get('idempotency-key') || undefined;
    if (clientMsgId !== undefined && !/^[\w-]{1,64}$/.test(clientMsgId)) throw new ValidationError('消息幂等键 只能包含字母、数字、下划线和 -（最多 64 个）');
    ctx.ok(await ctx.service.message.send(ctx.me, { ...input, options, client_msg_id: clientMsgId }));
  }

  /** POST /api/chat/chatGetmessageOffLine — my sockets push what I have not received yet; answers "ok". */
  async chatGetmessageOffLine() {
    const { ctx } = this;
    await ctx.service.inbox.pump(ctx.me.id);
    ctx.ok('ok');
  }

  /** POST /api/chat/revokeMessage — the sender recalls a message within the window; answers the notice. */
  async revokeMessage() {
    const { ctx } = this;
    const { id, chatType } = ctx.validateInput(revokeRules, ctx.request.body);
    ctx.ok(await ctx.service.message.revoke(ctx.me, id.toLowerCase(), chatType));
  }
}
