import { Service } from 'egg';
import { Transaction } from 'sequelize';
import { BusinessError } from '../lib/errors';
import { MSG } from '../lib/messages';
import { ApplyStatus } from '../lib/types';
import { AuthenticatedUser } from '../extend/context';
import { ThrottleRule } from '../../config/config.default';
import { applyNotice, friendsNowNotice, Person } from '../delivery/notices';
import {
  applicationsTo, applyChecks, insertApplication, insertFriendRows, lockApplicant, lockPendingTo, peopleRows, pendingCountTo, setStatus, settlePending,
} from '../repository/friendApply';
import { formatLocalDateTime } from '../lib/time';

export default class FriendApplyService extends Service {
  /** My application to `friendId`, refused (in the contract's order) when it makes no sense. */
  async apply(me: AuthenticatedUser, friendId: number, nickname: string): Promise<void> {
    if (friendId === me.id) throw new BusinessError(MSG.applySelf);
    const daily: [ string, ThrottleRule ] = [ `apply:user:${me.id}`, this.config.chat.throttle.applyPerUser ];
    await this.service.throttle.assertUnder(daily);
    await this.app.transaction(async transaction => {
      // Serialises my own applications (MySQL row lock; SQLite transactions are already serial), so
      // two identical requests at the same moment cannot both pass the duplicate check below.
      await lockApplicant(this.ctx.model, transaction, me.id);
      // One statement instead of four model reads (the write mix's profile: Sequelize and lodash were a
      // third of the workers' time); the refusals keep the contract's order.
      const check = await applyChecks(this.ctx.model, transaction, me.id, friendId);
      if (!check || Number(check.status) !== 1 || Number(check.is_deleted) !== 0) throw new BusinessError(MSG.applyTargetMissing);
      if (check.mine !== null) throw new BusinessError(MSG.applyAlreadyFriends);
      if (check.blocked !== null) throw new BusinessError(MSG.applyBlocked);
      if (check.pending !== null) throw new BusinessError(MSG.applyDuplicate);
      await insertApplication(this.ctx.model, transaction, me.id, friendId, nickname);
      // The target's socket hears of it once this commits.
      const [ applicant, recipient ] = await this.people([ me.id, friendId ], transaction);
      await this.service.inbox.enqueue(friendId, applyNotice(applicant, recipient), transaction);
    });
    await this.service.throttle.hit(daily);
  }

  /** Names (nickname, else username) and avatars. */
  private async people(ids: number[], transaction: Transaction): Promise<Person[]> {
    const rows = await peopleRows(this.ctx.model, transaction, ids[0], ids[1] ?? ids[0]);
    return ids.map(id => {
      const row = rows.find(r => Number(r.id) === id);
      return { id, name: row?.nickname || row?.username || '', avatar: row?.avatar ?? '' };
    });
  }

  /**
   * Both sides hear "we are friends now" once the friendship commits. My remark for them names them in
   * my notice only: it is mine, never shown to them.
   */
  private async announceFriends(meId: number, otherId: number, transaction: Transaction, remarkForOther = ''): Promise<void> {
    const [ me, other ] = await this.people([ meId, otherId ], transaction);
    await this.service.inbox.enqueue(otherId, friendsNowNotice(me, other), transaction);
    await this.service.inbox.enqueue(meId, friendsNowNotice({ ...other, name: remarkForOther || other.name }, me), transaction);
  }

  /**
   * POST /api/chat/isApplyfriend/:uuid — the pending application that user sent me, if any: what the
   * client checks before it shows "agree" (only the target of an application may handle it).
   */
  async pendingFrom(meId: number, applicantUuid: string) {
    const { User, Goodfriendapply } = this.ctx.model;
    const applicant = await User.findOne({ where: { uuid: applicantUuid, status: 1, is_deleted: 0 }, attributes: [ 'id' ] });
    if (!applicant) throw new BusinessError(MSG.userMissing);
    const apply = await Goodfriendapply.findOne({
      where: { user_id: applicant.id, friend_id: meId, status: 'pending' },
      attributes: [ 'id', 'user_id', 'friend_id', 'nickname', 'friendlookme', 'melookfriend', 'ismystarfriend', 'isblack', 'status' ],
      order: [[ 'id', 'DESC' ]],
      raw: true,
    }) as any;
    if (!apply) throw new BusinessError(MSG.applyFromUserMissing);
    return { ...apply, userId: apply.user_id };
  }

