import { Service } from 'egg';
import { createSecretKey, KeyObject, randomUUID } from 'node:crypto';
import { Transaction } from 'sequelize';
import { AuthError } from '../lib/errors';
import { MSG } from '../lib/messages';
import { passwordFingerprint } from '../lib/password';
import { selectOne, selectRows } from '../lib/rawQuery';
import { AuthenticatedUser } from '../extend/context';
import { VerifiedTokens } from '../lib/verifiedTokens';

const ALGORITHM = 'HS256';

interface JsonWebToken {
  sign(payload: object, key: KeyObject, options: { algorithm: string; expiresIn: number }): string;
  verify(token: string, key: KeyObject, options: { algorithms: string[] }): unknown;
}

// jsonwebtoken (the library egg-jwt wraps, same version through the override) called directly with a
// KeyObject: egg-jwt only passes a string secret on, and for a string jsonwebtoken 9 first tries (and
// fails) to parse it as a PEM public key, then builds a secret KeyObject — on every request. The
// KeyObject is built once here instead.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const jsonwebtoken: JsonWebToken = require('jsonwebtoken');

let cachedSecret: string | undefined;
let cachedKey: KeyObject | undefined;

/** The HMAC key of the configured secret (the same bytes jsonwebtoken would derive from the string). */
function signingKey(secret: string): KeyObject {
  if (secret !== cachedSecret || !cachedKey) {
    cachedKey = createSecretKey(Buffer.from(secret, 'utf8'));
    cachedSecret = secret;
  }
  return cachedKey;
}

interface TokenPayload { id: number; uuid: string; role: string; sid: string; exp?: number }
interface SessionUser { id: number; uuid: string; role: string; nickname: string; password: string; status: number; is_deleted: number }

// The user row behind a token, read by primary key as one fixed statement: no model query building, no
// instance and no Sequelize query pipeline (lib/rawQuery.ts) for what every authenticated request does.
const SESSION_USER_SQL = 'SELECT id, uuid, role, nickname, password, status, is_deleted FROM `user` WHERE id = ? LIMIT 1';
interface SessionOwner { id: number; uuid: string; role: string; password: string }

// Tokens this worker verified (lib/verifiedTokens.ts): 4,096 of about 400 bytes each with their payloads.
const verifiedTokens = new VerifiedTokens<TokenPayload>(4096);

/**
 * JWT + stored session. The token carries only ids; it is accepted while the store still holds its
 * session id under `chat_user_<id>` and the user's password hash is the one it was issued for.
 */
export default class TokenService extends Service {
  private sessionKey(userId: number, sid: string): string {
    return this.config.chat.singleSession ? `chat_user_${userId}` : `${this.sessionFamily(userId)}${sid}`;
  }

  /** SINGLE_SESSION=0: the user's sessions, `chat_user_<id>:<sid>`, as one family of the store (listed, revoked at once). */
  private sessionFamily(userId: number): string {
    return `chat_user_${userId}:`;
  }

  /**
   * Writes a session. Single session: one key, one write. SINGLE_SESSION=0: a key of the user's family,
   * so that revokeAccount finds every one of them (authenticate still reads the one key: no extra read).
   */
  private async store(userId: number, sid: string, value: string, transaction?: Transaction): Promise<void> {
    const ttl = this.config.chat.tokenTtlSeconds;
    if (this.config.chat.singleSession) await this.app.kvStore.set(this.sessionKey(userId, sid), value, ttl, transaction);
    else await this.app.kvStore.setInFamily(this.sessionFamily(userId), sid, value, ttl, transaction);
  }

  /**
   * Stores a new session for the user (replacing the previous one) and returns its token. Pass the
   * caller's transaction so that the session and the rows commit or fail together.
   */
  async issue(user: SessionOwner, transaction?: Transaction): Promise<string> {
    const sid = randomUUID();
    const ttl = this.config.chat.tokenTtlSeconds;
    await this.store(user.id, sid, `${sid}.${passwordFingerprint(user.password)}`, transaction);
    // Read replicas: a new account (or session) reads the primary at first (app/lib/readRouting.ts).
    await this.app.readRouting?.markWriter(user.id);
    if (this.config.chat.singleSession) {
      // The older session's sockets are logged out once this one is committed (never for a rolled-back login).
      const announce = () => this.service.inbox.publish(user.id, { k: 'session', keep: sid });
      if (transaction) transaction.afterCommit(announce);
      else await announce();
    }
    const payload: TokenPayload = { id: user.id, uuid: user.uuid, role: user.role, sid };
    return jsonwebtoken.sign(payload, signingKey(this.config.jwt.secret), { algorithm: ALGORITHM, expiresIn: ttl });
  }

