import { Service } from 'egg';
import { Sequelize, Transaction } from 'sequelize';
import { GroupPosition, insertGroupLog, nextGroupSeq } from '../repository/groupLog';
import { GroupEvent } from '../delivery/events';
import { BusinessError } from '../lib/errors';
import { MSG } from '../lib/messages';

export interface GroupLogOptions {
  /** A member it is not pushed to (the sender of a chat message); none for notices. */
  skipUserId?: number | null;
  /** The `message` row of a chat message or a recall. */
  messageId?: number | null;
}

/**
 * What every member of a group receives: one row in `group_log` per message or notice, whatever the
 * member count, written inside the caller's transaction and announced once on the bus after the
 * commit. Each socket pushes the entries its user may see (delivery/chatConnection.ts).
 */
export default class GroupLogService extends Service {
  /**
   * Appends `payload` (the frame data) to the group's log and answers its sequence number. Throws the
   * original's "group unavailable" refusal when the group is missing, dissolved or locked.
   */
  async append(groupId: number, payload: object, transaction: Transaction, options: GroupLogOptions = {}): Promise<number> {
    return this.appendAt(groupId, await this.reserve(groupId, transaction), payload, transaction, options);
  }

  /**
   * Takes the group's next sequence number (and its row lock) without writing the entry yet: a caller
   * that must check something under the lock first (a sender's membership) appends with appendAt.
   */
  async reserve(groupId: number, transaction: Transaction): Promise<GroupPosition> {
    const position = await nextGroupSeq(this.app.model as unknown as Sequelize, transaction, groupId);
    if (!position) throw new BusinessError(MSG.groupUnavailable);
    return position;
  }

  /** Writes the entry at a position taken by reserve in the same transaction. */
  async appendAt(groupId: number, position: GroupPosition, payload: object, transaction: Transaction, options: GroupLogOptions = {}): Promise<number> {
    const sequelize = this.app.model as unknown as Sequelize;
    const json = JSON.stringify(payload);
    const skip = options.skipUserId ?? null;
    await insertGroupLog(sequelize, transaction, { groupId, seq: position.seq, messageId: options.messageId ?? null, skipUserId: skip, payload: json });
    const event: GroupEvent = { g: groupId, seq: position.seq, v: position.memberVersion, skip, payload: json };
    transaction.afterCommit(() => this.publish(event));
    return position.seq;
  }

  /** Best effort, as for personal entries: the log is the truth, sockets pump it on gaps and heartbeats. */
  private async publish(event: GroupEvent): Promise<void> {
    try {
      await this.app.chatBus.publishGroup(event);
    } catch (err: any) {
      this.app.logger.warn('[chat bus] publish for group %d failed: %s', event.g, err?.message);
    }
  }
}
