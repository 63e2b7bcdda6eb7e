import { Service } from 'egg';
import { Transaction } from 'sequelize';
import { BusinessError } from '../lib/errors';
import { MSG } from '../lib/messages';
import { ApplyStatus } from '../lib/types';
import { AuthenticatedUser } from '../extend/context';
import { ThrottleRule } from '../../config/config.default';
import { applyNotice, friendsNowNotice, Person } from '../delivery/notices';
import { selectOne, selectRows, txRows } from '../lib/rawQuery';
import { formatLocalDateTime } from '../lib/time';

interface ApplyRow {
  id: number; user_id: number; friend_id: number; nickname: string; friendlookme: number; melookfriend: number;
  ismystarfriend: number; isblack: number; status: ApplyStatus; order: number | null;
  create_time: Date | string | null; update_time: Date | string | null;
  u_id: number | null; u_username: string; u_avatar: string; u_nickname: string; u_uuid: string;
}

// A page of the applications sent to me, newest first. The page's ids come from the (friend_id, id)
// index alone, named so (a backward range read of LIMIT + OFFSET entries, no sort), then only those
// rows are read. Given `WHERE friend_id = ? ORDER BY id DESC LIMIT …` over the joined rows, MariaDB
// walked the primary key from the newest application of anyone and filtered (EXPLAIN: type=index
// key=PRIMARY); left to choose, it may also take (friend_id, status) and sort all of my applications.
const applyPageSql = (indexHint: string) => 'SELECT a.id, a.user_id, a.friend_id, a.nickname, a.friendlookme, a.melookfriend, a.ismystarfriend, a.isblack, ' +
  'a.status, a.`order`, a.create_time, a.update_time, ' +
  'u.id AS u_id, u.username AS u_username, u.avatar AS u_avatar, u.nickname AS u_nickname, u.uuid AS u_uuid ' +
  `FROM (SELECT id FROM goodfriendapply ${indexHint} WHERE friend_id = ? ORDER BY id DESC LIMIT ? OFFSET ?) p ` +
  'JOIN goodfriendapply a ON a.id = p.id LEFT JOIN `user` u ON u.id = a.user_id ORDER BY a.id DESC';
const APPLY_PAGE_SQL = {
  mysql: applyPageSql('FORCE INDEX (goodfriendapply_friend_id_id)'),
  sqlite: applyPageSql('INDEXED BY goodfriendapply_friend_id_id'),
};
// What an application checks, in one read on its transaction: the target's row, then (each by an index)
// whether we are friends already, whether they blacklisted me, whether my application is pending.
// No row: no such user.
const APPLY_CHECK_SQL = 'SELECT u.status, u.is_deleted, ' +
  '(SELECT g.id FROM goodfriend g WHERE g.user_id = ? AND g.friend_id = u.id LIMIT 1) AS mine, ' +
  '(SELECT g.id FROM goodfriend g WHERE g.user_id = u.id AND g.friend_id = ? AND g.isblack = 1 LIMIT 1) AS blocked, ' +
  "(SELECT a.id FROM goodfriendapply a WHERE a.user_id = ? AND a.friend_id = u.id AND a.status = 'pending' LIMIT 1) AS pending " +
  'FROM `user` u WHERE u.id = ?';
const PEOPLE_SQL = 'SELECT id, username, nickname, avatar FROM `user` WHERE id IN (?, ?)';
// Served by the (friend_id, status) index alone.
const PENDING_COUNT_SQL = "SELECT COUNT(*) AS n FROM goodfriendapply WHERE friend_id = ? AND status = 'pending'";

export default class FriendApplyService extends Service {
  /** My application to `friendId`, refused (in the contract's order) when it makes no sense. */
  async apply(me: AuthenticatedUser, friendId: number, nickname: string): Promise<void> {
    if (friendId === me.id) throw new BusinessError(MSG.applySelf);
    const { Goodfriendapply } = this.ctx.model;
    const daily: [ string, ThrottleRule ] = [ `apply:user:${me.id}`, this.config.chat.throttle.applyPerUser ];
    await this.service.throttle.assertUnder(daily);
    await this.app.transaction(async transaction => {
      // Serialises my own applications (MySQL row lock; SQLite transactions are already serial), so
      // two identical requests at the same moment cannot both pass the duplicate check below.
      await this.lockUser(me.id, transaction);
      // One statement instead of four model reads (the write mix's profile: Sequelize and lodash were a
      // third of the workers' time); the refusals keep the contract's order.
      const [ check ] = await txRows<{ status: number; is_deleted: number; mine: number | null; blocked: number | null; pending: number | null }>(
        this.ctx.model, transaction, APPLY_CHECK_SQL, [ me.id, me.id, me.id, friendId ]);
      if (!check || Number(check.status) !== 1 || Number(check.is_deleted) !== 0) throw new BusinessError(MSG.applyTargetMissing);
      if (check.mine !== null) throw new BusinessError(MSG.applyAlreadyFriends);
      if (check.blocked !== null) throw new BusinessError(MSG.applyBlocked);
      if (check.pending !== null) throw new BusinessError(MSG.applyDuplicate);
      await Goodfriendapply.create({ user_id: me.id, friend_id: friendId, nickname }, { transaction });
      // The target's socket hears of it once this commits.
      const [ applicant, recipient ] = await this.people([ me.id, friendId ], transaction);
      await this.service.inbox.enqueue(friendId, applyNotice(applicant, recipient), transaction);
    });
    await this.service.throttle.hit(daily);
  }

  /** Names (nickname, else username) and avatars. */
  private async people(ids: number[], transaction: Transaction): Promise<Person[]> {
    const rows = await txRows<{ id: number; username: string; nickname: string; avatar: string }>(this.ctx.model, transaction, PEOPLE_SQL, [ ids[0], ids[1] ?? ids[0] ]);
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
    // Plain rows by two direct reads (lib/rawQuery.ts): the model query with its include cost most of
    // this route's CPU in the bench's profile (Sequelize and lodash building and copying instances).
    const timezone = this.config.chat.timezone;
    const [ rows, pending ] = await Promise.all([
      selectRows<ApplyRow>(this.ctx.model, this.ctx.model.getDialect() === 'mysql' ? APPLY_PAGE_SQL.mysql : APPLY_PAGE_SQL.sqlite, [ meId, limit, (page - 1) * limit ]),
      selectOne<{ n: number | string }>(this.ctx.model, PENDING_COUNT_SQL, [ meId ]),
    ]);
    // The shape the model gave: every column, create_time as the contract's local string, update_time a Date.
    const alldata = rows.map(({ u_id, u_username, u_avatar, u_nickname, u_uuid, ...apply }) => ({
      ...apply,
      create_time: formatLocalDateTime(apply.create_time, timezone),
      update_time: apply.update_time === null || apply.update_time instanceof Date ? apply.update_time : new Date(apply.update_time),
      userId: apply.user_id,
      user: u_id === null ? null : { id: u_id, username: u_username, avatar: u_avatar, nickname: u_nickname, uuid: u_uuid },
    }));
    return { alldata, pendingCount: Number(pending?.n ?? 0) };
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
