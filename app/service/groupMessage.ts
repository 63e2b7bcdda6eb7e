import { Service } from 'egg';
import { Sequelize, Transaction, UniqueConstraintError } from 'sequelize';
import { v4 as uuidv4 } from 'uuid';
import { BusinessError, TooManyRequestsError, ValidationError } from '../lib/errors';
import { MSG } from '../lib/messages';
import { formatLocalDateTime } from '../lib/time';
import { AuthenticatedUser } from '../extend/context';
import { findByClientId, findByUuid, insertMessage, markRecalled, StoredMessage } from '../repository/message';
import { GroupSender, groupPayloadOf, groupSender } from '../repository/groupLog';
import { IDEMPOTENCY_KEY_REUSED, MessageObject, SendInput } from './message';

/** An active member: joined (not a pending applicant), not left, not muted. */
function isActive(member: GroupSender['member']): boolean {
  return !!member && member.status === 1 && member.joined_seq !== null && member.left_seq === null;
}

/**
 * sendmessage and revokeMessage with chatType 'group': each message stored once (`message`) with one
 * `group_log` entry, whatever the member count; every member's socket pushes it from the log
 * (delivery/chatConnection.ts). The group's row lock (service/groupLog.reserve) orders a group's
 * messages and membership changes, so a member removed before a message never receives it.
 */
export default class GroupMessageService extends Service {
  private get sequelize(): Sequelize {
    return this.app.model as unknown as Sequelize;
  }

  async send(me: AuthenticatedUser, input: SendInput): Promise<MessageObject> {
    if (input.client_msg_id) {
      const first = await findByClientId(this.sequelize, me.id, input.client_msg_id);
      if (first) return this.answerOf(first, input);
    }
    const limit = this.config.chat.throttle.sendPerUser;
    // The same counter as single chat: one send budget per sender.
    const counter = await this.service.throttle.hitFrequent(`send:user:${me.id}`, limit);
    if (counter.count > limit.limit) throw new TooManyRequestsError(counter.ttlMs / 1000, MSG.sendTooFrequent);
    try {
      return await this.app.transaction(transaction => this.sendOnce(me, input, transaction));
    } catch (err) {
      // The same key sent twice at the same moment: the other request stored it; answer that one.
      if (err instanceof UniqueConstraintError && input.client_msg_id) {
        const first = await findByClientId(this.sequelize, me.id, input.client_msg_id);
        if (first) return this.answerOf(first, input);
      }
      throw err;
    }
  }

  private async sendOnce(me: AuthenticatedUser, input: SendInput, transaction: Transaction): Promise<MessageObject> {
    const position = await this.service.groupLog.reserve(input.sendto_id, transaction);
    const sender = await groupSender(this.sequelize, transaction, input.sendto_id, me.id);
    if (!sender || sender.group.status !== 1) throw new BusinessError(MSG.groupUnavailable);
    if (!isActive(sender.member)) throw new BusinessError(MSG.notInGroupSend);
    const message: MessageObject = {
      id: uuidv4(),
      ...this.fromOf(sender),
      from_id: me.id,
      to_id: sender.group.id,
      to_name: sender.group.name,
      to_avatar: sender.group.avatar,
      chatType: 'group',
      type: input.type,
      data: input.data,
      options: input.options,
      create_time: Date.now(),
      isremove: 0,
      group: this.snapshot(sender.group) as any,
      sendUUid: sender.user.uuid,
    };
    const messageId = await insertMessage(this.sequelize, transaction, {
      uuid: message.id, from_id: me.id, to_id: sender.group.id, chat_type: 'group', type: input.type, data: input.data,
      options: JSON.stringify(input.options), client_msg_id: input.client_msg_id ?? null, create_time: new Date(message.create_time),
    });
    // Not pushed back to the sender (the original's rule): their answer is this object.
    await this.service.groupLog.appendAt(sender.group.id, position, message, transaction, { skipUserId: me.id, messageId });
    return message;
  }

  /** The answer to a repeated send: the stored object; the key reused for another message is refused. */
  private async answerOf(stored: StoredMessage, input: SendInput): Promise<MessageObject> {
    if (stored.chat_type !== 'group') throw new ValidationError(IDEMPOTENCY_KEY_REUSED);
    const payload = await groupPayloadOf(this.sequelize, stored.id);
    if (!payload) throw new BusinessError(MSG.messageMissing);
    const message: MessageObject = JSON.parse(payload);
    if (message.to_id !== input.sendto_id || message.type !== input.type || message.data !== input.data) {
      throw new ValidationError(IDEMPOTENCY_KEY_REUSED);
    }
    return message;
  }

  /**
   * Recall: the sender only, an active member, within the window from the stored time; every member
   * (the sender too) gets the original's revoke notice through the group's log. A second recall of
   * the same message answers the notice and appends nothing.
   */
  async revoke(me: AuthenticatedUser, messageUuid: string): Promise<MessageObject> {
    return this.app.transaction(async transaction => {
      // The message's row first (locked on MySQL), then the group's: a second recall waits here and
      // finds it recalled, so the group's sequence is only taken for a notice that is written.
      const stored = await findByUuid(this.sequelize, messageUuid, transaction);
      if (!stored || stored.from_id !== me.id || stored.chat_type !== 'group') throw new BusinessError(MSG.messageMissing);
      const original: MessageObject | null = JSON.parse(await groupPayloadOf(this.sequelize, stored.id, transaction) || 'null');
      const sentAt = original?.create_time ?? new Date(stored.create_time).getTime();
      if (Date.now() - sentAt > this.config.chat.message.revokeWindowSeconds * 1000) throw new BusinessError(MSG.revokeTooLate);
      const recalled = stored.isremove === 1;
      const position = recalled ? null : await this.service.groupLog.reserve(stored.to_id, transaction);
      const sender = await groupSender(this.sequelize, transaction, stored.to_id, me.id);
      if (!sender || sender.group.status !== 1) throw new BusinessError(MSG.groupUnavailable);
      if (!isActive(sender.member)) throw new BusinessError(MSG.notInGroupRevoke);
      const from = this.fromOf(sender);
      const notice: MessageObject = {
        id: stored.uuid,
        ...from,
        from_id: me.id,
        to_id: sender.group.id,
        to_name: sender.group.name,
        to_avatar: sender.group.avatar,
        chatType: 'group',
        type: 'systemNotice',
        actionType: 'revoke',
        // The original's text for groups has a space before 撤回 (single chat's has none).
        data: { data: `${from.from_name} 撤回了一条消息`, dataType: false, otherData: null },
        options: {},
        create_time: Date.now(),
        isremove: 0,
        group: null,
      };
      if (position && await markRecalled(this.sequelize, stored.id, transaction)) {
        await this.service.groupLog.appendAt(sender.group.id, position, notice, transaction, { messageId: stored.id });
      }
      return notice;
    });
  }

  /** A member as the group shows them: the group nickname and avatar first. */
  private fromOf(sender: GroupSender): { from_name: string; from_avatar: string } {
    return {
      from_name: sender.member?.nickname || sender.user.nickname || sender.user.username,
      from_avatar: sender.member?.avatar || sender.user.avatar,
    };
  }

  /** The group as every push carries it (without its members: see docs/COMPATIBILITY.md). */
  private snapshot(group: GroupSender['group']): object {
    return { ...group, create_time: formatLocalDateTime(group.create_time, this.config.chat.timezone) };
  }
}
