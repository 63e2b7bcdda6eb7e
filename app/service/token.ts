import { Service } from 'egg';
import { randomUUID } from 'crypto';
import { Transaction } from 'sequelize';
import { AuthError } from '../lib/errors';
import { MSG } from '../lib/messages';
import { passwordFingerprint } from '../lib/password';
import { AuthenticatedUser } from '../extend/context';

const ALGORITHM = 'HS256';

interface TokenPayload { id: number; uuid: string; role: string; sid: string }
interface SessionOwner { id: number; uuid: string; role: string; password: string }

/**
 * JWT + stored session. The token carries only ids; it is accepted while the store still holds its
 * session id under `chat_user_<id>` and the user's password hash is the one it was issued for.
 */
export default class TokenService extends Service {
  private sessionKey(userId: number, sid: string): string {
    return this.config.chat.singleSession ? `chat_user_${userId}` : `chat_user_${userId}:${sid}`;
  }

  /**
   * Stores a new session for the user (replacing the previous one) and returns its token. Pass the
   * caller's transaction so that the session and the rows commit or fail together.
   */
  async issue(user: SessionOwner, transaction?: Transaction): Promise<string> {
    const sid = randomUUID();
    const ttl = this.config.chat.tokenTtlSeconds;
    await this.app.kvStore.set(this.sessionKey(user.id, sid), `${sid}.${passwordFingerprint(user.password)}`, ttl, transaction);
    const payload: TokenPayload = { id: user.id, uuid: user.uuid, role: user.role, sid };
    return this.app.jwt.sign(payload, this.config.jwt.secret, { algorithm: ALGORITHM, expiresIn: ttl });
  }

  /** Checks signature, expiry, the stored session and the user row; throws AuthError with the contract's messages. */
  async authenticate(token: string): Promise<AuthenticatedUser> {
    let payload: TokenPayload;
    try {
      payload = this.app.jwt.verify(token, this.config.jwt.secret, { algorithms: [ ALGORITHM ] }) as unknown as TokenPayload;
    } catch (err: any) {
      throw new AuthError(err?.name === 'TokenExpiredError' ? MSG.authExpired : MSG.authInvalid);
    }
    if (!payload || !Number.isSafeInteger(payload.id) || typeof payload.sid !== 'string') throw new AuthError(MSG.authInvalid);

    // One store read and one primary-key read, side by side.
    const [ stored, user ] = await Promise.all([
      this.app.kvStore.get(this.sessionKey(payload.id, payload.sid)),
      this.ctx.model.User.findByPk(payload.id, {
        attributes: [ 'id', 'uuid', 'role', 'nickname', 'password', 'status', 'is_deleted' ],
        raw: true,
      }),
    ]);
    if (!user || Number(user.status) !== 1 || Number(user.is_deleted) !== 0) throw new AuthError(MSG.authUserDisabled);
    const [ storedSid, storedFingerprint ] = (stored || '').split('.');
    if (storedSid !== payload.sid || storedFingerprint !== passwordFingerprint(user.password)) {
      throw new AuthError(MSG.authInvalid);
    }
    return { id: user.id, uuid: user.uuid, role: user.role, nickname: user.nickname, sid: payload.sid };
  }

  /** Ends the caller's session: its token fails from now on. */
  async revoke(me: AuthenticatedUser): Promise<void> {
    await this.app.kvStore.del(this.sessionKey(me.id, me.sid));
  }
}
