import { Service } from 'egg';
import { v4 as uuidv4 } from 'uuid';
import { UniqueConstraintError } from 'sequelize';
import { BusinessError } from '../lib/errors';
import { MSG } from '../lib/messages';
import { burnPasswordWork, hashPassword, verifyPassword } from '../lib/password';
import { UserInstance } from '../model/user';
import { AuthenticatedUser } from '../extend/context';
import { ThrottleRule } from '../../config/config.default';

export interface Credentials { username: string; password: string }
export interface PasswordChange { oldpassword: string; newpassword: string; checknewpassword: string }

/**
 * What a login answer shows of the account: `seed` — the columns of the seed document's example (every
 * column but the password, the settings and the device's); `device` — those plus the device's columns,
 * as the original's visitor routes answer. Plus the token.
 */
export type AccountShape = 'seed' | 'device';
const NEVER_SHOWN = [ 'password', 'userset', 'invite_confirm' ];
const DEVICE_COLUMNS = [ 'devicefingeruuid', 'uniplatform', 'devicemodel', 'deviceos', 'devicebrand' ];

export function publicUser(user: UserInstance, token: string, shape: AccountShape = 'seed') {
  const columns = user.get({ plain: true }) as unknown as Record<string, unknown>;
  const hidden = shape === 'device' ? NEVER_SHOWN : [ ...NEVER_SHOWN, ...DEVICE_COLUMNS ];
  for (const name of hidden) delete columns[name];
  return { ...columns, token };
}

export default class UserService extends Service {
  /** Creates user + user_info and a session in one transaction; a taken username is refused. */
  async register({ username, password }: Credentials, ip: string, shape: AccountShape = 'seed') {
    const { User, Userinfo } = this.ctx.model;
    const perIp: [ string, ThrottleRule ] = [ `register:ip:${ip}`, this.config.chat.throttle.registerPerIp ];
    await this.service.throttle.assertUnder(perIp);
    const passwordHash = await hashPassword(password);
    try {
      const registered = await this.app.transaction(async transaction => {
        if (await User.findOne({ where: { username }, attributes: [ 'id' ], transaction })) {
          throw new BusinessError(MSG.usernameTaken);
        }
        const user = await User.create({
          uuid: uuidv4(),
          username,
          password: passwordHash,
          register_time: new Date(),
          register_ip: ip || null,
        }, { transaction });
        await Userinfo.create({ user_id: user.id }, { transaction });
        await user.reload({ transaction });
        // The session is written before commit: if the store is down, no account is left behind.
        const token = await this.service.token.issue(user, transaction);
        return publicUser(user, token, shape);
      });
      await this.service.throttle.hit(perIp);
      return registered;
    } catch (err) {
      // Two registrations of one name at the same moment: the unique index decides.
      if (err instanceof UniqueConstraintError) throw new BusinessError(MSG.usernameTaken);
      throw err;
    }
  }

  /** Checks the password (upgrading a legacy SHA-256 hash), records the login and opens a session. */
  async login({ username, password }: Credentials, ip: string, shape: AccountShape = 'seed') {
    const { User } = this.ctx.model;
    const { loginFailPerAccount, loginFailPerIp } = this.config.chat.throttle;
    const accountKey = `login:user:${username.toLowerCase()}`;
    const counters: Array<[ string, ThrottleRule ]> = [[ accountKey, loginFailPerAccount ], [ `login:ip:${ip}`, loginFailPerIp ]];
    await this.service.throttle.assertUnder(...counters);

    const user = await User.findOne({ where: { username } });
    if (!user || Number(user.status) !== 1 || Number(user.is_deleted) !== 0) {
      // Same hashing work as a real check: unknown names cannot be told apart by timing.
      await burnPasswordWork(password);
      await this.service.throttle.hit(...counters);
      throw new BusinessError(MSG.accountMissingOrDisabled);
    }
    const check = await verifyPassword(password, user.password);
    if (!check.ok) {
      await this.service.throttle.hit(...counters);
      throw new BusinessError(MSG.wrongPassword);
    }
    await this.service.throttle.clear(accountKey);
    const upgradedHash = check.needsRehash ? await hashPassword(password) : undefined;

    return this.app.transaction(async transaction => {
      user.last_login = new Date();
      user.last_login_ip = ip || null;
      if (upgradedHash) user.password = upgradedHash;
      await user.save({ transaction, fields: upgradedHash ? [ 'last_login', 'last_login_ip', 'password' ] : [ 'last_login', 'last_login_ip' ] });
      const token = await this.service.token.issue(user, transaction);
      return publicUser(user, token, shape);
    });
  }

  /**
   * setPassword: the original's refusals in its order (mismatch, visitor, account gone, wrong old password),
   * wrong old passwords throttled per account; the new hash and the caller's re-stored session in one
   * transaction. The caller's token stays valid; every other session answers 401 and its sockets close.
   */
  async changePassword(me: AuthenticatedUser, input: PasswordChange): Promise<string> {
    if (input.newpassword !== input.checknewpassword) throw new BusinessError(MSG.passwordMismatch);
    if (me.role === 'visitor') throw new BusinessError(MSG.passwordVisitorRefused);
    const failures: [ string, ThrottleRule ] = [ `setpassword:user:${me.id}`, this.config.chat.care.passwordFailPerUser ];
    await this.service.throttle.assertUnder(failures);
    const { User } = this.ctx.model;
    const user = await User.findOne({ where: { id: me.id, status: 1, is_deleted: 0 }, attributes: [ 'id', 'password' ] });
    if (!user) throw new BusinessError(MSG.passwordUserMissing);
    const check = await verifyPassword(input.oldpassword, user.password);
    if (!check.ok) {
      await this.service.throttle.hit(failures);
      throw new BusinessError(MSG.passwordOldWrong);
    }
    const newHash = await hashPassword(input.newpassword);
    await this.app.transaction(async transaction => {
      // Only over the hash just checked: a change that won meanwhile makes this old password wrong.
      const [ changed ] = await User.update({ password: newHash }, { where: { id: me.id, password: user.password }, transaction });
      if (changed !== 1) throw new BusinessError(MSG.passwordOldWrong);
      await this.service.token.keepOnlyThis(me, newHash, transaction);
    });
    await this.service.throttle.clear(failures[0]);
    return MSG.passwordChanged;
  }
}
