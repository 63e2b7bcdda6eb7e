import { Controller } from 'egg';
import { integer, text } from '../lib/validation/rules';
import { accountRules } from './user';
import { BusinessError } from '../lib/errors';
import { MSG } from '../lib/messages';

// A millisecond timestamp (Date.now()), beyond the 32-bit range of the other integer fields.
const signedRules = {
  deviceId: text('设备指纹', { min: 36, max: 200 }),
  timestamp: integer('时间戳', { min: 0, max: 9_999_999_999_999 }),
};

const identifyRules = {
  ...signedRules,
  uniplatform: text('平台类型', { max: 50, required: false, default: '' }),
  devicemodel: text('设备型号', { max: 50, required: false, default: '' }),
  deviceos: text('操作系统', { max: 50, required: false, default: '' }),
  devicebrand: text('设备品牌', { max: 50, required: false, default: '' }),
};

const formalRules = { ...accountRules, ...signedRules };

/**
 * The three routes the client's launch and login pages call with `X-Security-Sign` (the original's
 * visitor flow). Each checks the signature, its time window, the device id and the limits first.
 */
export default class VisitorController extends Controller {
  /** POST /api/visitorRegister — the device's visitor identity, logged in. */
  async visitorRegister() {
    const { ctx } = this;
    const sign = this.signHeader();
    const input = ctx.validateInput(identifyRules, ctx.request.body);
    await ctx.service.visitor.checkSignedRequest({ sign, deviceId: input.deviceId, timestamp: input.timestamp, ip: ctx.ip });
    ctx.ok(await ctx.service.visitor.identify(input.deviceId, input, ctx.ip));
  }

  /** POST /api/visitorregChat — formal registration from a device (its visitor account becomes a user). */
  async visitorregChat() {
    const { ctx } = this;
    const sign = this.signHeader();
    const { username, password, deviceId, timestamp } = ctx.validateInput(formalRules, ctx.request.body);
    await ctx.service.visitor.checkSignedRequest({ sign, deviceId, timestamp, ip: ctx.ip });
    ctx.ok(await ctx.service.visitor.registerFormally({ username, password }, deviceId, ctx.ip));
  }

  /** POST /api/visitorloginChat — formal login from a device (as /api/loginChat, after the device checks). */
  async visitorloginChat() {
    const { ctx } = this;
    const sign = this.signHeader();
    const { username, password, deviceId, timestamp } = ctx.validateInput(formalRules, ctx.request.body);
    await ctx.service.visitor.checkSignedRequest({ sign, deviceId, timestamp, ip: ctx.ip });
    ctx.ok(await ctx.service.user.login({ username, password }, ctx.ip, 'device'));
  }

  /** The original refuses a request without the header before it reads the body. */
  private signHeader(): string {
    const sign = this.ctx.get('x-security-sign').trim();
    if (!sign) throw new BusinessError(MSG.visitorSignMissing);
    return sign;
  }
}
