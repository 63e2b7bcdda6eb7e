import { Service } from 'egg';
import { Transaction } from 'sequelize';
import { BusinessError } from '../lib/errors';
import { MSG } from '../lib/messages';
import { ApplyStatus } from '../lib/types';
import { AuthenticatedUser } from '../extend/context';
import { ThrottleRule } from '../../config/config.default';
import { applyNotice, friendsNowNotice, Person } from '../delivery/notices';

export default class FriendApplyService extends Service {
  /** My application to `friendId`, refused (in the contract's order) when it makes no sense. */
  async apply(me: AuthenticatedUser, friendId: number, nickname: string): Promise<void> {
    if (friendId === me.id) throw new BusinessError(MSG.applySelf);
    const { User, Goodfriend, Goodfriendapply } = this.ctx.model;
    const daily: [ string, ThrottleRule ] = [ `apply:user:${me.id}`, this.config.chat.throttle.applyPerUser ];
    await this.service.throttle.assertUnder(daily);
    await this.app.transaction(async transaction => {
      // Serialises my own applications (MySQL row lock; SQLite transactions are already serial), so
      // two identical requests at the same moment cannot both pass the duplicate check below.
      await this.lockUser(me.id, transaction);
      const target = await User.findByPk(friendId, { attributes: [ 'id', 'status', 'is_deleted' ], transaction });
      if (!target || Number(target.status) !== 1 || Number(target.is_deleted) !== 0) throw new BusinessError(MSG.applyTargetMissing);
      const mine = await Goodfriend.findOne({ where: { user_id: me.id, friend_id: friendId }, attributes: [ 'id' ], transaction });
      if (mine) throw new BusinessError(MSG.applyAlreadyFriends);
      const blockedByThem = await Goodfriend.findOne({ where: { user_id: friendId, friend_id: me.id, isblack: 1 }, attributes: [ 'id' ], transaction });
      if (blockedByThem) throw new BusinessError(MSG.applyBlocked);
      const pending = await Goodfriendapply.findOne({ where: { user_id: me.id, friend_id: friendId, status: 'pending' }, attributes: [ 'id' ], transaction });
      if (pending) throw new BusinessError(MSG.applyDuplicate);
      await Goodfriendapply.create({ user_id: me.id, friend_id: friendId, nickname }, { transaction });
      // The target's socket hears of it once this commits.
      const [ applicant, recipient ] = await this.people([ me.id, friendId ], transaction);
      await this.service.inbox.enqueue(friendId, applyNotice(applicant, recipient), transaction);
    });
    await this.service.throttle.hit(daily);
  }

