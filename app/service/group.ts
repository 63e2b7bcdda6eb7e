import { randomUUID } from 'node:crypto';
import { Transaction } from 'sequelize';
import { BusinessError } from '../lib/errors';
import { MSG } from '../lib/messages';
import { AuthenticatedUser } from '../extend/context';
import { GroupServiceBase } from '../lib/groupServiceBase';
import { groupNotice, GroupSnapshot, noticeText } from '../lib/groupNotices';
import { formatLocalDateTime } from '../lib/time';
import {
  activeMemberIds, closeGroup, countActive, deletePending, enabledUsers, findGroup, findMember, friendIdsOfRows, GroupRow,
  insertGroup, insertMembers, listMine, markLeft, membersWithUsers, ownedActiveGroupIds, setNickname, setOwner, successorOwner,
  updateGroup, usersAtGroupLimit, withdrawPending,
} from '../repository/group';

/** Code points, not UTF-16 units: a cut never splits a character (the original's substring could). */
function cut(value: string, max: number): string {
  const chars = [ ...value ];
  return chars.length > max ? chars.slice(0, max).join('') : value;
}

/** What the QR code encodes (docs/design/groups.md §6). */
export interface QrInput { id: number; type: string; http: string; chatType: 'group' | 'single' }

/**
 * The group routes about a group itself: create, list, profile, name, notice, my nickname, quit or
 * dissolve, QR code. Membership routes (invite, approve, remove, join rule) are in groupMembers.ts.
 * Permissions as docs/design/groups.md §2; every write in one transaction with its notice.
 */
export default class GroupService extends GroupServiceBase {
  /**
   * POST group/create — `friendRowIds` are ids of MY goodfriend rows (the client's contact list). The
   * group, its members (all active from position 0) and the creation notice (position 1) commit together.
   */
  async create(me: AuthenticatedUser, friendRowIds: number[]): Promise<void> {
    const { maxMembers, maxPerUser } = this.config.chat.group;
    await this.app.transaction(async transaction => {
      const friendIds = [ ...new Set(await friendIdsOfRows(this.sequelize, me.id, friendRowIds, transaction)) ].filter(id => id !== me.id);
      if (!friendIds.length) throw new BusinessError(MSG.groupCreateNoUsers);
      const found = await enabledUsers(this.sequelize, [ me.id, ...friendIds ], transaction);
      const creator = found.find(u => u.id === me.id);
      let friends = friendIds.map(id => found.find(u => u.id === id)).filter((u): u is NonNullable<typeof u> => !!u);
      if (!creator || !friends.length) throw new BusinessError(MSG.groupCreateUsersMissing);
      // Users at the groups-per-user limit stay out; the creator at the limit cannot create one.
      const full = await usersAtGroupLimit(this.sequelize, [ me.id, ...friends.map(f => f.id) ], maxPerUser, transaction);
      if (full.has(me.id)) throw new BusinessError(MSG.groupTooMany);
      friends = friends.filter(f => !full.has(f.id));
      if (!friends.length) throw new BusinessError(MSG.groupTooMany);
      if (friends.length + 1 > maxMembers) throw new BusinessError(MSG.groupMembersFull);

      const people = [ creator, ...friends ];
      const name = cut(people.map(u => u.nickname || u.username).join('、'), 50);
      const avatar = people.slice(0, 9).map(u => u.avatar).join(',');
      const groupId = await insertGroup(this.sequelize, transaction, { uuid: randomUUID(), userId: me.id, name, avatar, now: new Date() });
      await insertMembers(this.sequelize, transaction, groupId, people.map(u => ({ userId: u.id, status: 1 as const, joinedSeq: 0 })), new Date());
      const group = this.snapshot((await findGroup(this.sequelize, groupId, transaction))!);
      const from = { id: creator.id, name: creator.nickname || creator.username, avatar: creator.avatar };
      await this.service.groupLog.append(groupId, groupNotice(from, group, noticeText.created(from.name)), transaction);
      this.membershipsChanged(transaction, people.map(u => u.id));
    });
  }

