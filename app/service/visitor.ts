import { Service } from 'egg';
import { randomBytes, randomUUID } from 'node:crypto';
import { Transaction, UniqueConstraintError } from 'sequelize';
import { v4 as uuidv4 } from 'uuid';
import { BusinessError, TooManyRequestsError } from '../lib/errors';
import { MSG } from '../lib/messages';
import { hashPassword } from '../lib/password';
import { DEVICE_ID_PATTERN, signMatches, visitorSign } from '../lib/visitorSign';
import { UserInstance } from '../model/user';
import { Credentials, publicUser } from './user';
import { ThrottleRule } from '../../config/config.default';

/** What the client sends with every visitor route (validated by the controller). */
export interface SignedRequest { sign: string; deviceId: string; timestamp: number; ip: string }
export interface DeviceInfo { uniplatform: string; devicemodel: string; deviceos: string; devicebrand: string }

/**
 * A visitor account is a `user` row with role 'visitor' bound to one device id (unique column
 * devicefingeruuid); its password is a marker no password can match, so it is reachable only through
 * its device. Visitor tokens open only the routes app/router.ts marks for visitors.
 */
export default class VisitorService extends Service {
  /**
   * The original's checks, in its order: a signature is present and right, the timestamp is within the
   * window, the device id has the client's format; then a signature works once, and the per-device and
   * per-address limits hold. Every signed call counts towards the limits, as in the original.
   */
  async checkSignedRequest({ sign, deviceId, timestamp, ip }: SignedRequest): Promise<void> {
    const { signSalt, signWindowSeconds } = this.config.chat.visitor;
    if (!sign) throw new BusinessError(MSG.visitorSignMissing);
    if (!signMatches(sign, visitorSign(deviceId, timestamp, signSalt))) throw new BusinessError(MSG.visitorSignInvalid);
    // Both ways: a timestamp from the future would otherwise stretch the window.
    if (Math.abs(Date.now() - timestamp) > signWindowSeconds * 1000) throw new BusinessError(MSG.visitorSignExpired);
    if (!DEVICE_ID_PATTERN.test(deviceId)) throw new BusinessError(MSG.visitorDeviceInvalid);
    // A captured request replayed within its window is refused: the client signs every call anew.
    const seen = await this.app.kvStore.incr(`visitor:sign:${sign.toLowerCase()}`, signWindowSeconds * 2);
    if (seen.count > 1) throw new BusinessError(MSG.visitorSignInvalid);
    const { visitorPerDevice, visitorPerIp } = this.config.chat.throttle;
    await this.consume([ `visitor:device:${deviceId}`, visitorPerDevice ], [ `visitor:ip:${ip}`, visitorPerIp ]);
  }

  /** Counts one call on each counter; 429 with the original's text once a counter is over its limit. */
  private async consume(...checks: Array<[ string, ThrottleRule ]>): Promise<void> {
    const counters = await Promise.all(checks.map(([ key, rule ]) => this.app.kvStore.incr(`throttle:${key}`, rule.windowSeconds)));
    counters.forEach((counter, i) => {
      if (counter.count > checks[i][1].limit) throw new TooManyRequestsError(counter.ttlMs / 1000, MSG.visitorTooFrequent);
    });
  }

