import { Transaction } from 'sequelize';
import { BusinessError, TooManyRequestsError } from '../lib/errors';
import { MSG } from '../lib/messages';
import { AuthenticatedUser } from '../extend/context';
import { GroupServiceBase } from '../lib/groupServiceBase';
import { approvalRequest, groupNotice, inviterPrefix, joinedNotice, noticeText } from '../lib/groupNotices';
import {
  activatePending, countActive, deletePending, enabledUsers, findMember, GroupRow, insertMembers, isFriend, markLeft, rejoin,
  updateGroup, usersAtGroupLimit,
} from '../repository/group';

export interface InviteInput { group_id: number; user_id: number; addGroupDesc: string }

/**
 * Who is in a group: invitations and join requests, the owner's approvals, removals, the join rule.
 * Every change starts with the group row's lock (GroupServiceBase.lockGroup: member_version + 1), then
 * reads and writes member rows: one lock order, so concurrent invitations and approvals of a group run
 * one after the other and the unique (group_id, user_id) index is only a backstop.
 */
export default class GroupMembersService extends GroupServiceBase {
  /**
   * POST groupInviteUser — `user_id` joins: myself (the scan-to-join page) under the join rule, or a
   * friend I invite as an active member. The inviter is always the caller (the body's `inviteuser_id`
   * is ignored). Answers 加群成功 (active now) or 等待群主同意 (the owner was asked).
   */
  async invite(me: AuthenticatedUser, input: InviteInput): Promise<string> {
    const { maxMembers, maxPerUser, invitePerUser } = this.config.chat.group;
    const throttleKey = `groupInvite:user:${me.id}`;
    const counter = await this.app.kvStore.peek(`throttle:${throttleKey}`);
    if (counter && counter.count >= invitePerUser.limit) throw new TooManyRequestsError(counter.ttlMs / 1000, MSG.groupInviteTooFrequent);

    const answer = await this.app.transaction(async transaction => {
      const group = await this.lockGroup(transaction, input.group_id, MSG.groupInviteUnavailable);
      const selfJoin = input.user_id === me.id;
      let inviterName: string | null = null;
      if (!selfJoin) {
        const mine = await findMember(this.sequelize, group.id, me.id, transaction);
        if (!mine || mine.status !== 1 || mine.left_seq !== null) throw new BusinessError(MSG.notInGroupRevoke);
        if (!await isFriend(this.sequelize, me.id, input.user_id, transaction)) throw new BusinessError(MSG.groupInviteNotFriend);
        // The original names only registered inviters.
        if (me.role === 'user') inviterName = (await this.member(group.id, me.id, transaction)).name;
      }
      const row = await findMember(this.sequelize, group.id, input.user_id, transaction);
      if (row && row.left_seq === null) throw new BusinessError(row.status === 2 ? MSG.groupInviteWaiting : MSG.groupInviteAlreadyIn);
      const [ joiner ] = await enabledUsers(this.sequelize, [ input.user_id ], transaction);
      if (!joiner) throw new BusinessError(MSG.groupInviteUserMissing);
      // The owner's invitations and rule 0 join at once; rule 2 turns visitors away; otherwise the owner decides.
      const byOwner = !selfJoin && group.user_id === me.id;
      if (!byOwner && group.invite_confirm === 2 && joiner.role === 'visitor') throw new BusinessError(MSG.groupInviteLoginFirst);
      const active = byOwner || group.invite_confirm === 0;
      if ((await usersAtGroupLimit(this.sequelize, [ joiner.id ], maxPerUser, transaction)).size) throw new BusinessError(MSG.groupTooMany);
      if (active && await countActive(this.sequelize, group.id, transaction) >= maxMembers) throw new BusinessError(MSG.groupMembersFull);

      // Active from the group's current position: the join notice appended next is the first entry they get.
      const joinedSeq = active ? group.last_seq : null;
      const status = active ? 1 : 2;
      if (row) await rejoin(this.sequelize, transaction, row.id, status, joinedSeq, new Date());
      else await insertMembers(this.sequelize, transaction, group.id, [{ userId: joiner.id, status, joinedSeq }], new Date());
      const joinerName = joiner.nickname || joiner.username;
      if (active) {
        await this.announceJoin(transaction, group, joiner.id, noticeText.joined(inviterPrefix(inviterName), joinerName));
      } else {
        const owner = await this.member(group.id, group.user_id, transaction);
        const request = approvalRequest({
          group: this.snapshot(group), owner, inviterName, addGroupDesc: input.addGroupDesc,
          joiner: { id: joiner.id, uuid: joiner.uuid, name: joinerName, avatar: joiner.avatar, role: joiner.role },
        });
        await this.service.inbox.enqueue(group.user_id, request, transaction);
      }
      this.membershipsChanged(transaction, [ joiner.id ]);
      return active ? MSG.groupJoined : MSG.groupJoinPending;
    });
    await this.service.throttle.hit([ throttleKey, invitePerUser ]);
    return answer;
  }

