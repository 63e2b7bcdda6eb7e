import { Service } from 'egg';
import { Sequelize, Transaction } from 'sequelize';
import { v4 as uuidv4 } from 'uuid';
import { BusinessError, HttpError } from '../lib/errors';
import { ADMIN_MSG } from '../lib/messages';
import { hashPassword } from '../lib/password';
import { isUniqueViolation, txRows, txRun } from '../lib/rawQuery';
import { appendAudit } from '../repository/adminAudit';
import { deleteUserCascade, findUserForAdmin, pageUsers, relationCounts, searchUsers, updateUserColumns, UserDetailRow, UserFilter } from '../repository/user';
import { AdminActor } from './adminAuth';

/** What of a user row the audit log keeps as before/after (never the password hash). */
function snapshot(user: UserDetailRow) {
  return { username: user.username, nickname: user.nickname, avatar: user.avatar, status: Number(user.status), role: user.role };
}

/** The console's writes on chat users: each in one transaction with its audit row. */
export default class AdminUsersService extends Service {
  private get db(): Sequelize {
    return this.ctx.model as unknown as Sequelize;
  }

  /** A page of users (keyset), or the search's hits when there is a keyword. */
  async list(keyword: string, filter: UserFilter, limit: number) {
    if (keyword) {
      const hits = await searchUsers(this.db, keyword, limit);
      return hits.filter(row => (!filter.role || row.role === filter.role) && (filter.status === undefined || Number(row.status) === filter.status));
    }
    return pageUsers(this.db, filter, limit);
  }

  async detail(userId: number) {
    const user = await findUserForAdmin(this.db, userId);
    if (!user) throw new HttpError(404, ADMIN_MSG.userMissing);
    const [ counts, session ] = await Promise.all([ relationCounts(this.db, userId), this.service.token.liveSessions(userId) ]);
    return { user, counts, session };
  }

  /** Runs `work` on the user (404 when absent) and writes the audit row in the same transaction. */
  private change(actor: AdminActor, ip: string, action: string, userId: number,
    work: (transaction: Transaction, user: UserDetailRow, now: Date) => Promise<unknown>): Promise<void> {
    return this.service.adminAudit.change(actor, ip, action,
      { type: 'user', id: userId, load: transaction => findUserForAdmin(this.db, userId, transaction), missing: ADMIN_MSG.userMissing, snapshot }, work);
  }

  /** A registered user (with its user_info row), as the original's /admin/chatuser/save. */
  async create(actor: AdminActor, ip: string, input: { username: string; password: string; nickname: string; avatar: string }): Promise<number> {
    const hash = await hashPassword(input.password);
    try {
      return await this.app.transaction(async transaction => {
        const now = new Date();
        const taken = await txRows(this.db, transaction, 'SELECT id FROM `user` WHERE username = ?', [ input.username ]);
        if (taken.length) throw new BusinessError(ADMIN_MSG.usernameTaken);
        const { insertId } = await txRun(this.db, transaction,
          'INSERT INTO `user` (uuid, username, password, nickname, status, is_deleted, role, is_email_verified, is_mobile_verified, register_time, register_ip, `order`, create_time, update_time) ' +
          "VALUES (?, ?, ?, ?, 1, 0, 'user', 0, 0, ?, ?, 50, ?, ?)", [ uuidv4(), input.username, hash, input.nickname, now, ip.slice(0, 45), now, now ]);
        // No avatar given: the column's default picture, as a registration through the chat API.
        if (input.avatar) await updateUserColumns(this.db, transaction, insertId, { avatar: input.avatar }, now);
        await txRun(this.db, transaction, "INSERT INTO user_info (user_id, gender, `order`, create_time, update_time) VALUES (?, 'unknown', 50, ?, ?)", [ insertId, now, now ]);
        await appendAudit(this.db, transaction, {
          adminId: actor.id, adminUsername: actor.username, action: 'user.create', targetType: 'user', targetId: insertId, outcome: 'ok',
          after: { username: input.username, nickname: input.nickname, ...(input.avatar ? { avatar: input.avatar } : {}) }, ip,
        }, now);
        return insertId;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new BusinessError(ADMIN_MSG.usernameTaken);
      throw err;
    }
  }

  async updateProfile(actor: AdminActor, ip: string, userId: number, profile: { nickname: string; avatar: string }): Promise<void> {
    await this.change(actor, ip, 'user.update', userId, async (transaction, _user, now) => {
      await updateUserColumns(this.db, transaction, userId, profile, now);
      return profile;
    });
  }

  /** A new password: the account's tokens stop working (they carry the old hash's fingerprint). */
  async resetPassword(actor: AdminActor, ip: string, userId: number, password: string): Promise<void> {
    const hash = await hashPassword(password);
    await this.change(actor, ip, 'user.password', userId, async (transaction, _user, now) => {
      await updateUserColumns(this.db, transaction, userId, { password: hash }, now);
      transaction.afterCommit(() => this.service.token.revokeAccount(userId));
      return { password: '(changed)' };
    });
  }

  /**
   * Disable: logins refused with the original's text, every token answers 401, every socket closes (after
   * commit, through the bus), messages to the account refused. Enable: it may log in again — with a new
   * login only: the stored sessions are removed again, since a login that had read the account just before
   * the disable could store its session just after the disable's removal (refused while disabled, it would
   * otherwise work again now).
   */
  async setStatus(actor: AdminActor, ip: string, userId: number, status: 0 | 1): Promise<void> {
    await this.change(actor, ip, status ? 'user.enable' : 'user.disable', userId, async (transaction, _user, now) => {
      await updateUserColumns(this.db, transaction, userId, { status }, now);
      transaction.afterCommit(() => this.service.token.revokeAccount(userId));
      return { status };
    });
  }

  /**
   * Deletes the account in one transaction (repository/user.ts deleteUserCascade says what goes); the
   * groups it owned pass to their longest-standing member or are dissolved (service/group.ts ownerDeleted).
   */
  async remove(actor: AdminActor, ip: string, userId: number): Promise<void> {
    await this.change(actor, ip, 'user.delete', userId, async (transaction, _user, now) => {
      const groups = await deleteUserCascade(this.db, transaction, userId, now);
      // The groups it owned: a new owner, or dissolved when no one is left (service/group.ts ownerDeleted).
      const owned = await this.service.group.ownerDeleted(transaction, userId);
      transaction.afterCommit(() => this.service.token.revokeAccount(userId));
      return { deleted: true, groupsLeft: groups.length, groupsTransferred: owned.transferred, groupsDissolved: owned.dissolved };
    });
  }
}