  /** GET grouplist/:page — my active groups, newest first, each with my own member row only. */
  async list(meId: number, page: number, limit: number) {
    const rows = await listMine(this.sequelize, meId, (page - 1) * limit, limit);
    return rows.map(({ group, nickname, avatar }) => ({
      ...this.snapshot(group),
      group_users: [{ group_id: group.id, user_id: meId, nickname, avatar }],
    }));
  }

  /**
   * GET groupinfo/:id — the full profile with its members for an active member; the public card the
   * scan-to-join page shows for anyone else (API.md §5): no member rows.
   */
  async info(meId: number, groupId: number) {
    const group = await findGroup(this.sequelize, groupId);
    if (!group || group.status !== 1) throw new BusinessError(MSG.groupInfoMissing);
    const mine = await findMember(this.sequelize, groupId, meId);
    if (!mine || mine.status !== 1 || mine.left_seq !== null) {
      return {
        id: group.id, name: group.name, avatar: group.avatar, remark: group.remark, invite_confirm: group.invite_confirm,
        member_count: await countActive(this.sequelize, groupId), group_users: [],
      };
    }
    const timezone = this.config.chat.timezone;
    const members = await membersWithUsers(this.sequelize, groupId);
    return {
      ...this.snapshot(group),
      group_users: members.map(m => ({
        create_time: formatLocalDateTime(m.create_time, timezone), id: m.id, group_id: m.group_id, user_id: m.user_id, nickname: m.nickname,
        avatar: m.avatar, status: m.status, order: m.order, groupId: m.group_id,
        user: { id: m.u_id, username: m.u_username, avatar: m.u_avatar, nickname: m.u_nickname, role: m.u_role, uuid: m.u_uuid },
      })),
    };
  }

  /** POST groupUpdateName / groupremark — the owner changes the name or the notice; every member is told. */
  async updateByOwner(me: AuthenticatedUser, groupId: number, column: 'name' | 'remark', value: string): Promise<void> {
    await this.app.transaction(async transaction => {
      await this.ownedGroup(transaction, groupId, me.id, column === 'name' ? MSG.groupRenameOwnerOnly : MSG.groupRemarkOwnerOnly);
      // The UPDATE takes the group row's lock (as the log's append does next, which also refuses a group
      // dissolved meanwhile): one lock order. Read again under it: the notice shows the row as it is.
      await updateGroup(this.sequelize, transaction, groupId, column, value);
      const group = this.snapshot((await findGroup(this.sequelize, groupId, transaction))!);
      const text = column === 'name' ? noticeText.renamed(value) : noticeText.remark(value);
      await this.service.groupLog.append(groupId, groupNotice(await this.member(groupId, me.id, transaction), group, text), transaction);
    });
  }

  /** POST groupnickname — my name in the group (active members of an active group). No push. */
  async setNickname(meId: number, groupId: number, nickname: string): Promise<void> {
    await this.app.transaction(async transaction => {
      const group = await findGroup(this.sequelize, groupId, transaction);
      const mine = group && group.status === 1 ? await findMember(this.sequelize, groupId, meId, transaction) : null;
      if (!mine || mine.status !== 1 || mine.left_seq !== null) throw new BusinessError(MSG.groupNicknameNotMember);
      await setNickname(this.sequelize, transaction, mine.id, nickname);
    });
  }

  /**
   * POST groupDeleteOrQuit — the owner dissolves the group (its last notice reaches every member, nothing
   * after it); a member quits (the owner alone is told); a pending applicant withdraws.
   */
  async deleteOrQuit(me: AuthenticatedUser, groupId: number): Promise<void> {
    const time = formatLocalDateTime(new Date(), this.config.chat.timezone)!;
    await this.app.transaction(async transaction => {
      const group = await this.lockGroup(transaction, groupId, MSG.groupQuitMissing);
      const mine = await findMember(this.sequelize, groupId, me.id, transaction);
      if (!mine || mine.left_seq !== null) throw new BusinessError(MSG.notInGroupRevoke);
      if (group.user_id === me.id) {
        await this.dissolve(transaction, group, time);
      } else if (mine.status === 2) {
        await deletePending(this.sequelize, transaction, mine.id);
        this.membershipsChanged(transaction, [ me.id ]);
      } else {
        const from = await this.member(groupId, me.id, transaction);
        await markLeft(this.sequelize, transaction, mine.id, group.last_seq, new Date());
        const notice = groupNotice(from, this.snapshot(group), noticeText.quit(from.name, time));
        await this.service.inbox.enqueue(group.user_id, notice, transaction);
        this.membershipsChanged(transaction, [ me.id ]);
      }
    });
  }

