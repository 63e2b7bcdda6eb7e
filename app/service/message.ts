import { Service } from 'egg';
import { QueryTypes, Sequelize, Transaction } from 'sequelize';
import { v4 as uuidv4 } from 'uuid';
import { BusinessError, TooManyRequestsError, ValidationError } from '../lib/errors';
import { MSG } from '../lib/messages';
import { DEFAULT_USERSET } from '../lib/userSettings';
import { AuthenticatedUser } from '../extend/context';
import { isUniqueViolation } from '../lib/rawQuery';
import { countSent, findByClientId, findByUuid, insertMessage, insertMessageStatement, markRecalled, NewMessage, payloadOf, readForSend, readForSendStatement, SendRead, StoredMessage } from '../repository/message';
import { inboxEntryAfterMessageStatement, inboxSeqOf, nextInboxSeqStatement } from '../repository/chatInbox';
import { BatchedTransaction } from '../lib/transaction';

/** 422 (a validation message, like the field rules' ones): the key was used for another message. */
export const IDEMPOTENCY_KEY_REUSED = '消息幂等键 已用于另一条消息';

export const MESSAGE_TYPES = [ 'text', 'image', 'audio', 'video', 'iconMenus' ] as const;
export type MessageType = typeof MESSAGE_TYPES[number];

export interface SendInput {
  sendto_id: number;
  chatType: 'single' | 'group';
  type: MessageType;
  data: string;
  options: Record<string, unknown>;
  /** The sender's idempotency key: a retry with the same key answers the first message. */
  client_msg_id?: string;
}

/** The message object of the original: what sendmessage answers and what the recipient's socket gets. */
export interface MessageObject {
  id: string;
  from_avatar: string;
  from_name: string;
  from_id: number;
  to_id: number;
  to_name: string;
  to_avatar: string;
  chatType: 'single' | 'group';
  type: string;
  data: unknown;
  options: Record<string, unknown>;
  create_time: number;
  isremove: 0 | 1;
  sendUUid?: string;
  actionType?: 'revoke';
  group?: null;
}

interface Party { id: number; uuid: string; username: string; nickname: string | null; avatar: string; status: number; is_deleted: number; role: string; userset: string | null }
interface Relation { nickname: string; isblack: number; status: number }

const PARTY_SQL = 'SELECT id, uuid, username, nickname, avatar, status, is_deleted, role, userset FROM `user` WHERE id = ?';
const RELATION_SQL = 'SELECT nickname, isblack, status FROM goodfriend WHERE user_id = ? AND friend_id = ?';

/** The largest id the `user` table holds (INT UNSIGNED): anything else names nobody. */
const MAX_USER_ID = 0xffffffff;

function recipientIdOf(input: SendInput): number {
  const toId = input.sendto_id;
  if (!Number.isSafeInteger(toId) || toId < 1 || toId > MAX_USER_ID) throw new BusinessError(MSG.recipientUnavailable);
  return toId;
}

function nameOf(user: { nickname: string | null; username: string }): string {
  return user.nickname || user.username;
}

/** 0: only friends; 1: one message before being friends; 2: no limit (userset.chatset, the original's meaning). */
function sendCountFor(userset: string | null, role: string): number {
  let chatset: any;
  try {
    chatset = JSON.parse(userset || DEFAULT_USERSET).chatset;
  } catch {
    chatset = undefined;
  }
  const setting = (chatset ?? JSON.parse(DEFAULT_USERSET).chatset)[role === 'visitor' ? 'visitor' : 'user'];
  const count = typeof setting === 'number' ? setting : setting?.sendCount;
  return count === 0 || count === 2 ? count : 1;
}

/**
 * sendmessage and revokeMessage: the original's rules, the message committed (with the recipient's
 * inbox entry) before the answer, delivery after the commit (service/inbox.ts).
 */
export default class MessageService extends Service {
  private get sequelize(): Sequelize {
    return this.app.model as unknown as Sequelize;
  }

  async send(me: AuthenticatedUser, input: SendInput): Promise<MessageObject> {
    // Group messages have their own store, retries and throttle (service/groupMessage.ts).
    const sent = input.chatType === 'group' ? await this.service.groupMessage.send(me, input) : await this.sendSingle(me, input);
    // A question to an owner of auto-answers (issue 19): answered after the commit, once per message.
    await this.service.askanswer.afterSend(me, input, sent);
    return sent;
  }