  /** Checks signature, expiry, the stored session and the user row; throws AuthError with the contract's messages. */
  async authenticate(token: string): Promise<AuthenticatedUser> {
    const key = signingKey(this.config.jwt.secret);
    let payload = verifiedTokens.get(token, key, Math.floor(Date.now() / 1000));
    if (payload === 'expired') throw new AuthError(MSG.authExpired);
    if (!payload) {
      try {
        payload = jsonwebtoken.verify(token, key, { algorithms: [ ALGORITHM ] }) as TokenPayload;
      } catch (err: any) {
        throw new AuthError(err?.name === 'TokenExpiredError' ? MSG.authExpired : MSG.authInvalid);
      }
      if (!payload || !Number.isSafeInteger(payload.id) || typeof payload.sid !== 'string') throw new AuthError(MSG.authInvalid);
      verifiedTokens.set(token, key, payload);
    }

    // One store read and one primary-key read, side by side.
    const [ stored, user ] = await Promise.all([
      this.app.kvStore.get(this.sessionKey(payload.id, payload.sid)),
      selectOne<SessionUser>(this.ctx.model, SESSION_USER_SQL, [ payload.id ]),
    ]);
    if (!user || Number(user.status) !== 1 || Number(user.is_deleted) !== 0) throw new AuthError(MSG.authUserDisabled);
    const [ storedSid, storedFingerprint ] = (stored || '').split('.');
    if (storedSid !== payload.sid || storedFingerprint !== passwordFingerprint(user.password)) {
      throw new AuthError(MSG.authInvalid);
    }
    return { id: user.id, uuid: user.uuid, role: user.role, nickname: user.nickname, sid: payload.sid };
  }

  /**
   * Which of these sessions (the sockets of a worker, at a heartbeat) are still live: one store read and
   * one user read for all of them, the same rules as authenticate (session still stored for that user,
   * issued for the current password, account enabled). Answers, per session, null when live, otherwise
   * the contract's refusal text.
   */
  async recheck(sessions: Array<{ userId: number; sid: string }>): Promise<Array<string | null>> {
    if (!sessions.length) return [];
    const ids = [ ...new Set(sessions.map(session => session.userId)) ];
    const [ stored, users ] = await Promise.all([
      this.app.kvStore.getMany(sessions.map(session => this.sessionKey(session.userId, session.sid))),
      selectRows<SessionUser>(this.ctx.model, `SELECT id, uuid, role, nickname, password, status, is_deleted FROM \`user\` WHERE id IN (${ids.map(() => '?').join(', ')})`, ids),
    ]);
    const byId = new Map(users.map(user => [ Number(user.id), user ]));
    return sessions.map((session, i) => {
      const user = byId.get(session.userId);
      if (!user || Number(user.status) !== 1 || Number(user.is_deleted) !== 0) return MSG.authUserDisabled;
      const [ storedSid, storedFingerprint ] = (stored[i] || '').split('.');
      return storedSid === session.sid && storedFingerprint === passwordFingerprint(user.password) ? null : MSG.authInvalid;
    });
  }

  /**
   * The password changed in the caller's session: that session is stored again for the new hash (its token
   * stays valid), every other session of the user fails from now on (their stored fingerprint names the old
   * hash), and once the transaction commits their sockets close, on every worker and instance.
   */
  async keepOnlyThis(me: AuthenticatedUser, newPasswordHash: string, transaction: Transaction): Promise<void> {
    await this.store(me.id, me.sid, `${me.sid}.${passwordFingerprint(newPasswordHash)}`, transaction);
    transaction.afterCommit(() => this.service.inbox.publish(me.id, { k: 'password', keep: me.sid }));
  }

  /**
   * What the store holds of an account's live sessions, for the admin console (never a value, which names
   * the sid): how many and when each expires, soonest first. Single session: at most one. SINGLE_SESSION=0:
   * the user's family of sessions, those issued for the current password only (the others fail already);
   * the first `shown` expiries.
   */
  async liveSessions(userId: number, shown = 20): Promise<{ count: number; expiries: Date[] }> {
    const now = Date.now();
    if (this.config.chat.singleSession) {
      const stored = await this.app.kvStore.peek(this.sessionKey(userId, ''));
      return stored ? { count: 1, expiries: [ new Date(now + stored.ttlMs) ] } : { count: 0, expiries: [] };
    }
    const [ entries, user ] = await Promise.all([
      this.app.kvStore.listFamily(this.sessionFamily(userId)),
      selectOne<SessionUser>(this.ctx.model, SESSION_USER_SQL, [ userId ]),
    ]);
    const fingerprint = user ? passwordFingerprint(user.password) : null;
    const expiries = entries
      .filter(entry => entry.value.split('.')[1] === fingerprint)
      .map(entry => entry.ttlMs)
      .sort((a, b) => a - b)
      .map(ttlMs => new Date(now + ttlMs));
    return { count: expiries.length, expiries: expiries.slice(0, shown) };
  }

  /**
   * Ends every session of an account that was disabled, deleted or given a new password (admin console),
   * for good: its stored sessions are removed — the one key, or with SINGLE_SESSION=0 every key of the
   * user's family — so its old tokens stay refused once the account is enabled again; and every socket of
   * it, on every worker and instance, closes at once.
   */
  async revokeAccount(userId: number): Promise<void> {
    if (this.config.chat.singleSession) await this.app.kvStore.del(this.sessionKey(userId, ''));
    else await this.app.kvStore.deleteFamily(this.sessionFamily(userId));
    await this.service.inbox.publish(userId, { k: 'disabled' });
  }

  /**
   * Ends the caller's session: its token fails from now on. Only that session: should the store run the
   * delete late, after a newer login replaced the session, the newer one stays.
   */
  async revoke(me: AuthenticatedUser): Promise<void> {
    await this.app.kvStore.delIfStartsWith(this.sessionKey(me.id, me.sid), `${me.sid}.`);
    await this.service.inbox.publish(me.id, { k: 'ended', sid: me.sid });
  }
}