  /**
   * POST /api/chat/autoAddFriendAndAgree — for a target whose settings need no approval
   * (invite_confirm = 0): the application and its acceptance in one transaction. A pending application
   * either way between us is settled by it. Refusals come in applyfriend's order, the approval check
   * right before the duplicate check.
   */
  async autoAdd(me: AuthenticatedUser, friendId: number, nickname: string): Promise<void> {
    if (friendId === me.id) throw new BusinessError(MSG.applySelf);
    const { User, Goodfriend } = this.ctx.model;
    const daily: [ string, ThrottleRule ] = [ `apply:user:${me.id}`, this.config.chat.throttle.applyPerUser ];
    await this.service.throttle.assertUnder(daily);
    await this.app.transaction(async transaction => {
      // The same serialisation as apply(): my own applications one at a time.
      await lockApplicant(this.ctx.model, transaction, me.id);
      const target = await User.findByPk(friendId, { attributes: [ 'id', 'status', 'is_deleted', 'invite_confirm' ], transaction });
      if (!target || Number(target.status) !== 1 || Number(target.is_deleted) !== 0) throw new BusinessError(MSG.applyTargetMissing);
      const mine = await Goodfriend.findOne({ where: { user_id: me.id, friend_id: friendId }, attributes: [ 'id' ], transaction });
      if (mine) throw new BusinessError(MSG.applyAlreadyFriends);
      const blockedByThem = await Goodfriend.findOne({ where: { user_id: friendId, friend_id: me.id, isblack: 1 }, attributes: [ 'id' ], transaction });
      if (blockedByThem) throw new BusinessError(MSG.applyBlocked);
      if (Number(target.invite_confirm) !== 0) throw new BusinessError(MSG.autoAddNeedsApproval);

      // A pending application either way between us is settled (and leaves the pending counts).
      await settlePending(this.ctx.model, transaction, me.id, friendId);
      await settlePending(this.ctx.model, transaction, friendId, me.id);
      await insertApplication(this.ctx.model, transaction, me.id, friendId, nickname, 'agree');
      // Their row names me by my nickname, mine carries no remark (as handleapply with no remark).
      await insertFriendRows(this.ctx.model, transaction, { user_id: me.id, friend_id: friendId, nickname: '' }, { user_id: friendId, friend_id: me.id, nickname: me.nickname || '' });
      await this.announceFriends(me.id, friendId, transaction);
    });
    await this.service.throttle.hit(daily);
  }

  /** Applications sent to me, all statuses, newest first, plus my pending count over all pages. */
  async listToMe(meId: number, page: number, limit: number) {
    // Plain rows by two direct reads (lib/rawQuery.ts): the model query with its include cost most of
    // this route's CPU in the bench's profile (Sequelize and lodash building and copying instances).
    const timezone = this.config.chat.timezone;
    const [ rows, pendingCount ] = await Promise.all([
      applicationsTo(this.ctx.model, meId, limit, (page - 1) * limit),
      // Kept in goodfriendapply_pending by every change of a pending application: no count of my entries.
      pendingCountTo(this.ctx.model, meId),
    ]);
    // The shape the model gave: every column, create_time as the contract's local string, update_time a Date.
    const alldata = rows.map(({ u_id, u_username, u_avatar, u_nickname, u_uuid, ...apply }) => ({
      ...apply,
      create_time: formatLocalDateTime(apply.create_time, timezone),
      update_time: apply.update_time === null || apply.update_time instanceof Date ? apply.update_time : new Date(apply.update_time),
      userId: apply.user_id,
      user: u_id === null ? null : { id: u_id, username: u_username, avatar: u_avatar, nickname: u_nickname, uuid: u_uuid },
    }));
    return { alldata, pendingCount };
  }

  /**
   * Handles a pending application sent to me. `agree` makes us friends in the same transaction: my
   * row carries my remark, theirs my profile nickname; a direction that exists is kept as it is.
   */
  async handle(me: AuthenticatedUser, applyId: number, status: ApplyStatus, remark: string): Promise<void> {
    const sequelize = this.ctx.model;
    // Straight on the transaction's connection (repository/friendApply.ts): the model calls here were
    // most of the write mix's worker CPU (Sequelize, lodash and moment in its profile, docs/BENCHMARKS.md).
    await this.app.transaction(async transaction => {
      const apply = await lockPendingTo(sequelize, transaction, applyId, me.id);
      if (!apply) throw new BusinessError(MSG.applyNotPending);
      if (status === 'pending') return;
      // Conditional on the row still being pending: of two concurrent handlers only one changes it.
      if (!await setStatus(sequelize, transaction, apply.id, me.id, status)) throw new BusinessError(MSG.applyNotPending);
      if (status !== 'agree') return;

      const applicantId = Number(apply.user_id);
      await insertFriendRows(sequelize, transaction,
        { user_id: me.id, friend_id: applicantId, nickname: remark },
        { user_id: applicantId, friend_id: me.id, nickname: me.nickname || '', friendlookme: apply.friendlookme, melookfriend: apply.melookfriend });
      // My own pending application to them is settled by this agreement too.
      await settlePending(sequelize, transaction, me.id, applicantId);
      await this.announceFriends(me.id, applicantId, transaction, remark);
    });
  }
}