  /**
   * The account `userId` is being deleted (admin console, inside its transaction, after its memberships
   * ended). Each active group it owned passes to the longest-standing remaining member with an enabled
   * account, registered before visitors (repository/group.ts successorOwner): a notice to every member
   * names the new owner (its `group.user_id` tells the client who owns it now), and pending applications,
   * whose requests went to the deleted owner, are withdrawn (the applicants may ask again). A group with no
   * such member left is dissolved, as its owner would have. Pushed after the commit.
   */
  async ownerDeleted(transaction: Transaction, userId: number): Promise<{ transferred: Array<{ group: number; owner: number }>; dissolved: number[] }> {
    const transferred: Array<{ group: number; owner: number }> = [];
    const dissolved: number[] = [];
    const time = formatLocalDateTime(new Date(), this.config.chat.timezone)!;
    for (const groupId of await ownedActiveGroupIds(this.sequelize, userId, transaction)) {
      const group = await this.lockGroup(transaction, groupId, MSG.groupUnavailable);
      const successor = await successorOwner(this.sequelize, groupId, userId, transaction);
      if (successor === null) {
        await this.dissolve(transaction, group, time);
        dissolved.push(groupId);
        continue;
      }
      await setOwner(this.sequelize, transaction, groupId, successor);
      const applicants = await withdrawPending(this.sequelize, transaction, groupId);
      const snapshot = this.snapshot((await findGroup(this.sequelize, groupId, transaction))!);
      const from = await this.member(groupId, successor, transaction);
      await this.service.groupLog.append(groupId, groupNotice(from, snapshot, noticeText.ownerChanged(from.name)), transaction);
      this.membershipsChanged(transaction, applicants);
      transferred.push({ group: groupId, owner: successor });
    }
    return { transferred, dissolved };
  }

  private async dissolve(transaction: Transaction, group: GroupRow, time: string): Promise<void> {
    const members = await activeMemberIds(this.sequelize, group.id, transaction);
    const from = await this.member(group.id, group.user_id, transaction);
    const snapshot: GroupSnapshot = { ...this.snapshot(group), status: 0 };
    const seq = await this.service.groupLog.append(group.id, groupNotice(from, snapshot, noticeText.dissolved(time)), transaction);
    await closeGroup(this.sequelize, transaction, group.id, seq);
    this.membershipsChanged(transaction, members);
  }

  /**
   * GET groupQrcode/:id — the text the QR code encodes: the H5 join page's URL under the caller's own
   * client origin (`http`, one of the allowed origins), else `{"id","name"}`. Group: active members only.
   */
  async qrcodeText(meId: number, input: QrInput): Promise<string> {
    let id: number;
    let name: string;
    let avatar = '';
    if (input.chatType === 'group') {
      const group = await findGroup(this.sequelize, input.id);
      const mine = group && group.status === 1 ? await findMember(this.sequelize, input.id, meId) : null;
      if (!group || !mine || mine.status !== 1 || mine.left_seq !== null) throw new BusinessError(MSG.groupQrcodeRefused);
      ({ id, name } = group);
    } else {
      const [ user ] = await enabledUsers(this.sequelize, [ input.id ]);
      if (!user) throw new BusinessError(MSG.qrcodeUserMissing);
      id = user.id;
      name = user.nickname || user.username;
      avatar = user.avatar;
    }
    if (input.type !== 'H5' || !input.http) return JSON.stringify({ id, name });
    const enc = encodeURIComponent;
    const title = input.chatType === 'group' ? '群介绍' : `加用户[${name}]为好友`;
    const personal = input.chatType === 'single' ? `&avatar=${enc(avatar)}` : '';
    return `${input.http}#/pages/setpageInfo/setpageInfo?action=autoAddGroup&title=${enc(title)}&id=${id}&chatType=${input.chatType}&name=${enc(name)}${personal}`;
  }
}
