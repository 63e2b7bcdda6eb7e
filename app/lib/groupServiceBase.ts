import { Service } from 'egg';
import { Sequelize, Transaction } from 'sequelize';
import { BusinessError } from './errors';
import { displayOf, findGroup, firstAvatars, GroupRow, lockForMembership, updateGroup } from '../repository/group';
import { GroupSnapshot, groupSnapshot, Sender } from './groupNotices';

/** What the group services share: the database, the lock of a membership change, names, the avatar, the events. */
export abstract class GroupServiceBase extends Service {
  protected get sequelize(): Sequelize {
    return this.app.model as unknown as Sequelize;
  }

  protected snapshot(group: GroupRow): GroupSnapshot {
    return groupSnapshot(group, this.config.chat.timezone);
  }

  /**
   * Starts a membership change: locks the active group's row (bumping member_version, docs/design/groups.md
   * §7) and answers the group as it stands under that lock. `refusal` when no active group (of `ownerId`,
   * when given) matched.
   */
  protected async lockGroup(transaction: Transaction, groupId: number, refusal: string, ownerId?: number): Promise<GroupRow> {
    if (!await lockForMembership(this.sequelize, transaction, groupId, ownerId)) throw new BusinessError(refusal);
    return (await findGroup(this.sequelize, groupId, transaction))!;
  }

  /** The active group `ownerId` owns, else `refusal` (for a change that is not a membership change). */
  protected async ownedGroup(transaction: Transaction, groupId: number, ownerId: number, refusal: string): Promise<GroupRow> {
    const group = await findGroup(this.sequelize, groupId, transaction);
    if (!group || group.status !== 1 || group.user_id !== ownerId) throw new BusinessError(refusal);
    return group;
  }

  /** How that user appears in the group (their group nickname and avatar first). */
  protected async member(groupId: number, userId: number, transaction?: Transaction): Promise<Sender> {
    return (await displayOf(this.sequelize, groupId, [ userId ], transaction)).get(userId) ?? { id: userId, name: '', avatar: '' };
  }

  /** Recomputes the group avatar from the first 9 active members (but `exceptUserId`); answers the group with it. */
  protected async refreshAvatar(transaction: Transaction, group: GroupRow, exceptUserId?: number): Promise<GroupRow> {
    const avatars = await firstAvatars(this.sequelize, group.id, transaction, exceptUserId);
    if (!avatars.length) return group;
    const avatar = avatars.join(',');
    if (avatar !== group.avatar) await updateGroup(this.sequelize, transaction, group.id, 'avatar', avatar);
    return { ...group, avatar };
  }

  /** After the commit, the users' sockets reload their memberships (joined, left, removed, dissolved). */
  protected membershipsChanged(transaction: Transaction, userIds: number[]): void {
    transaction.afterCommit(async () => {
      for (const userId of new Set(userIds)) await this.service.inbox.publish(userId, { k: 'groups' });
    });
  }
}