  private async sendSingle(me: AuthenticatedUser, input: SendInput): Promise<MessageObject> {
    // A retry of a stored send is answered before anything is counted: a client retrying after a timeout
    // never gets a 429 for a message that went through.
    if (input.client_msg_id) {
      const first = await findByClientId(this.sequelize, me.id, input.client_msg_id);
      if (first) return this.answerOf(me, first, input);
    }
    const limit = this.config.chat.throttle.sendPerUser;
    const counter = await this.service.throttle.hitFrequent(`send:user:${me.id}`, limit);
    if (counter.count > limit.limit) throw new TooManyRequestsError(counter.ttlMs / 1000, MSG.sendTooFrequent);
    if (input.sendto_id === me.id) throw new BusinessError(MSG.sendToSelf);
    try {
      // Raw statements only (lib/rawQuery.ts): BEGIN/COMMIT skip Sequelize's pipeline too. MySQL: in two
      // round trips (lib/transaction.ts inBatchedTransaction).
      return await (this.app.batchedTransaction(transaction => this.sendBatched(me, input, transaction)) ??
        this.app.directTransaction(transaction => this.sendOnce(me, input, transaction)));
    } catch (err) {
      // The same key sent twice at the same moment: the other request stored it; answer that one.
      if (isUniqueViolation(err) && input.client_msg_id) {
        const first = await findByClientId(this.sequelize, me.id, input.client_msg_id);
        if (first) return this.answerOf(me, first, input);
      }
      throw err;
    }
  }

  /**
   * One send's transaction, straight on its connection (lib/rawQuery.ts txRows/txRun; insertMessage and
   * the inbox do the same): the recipient's next inbox number first — it locks their counter row, the only
   * lock a send takes, so sends to one user commit one at a time in sequence order and sends between
   * other users never wait for each other —, then one read of both users and both friendship rows, the
   * original's refusals, the message and the inbox entry. What is read after the lock includes every send
   * to that user committed before, so two sends at the same moment cannot both pass the one-message limit
   * for strangers. MySQL uses sendBatched: the same statements in two round trips.
   */
  private async sendOnce(me: AuthenticatedUser, input: SendInput, transaction: Transaction): Promise<MessageObject> {
    const toId = recipientIdOf(input);
    const seq = await this.service.inbox.reserve(toId, transaction);
    const send = await this.decide(me, input, await readForSend(this.sequelize, transaction, me.id, toId), transaction);
    const messageId = await insertMessage(this.sequelize, transaction, send.row);
    await this.service.inbox.enqueue(toId, send.delivered, transaction, messageId, seq);
    return send.answer;
  }

  /**
   * sendOnce on MySQL, in two round trips: START TRANSACTION, the inbox number and the read; then the
   * message, its inbox entry (the message's id taken on the server) and COMMIT. A refusal rolls back
   * (lib/transaction.ts). A stranger's count and a new counter row cost a statement more, as in sendOnce.
   */
  private async sendBatched(me: AuthenticatedUser, input: SendInput, transaction: BatchedTransaction): Promise<MessageObject> {
    const toId = recipientIdOf(input);
    const [ reserved, rows ] = await transaction.begin([ nextInboxSeqStatement(toId), readForSendStatement(me.id, toId) ]);
    const seq = await inboxSeqOf(this.sequelize, transaction, toId, reserved);
    const send = await this.decide(me, input, rows[0] ?? null, transaction);
    const json = JSON.stringify(send.delivered);
    this.service.inbox.announceAfterCommit(transaction, toId, seq, json);
    await transaction.commit([ insertMessageStatement(send.row), inboxEntryAfterMessageStatement(toId, seq, json) ]);
    return send.answer;
  }

  /**
   * The original's refusals on what a send read (after the recipient's counter row was locked), then the
   * message: the row to store, what the recipient gets and what the sender is answered.
   */
  private async decide(me: AuthenticatedUser, input: SendInput, read: SendRead | null, transaction: unknown): Promise<{ row: NewMessage; delivered: MessageObject; answer: MessageObject }> {
    if (!read || read.r_id === null || Number(read.r_status) !== 1 || Number(read.r_deleted) !== 0) throw new BusinessError(MSG.recipientUnavailable);
    if (read.s_id === null) throw new BusinessError(MSG.authUserDisabled);
    const sender = { uuid: read.s_uuid, username: read.s_username, nickname: read.s_nickname, avatar: read.s_avatar };
    const recipient = { id: Number(read.r_id), username: read.r_username, nickname: read.r_nickname, avatar: read.r_avatar, userset: read.r_userset };
    const theirRowForMe = read.t_id === null ? null : { nickname: read.t_nickname, isblack: read.t_isblack, status: read.t_status };
    const myRowForThem = read.m_id === null ? null : { nickname: read.m_nickname };
    const visitor = me.role === 'visitor';
    if (theirRowForMe && Number(theirRowForMe.isblack) !== 0) throw new BusinessError(visitor ? MSG.blockedByRecipientVisitor : MSG.blockedByRecipient);
    if (theirRowForMe && Number(theirRowForMe.status) !== 1) throw new BusinessError(visitor ? MSG.relationDisabledVisitor : MSG.relationDisabled);
    if (!theirRowForMe) {
      // A stranger: the recipient's chat settings decide, counted from the stored messages.
      const sendCount = sendCountFor(recipient.userset, me.role);
      if (sendCount === 0) throw new BusinessError(visitor ? MSG.strangerNeedsLogin : MSG.strangerNeedsFriendship);
      if (sendCount === 1 && await countSent(this.sequelize, me.id, recipient.id, transaction) >= 1) throw new BusinessError(MSG.strangerOneMessage);
    }

    // What the recipient gets: the sender under the recipient's own remark for them. Nobody is shown
    // the other side's private remark.
    const delivered: MessageObject = {
      id: uuidv4(),
      from_avatar: sender.avatar,
      from_name: theirRowForMe?.nickname || nameOf(sender),
      from_id: me.id,
      to_id: recipient.id,
      to_name: nameOf(recipient),
      to_avatar: recipient.avatar,
      chatType: 'single',
      type: input.type,
      data: input.data,
      options: input.options,
      create_time: Date.now(),
      isremove: 0,
      sendUUid: sender.uuid,
    };
    const row: NewMessage = {
      uuid: delivered.id, from_id: me.id, to_id: recipient.id, chat_type: 'single', type: input.type, data: input.data,
      options: JSON.stringify(input.options), client_msg_id: input.client_msg_id ?? null, create_time: new Date(delivered.create_time),
    };
    // What the sender gets: the same message, the recipient under the sender's remark.
    return { row, delivered, answer: { ...delivered, from_name: nameOf(sender), to_name: myRowForThem?.nickname || nameOf(recipient) } };
  }