  /** Names (nickname, else username) and avatars. */
  private async people(ids: number[], transaction: Transaction): Promise<Person[]> {
    const rows = await this.ctx.model.User.findAll({ where: { id: ids }, attributes: [ 'id', 'username', 'nickname', 'avatar' ], transaction });
    return ids.map(id => {
      const row = rows.find(r => r.id === id);
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
    const { User, Goodfriend, Goodfriendapply } = this.ctx.model;
    const { Op } = this.app.Sequelize;
    const daily: [ string, ThrottleRule ] = [ `apply:user:${me.id}`, this.config.chat.throttle.applyPerUser ];
    await this.service.throttle.assertUnder(daily);
    await this.app.transaction(async transaction => {
      // The same serialisation as apply(): my own applications one at a time.
      await this.lockUser(me.id, transaction);
      const target = await User.findByPk(friendId, { attributes: [ 'id', 'status', 'is_deleted', 'invite_confirm' ], transaction });
      if (!target || Number(target.status) !== 1 || Number(target.is_deleted) !== 0) throw new BusinessError(MSG.applyTargetMissing);
      const mine = await Goodfriend.findOne({ where: { user_id: me.id, friend_id: friendId }, attributes: [ 'id' ], transaction });
      if (mine) throw new BusinessError(MSG.applyAlreadyFriends);
      const blockedByThem = await Goodfriend.findOne({ where: { user_id: friendId, friend_id: me.id, isblack: 1 }, attributes: [ 'id' ], transaction });
      if (blockedByThem) throw new BusinessError(MSG.applyBlocked);
      if (Number(target.invite_confirm) !== 0) throw new BusinessError(MSG.autoAddNeedsApproval);

      const pendingBetween = {
        status: 'pending',
        [Op.or]: [{ user_id: me.id, friend_id: friendId }, { user_id: friendId, friend_id: me.id }],
      };
      await Goodfriendapply.update({ status: 'agree' }, { where: pendingBetween, transaction });
      await Goodfriendapply.create({ user_id: me.id, friend_id: friendId, nickname, status: 'agree' }, { transaction });
      // Their row names me by my nickname, mine carries no remark (as handleapply with no remark).
      await this.befriend({ user_id: me.id, friend_id: friendId, nickname: '' }, transaction);
      await this.befriend({ user_id: friendId, friend_id: me.id, nickname: me.nickname || '' }, transaction);
      await this.announceFriends(me.id, friendId, transaction);
    });
    await this.service.throttle.hit(daily);
  }

  /** Applications sent to me, all statuses, newest first, plus my pending count over all pages. */
  async listToMe(meId: number, page: number, limit: number) {
    const { User, Goodfriendapply } = this.ctx.model;
    const [ rows, pendingCount ] = await Promise.all([
      Goodfriendapply.findAll({
        where: { friend_id: meId },
        order: [[ 'id', 'DESC' ]],
        offset: (page - 1) * limit,
        limit,
        include: [{ model: User, as: 'user', attributes: [ 'id', 'username', 'avatar', 'nickname', 'uuid' ] }],
      }),
      Goodfriendapply.count({ where: { friend_id: meId, status: 'pending' } }),
    ]);
    const alldata = rows.map(row => {
      const { user, ...apply } = row.get({ plain: true }) as any;
      return { ...apply, userId: apply.user_id, user };
    });
    return { alldata, pendingCount };
  }

  /**
   * Handles a pending application sent to me. `agree` makes us friends in the same transaction: my
   * row carries my remark, theirs my profile nickname; a direction that exists is kept as it is.
   */
  async handle(me: AuthenticatedUser, applyId: number, status: ApplyStatus, remark: string): Promise<void> {
    const { Goodfriendapply } = this.ctx.model;
    await this.app.transaction(async transaction => {
      const apply = await Goodfriendapply.findOne({
        where: { id: applyId, friend_id: me.id, status: 'pending' },
        transaction,
        lock: transaction.LOCK.UPDATE,
      });
      if (!apply) throw new BusinessError(MSG.applyNotPending);
      if (status === 'pending') return;
      // The status guard makes the change conditional: of two concurrent handlers only one matches.
      const [ changed ] = await Goodfriendapply.update({ status }, { where: { id: apply.id, status: 'pending' }, transaction });
      if (changed !== 1) throw new BusinessError(MSG.applyNotPending);
      if (status !== 'agree') return;

      const applicantId = apply.user_id;
      await this.befriend({ user_id: me.id, friend_id: applicantId, nickname: remark }, transaction);
      await this.befriend({
        user_id: applicantId,
        friend_id: me.id,
        nickname: me.nickname || '',
        friendlookme: apply.friendlookme,
        melookfriend: apply.melookfriend,
      }, transaction);
      // My own pending application to them is settled by this agreement too.
      await Goodfriendapply.update({ status: 'agree' }, { where: { user_id: me.id, friend_id: applicantId, status: 'pending' }, transaction });
      await this.announceFriends(me.id, applicantId, transaction, remark);
    });
  }

  /** Inserts one direction of a friendship unless it exists (the unique index makes this race-free). */
  private async befriend(row: { user_id: number; friend_id: number; nickname: string; friendlookme?: number; melookfriend?: number }, transaction: Transaction) {
    await this.ctx.model.Goodfriend.bulkCreate([ row ], { ignoreDuplicates: true, transaction });
  }

  private async lockUser(userId: number, transaction: Transaction) {
    if (this.ctx.model.getDialect() !== 'mysql') return;
    await this.ctx.model.User.findByPk(userId, { attributes: [ 'id' ], transaction, lock: transaction.LOCK.UPDATE });
  }
}