  /**
   * POST /api/visitorRegister: the device's visitor account, logged in; made on the device's first call.
   * Concurrent first calls of one device make one account (the unique device id decides; the loser
   * logs the winner's account in).
   */
  async identify(deviceId: string, device: DeviceInfo, ip: string) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.app.transaction(transaction => this.identifyOnce(deviceId, device, ip, transaction));
      } catch (err) {
        if (!(err instanceof UniqueConstraintError) || attempt >= 3) throw err;
      }
    }
  }

  private async identifyOnce(deviceId: string, device: DeviceInfo, ip: string, transaction: Transaction) {
    const { User, Userinfo } = this.ctx.model;
    const bound = await User.findOne({ where: { devicefingeruuid: deviceId }, transaction });
    if (bound && bound.role === 'visitor') {
      if (Number(bound.status) !== 1 || Number(bound.is_deleted) !== 0) throw new BusinessError(MSG.accountMissingOrDisabled);
      bound.last_login = new Date();
      bound.last_login_ip = ip || null;
      Object.assign(bound, statistics(device));
      await bound.save({ transaction, fields: [ 'last_login', 'last_login_ip', 'uniplatform', 'devicemodel', 'deviceos', 'devicebrand' ] });
      return publicUser(bound, await this.service.token.issue(bound, transaction), 'device');
    }
    // The device's visitor became a registered account (or a database from the original bound one to it):
    // that account is reachable by its password only. The device gets a visitor identity of its own.
    if (bound) await User.update({ devicefingeruuid: null }, { where: { id: bound.id }, transaction });

    const now = new Date();
    const visitor = await User.create({
      uuid: uuidv4(),
      username: await this.freeVisitorName(deviceId, transaction),
      password: `!visitor:${randomUUID()}`,
      role: 'visitor',
      devicefingeruuid: deviceId,
      ...statistics(device),
      register_time: now,
      register_ip: ip || null,
      last_login: now,
      last_login_ip: ip || null,
    }, { transaction });
    await Userinfo.create({ user_id: visitor.id }, { transaction });
    await visitor.reload({ transaction });
    return publicUser(visitor, await this.service.token.issue(visitor, transaction), 'device');
  }

  /** The original's `VIS` + the device id's first 8 characters; another device's prefix taken → random. */
  private async freeVisitorName(deviceId: string, transaction: Transaction): Promise<string> {
    const preferred = `VIS${deviceId.slice(0, 8)}`;
    const taken = await this.ctx.model.User.findOne({ where: { username: preferred }, attributes: [ 'id' ], transaction });
    return taken ? `VIS${randomBytes(8).toString('hex')}` : preferred;
  }

  /**
   * POST /api/visitorregChat: the device's visitor account becomes a registered one (same id, so its
   * friends, applications and messages stay), or, with no visitor on the device, a new account is made
   * as by /api/regChat. An account that is registered already is never renamed through a device id.
   */
  async registerFormally(credentials: Credentials, deviceId: string, ip: string) {
    const { User } = this.ctx.model;
    const perIp: [ string, ThrottleRule ] = [ `register:ip:${ip}`, this.config.chat.throttle.registerPerIp ];
    await this.service.throttle.assertUnder(perIp);
    const passwordHash = await hashPassword(credentials.password);
    let converted: ReturnType<typeof publicUser> | undefined;
    try {
      converted = await this.app.transaction(async transaction => {
        if (await User.findOne({ where: { username: credentials.username }, attributes: [ 'id' ], transaction })) {
          throw new BusinessError(MSG.usernameTaken);
        }
        const visitor = await User.findOne({
          where: { devicefingeruuid: deviceId, role: 'visitor', status: 1, is_deleted: 0 },
          transaction,
          lock: transaction.LOCK.UPDATE,
        });
        if (!visitor) return undefined;
        const changed: Partial<UserInstance> = {
          username: credentials.username,
          password: passwordHash,
          role: 'user',
          // The device is free for a new visitor identity after this account logs out.
          devicefingeruuid: null,
          last_login: new Date(),
          last_login_ip: ip || null,
        };
        Object.assign(visitor, changed);
        await visitor.save({ transaction, fields: Object.keys(changed) as any });
        return publicUser(visitor, await this.service.token.issue(visitor, transaction), 'device');
      });
    } catch (err) {
      if (err instanceof UniqueConstraintError) throw new BusinessError(MSG.usernameTaken);
      throw err;
    }
    if (!converted) return this.service.user.register(credentials, ip, 'device');
    await this.service.throttle.hit(perIp);
    return converted;
  }
}

/** The device's statistics columns, '' when the client did not send them. */
function statistics(device: DeviceInfo): DeviceInfo {
  return { uniplatform: device.uniplatform || '', devicemodel: device.devicemodel || '', deviceos: device.deviceos || '', devicebrand: device.devicebrand || '' };
}