  /**
   * The answer to a repeated send (same idempotency key): the message stored the first time, in the
   * sender's view. The key names one message: reused for another recipient or content, it is refused.
   */
  private async answerOf(me: AuthenticatedUser, stored: StoredMessage, input: SendInput): Promise<MessageObject> {
    const payload = await payloadOf(this.sequelize, stored.id, stored.to_id);
    if (!payload) throw new BusinessError(MSG.messageMissing);
    const delivered: MessageObject = JSON.parse(payload);
    if (delivered.to_id !== input.sendto_id || delivered.type !== input.type || delivered.data !== input.data) {
      throw new ValidationError(IDEMPOTENCY_KEY_REUSED);
    }
    const [ sender, myRowForThem ] = await Promise.all([ this.party(me.id), this.relation(me.id, stored.to_id) ]);
    return { ...delivered, from_name: sender ? nameOf(sender) : delivered.from_name, to_name: myRowForThem?.nickname || delivered.to_name };
  }

  /**
   * revokeMessage: the sender only, within the window (from the stored time, not the client's); the
   * stored message is marked, and the recipient gets the original's revoke notice (in the offline fetch
   * if away). Recalling a recalled message again answers the notice and sends nothing more.
   */
  async revoke(me: AuthenticatedUser, messageUuid: string, chatType: 'single' | 'group'): Promise<MessageObject> {
    if (chatType === 'group') return this.service.groupMessage.revoke(me, messageUuid);
    return this.app.transaction(async transaction => {
      const stored = await findByUuid(this.sequelize, messageUuid, transaction);
      if (!stored || stored.from_id !== me.id || stored.chat_type !== 'single') throw new BusinessError(MSG.messageMissing);
      const original: MessageObject | null = JSON.parse(await payloadOf(this.sequelize, stored.id, stored.to_id, transaction) || 'null');
      // The time the message was sent, in milliseconds as the recipient got it (never the client's claim).
      const sentAt = original?.create_time ?? new Date(stored.create_time).getTime();
      // The original's text, which the client shows as it is, whatever REVOKE_WINDOW_SECONDS says.
      if (Date.now() - sentAt > this.config.chat.message.revokeWindowSeconds * 1000) throw new BusinessError(MSG.revokeTooLate);
      const sender = await this.party(me.id, transaction);
      // The sender's own name (never the recipient's remark for them), as the original's notice.
      const name = sender ? nameOf(sender) : me.nickname;
      const notice: MessageObject = {
        id: stored.uuid,
        from_avatar: sender?.avatar ?? original?.from_avatar ?? '',
        from_name: name,
        from_id: me.id,
        to_id: stored.to_id,
        to_name: original?.to_name ?? '',
        to_avatar: original?.to_avatar ?? '',
        chatType: 'single',
        type: 'systemNotice',
        actionType: 'revoke',
        data: { data: `${name}撤回了一条消息`, dataType: false, otherData: null },
        options: {},
        create_time: Date.now(),
        isremove: 0,
        group: null,
      };
      if (await markRecalled(this.sequelize, stored.id, transaction)) {
        await this.service.inbox.enqueue(stored.to_id, notice, transaction, stored.id);
      }
      return notice;
    });
  }

  private async party(id: number, transaction?: Transaction, lock = false): Promise<Party | null> {
    const sql = lock && this.sequelize.getDialect() === 'mysql' ? `${PARTY_SQL} FOR UPDATE` : PARTY_SQL;
    const [ row ] = await this.sequelize.query<Party>(sql, { replacements: [ id ], type: QueryTypes.SELECT, transaction });
    return row ?? null;
  }

  private async relation(ownerId: number, otherId: number, transaction?: Transaction): Promise<Relation | null> {
    const [ row ] = await this.sequelize.query<Relation>(RELATION_SQL, { replacements: [ ownerId, otherId ], type: QueryTypes.SELECT, transaction });
    return row ?? null;
  }
}