  /** POST groupAgreeOrNo — the owner lets a pending applicant in (`agree`) or refuses (`no`). */
  async handleRequest(me: AuthenticatedUser, groupId: number, userId: number, type: 'agree' | 'no'): Promise<void> {
    await this.app.transaction(async transaction => {
      const group = await this.lockGroup(transaction, groupId, MSG.groupManageRefused, me.id);
      const row = await findMember(this.sequelize, groupId, userId, transaction);
      if (!row || row.status !== 2 || row.left_seq !== null) throw new BusinessError(MSG.groupAgreeIllegal);
      this.membershipsChanged(transaction, [ userId ]);
      if (type === 'no') {
        await deletePending(this.sequelize, transaction, row.id);
        return;
      }
      const [ joiner ] = await enabledUsers(this.sequelize, [ userId ], transaction);
      if (!joiner) throw new BusinessError(MSG.groupAgreeUserMissing);
      if (await countActive(this.sequelize, groupId, transaction) >= this.config.chat.group.maxMembers) throw new BusinessError(MSG.groupMembersFull);
      await activatePending(this.sequelize, transaction, row.id, group.last_seq, new Date());
      await this.announceJoin(transaction, group, userId, noticeText.joined('', joiner.nickname || joiner.username));
    });
  }

  /**
   * POST groupDeleteUser — the owner removes a member: the removal notice reaches every member, the
   * removed one included, and nothing after it; a pending applicant's request is dropped instead.
   */
  async remove(me: AuthenticatedUser, groupId: number, userId: number): Promise<void> {
    await this.app.transaction(async transaction => {
      const group = await this.lockGroup(transaction, groupId, MSG.groupOwnerOnly, me.id);
      if (userId === me.id) throw new BusinessError(MSG.groupOwnerRemoveSelf);
      const row = await findMember(this.sequelize, groupId, userId, transaction);
      if (!row || row.left_seq !== null) throw new BusinessError(MSG.groupRemoveNotMember);
      this.membershipsChanged(transaction, [ userId ]);
      if (row.status === 2) {
        await deletePending(this.sequelize, transaction, row.id);
        return;
      }
      const target = await this.member(groupId, userId, transaction);
      const updated = await this.refreshAvatar(transaction, group, userId);
      const from = await this.member(groupId, me.id, transaction);
      const seq = await this.service.groupLog.append(groupId, groupNotice(from, this.snapshot(updated), noticeText.removed(target.name)), transaction);
      await markLeft(this.sequelize, transaction, row.id, seq, new Date());
    });
  }

  /** POST groupAddUserSet — the owner's join rule (0 anyone, 1 owner approves, 2 log in first). No push. */
  async setJoinRule(me: AuthenticatedUser, groupId: number, rule: number): Promise<void> {
    await this.app.transaction(async transaction => {
      await this.ownedGroup(transaction, groupId, me.id, MSG.groupManageRefused);
      await updateGroup(this.sequelize, transaction, groupId, 'invite_confirm', rule);
    });
  }

  /** A new active member: the avatar takes them in, then every active member (them too) gets the notice. */
  private async announceJoin(transaction: Transaction, group: GroupRow, userId: number, text: string): Promise<void> {
    const updated = await this.refreshAvatar(transaction, group);
    await this.service.groupLog.append(group.id, joinedNotice(this.snapshot(updated), userId, text), transaction);
  }
}
