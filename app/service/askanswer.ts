import { Service } from 'egg';
import { Sequelize, Transaction } from 'sequelize';
import { v4 as uuidv4 } from 'uuid';
import { BusinessError } from '../lib/errors';
import { MSG } from '../lib/messages';
import { FRAME_TEXT } from '../delivery/frames';
import { bestMatch } from '../lib/askMatch';
import { selectOne } from '../lib/rawQuery';
import { AuthenticatedUser } from '../extend/context';
import { findGroup } from '../repository/group';
import { insertMessage } from '../repository/message';
import { AskOwner, AskRow, countOf, deleteEntry, findByAsk, findById, insertEntry, listOf, lockOwner, updateEntry } from '../repository/askanswer';
import { MessageObject, SendInput } from './message';

/** The least similarity (app/lib/askMatch.ts) an entry needs to be the answer; docs/design/askanswer.md. */
export const ASK_THRESHOLD = 0.25;

export type OwnerType = 'single' | 'group';

/** An entry as the original answered it (its JSON files' objects), ids and times as numbers. */
export interface AskEntry {
  id: number; ask: string; answer: string; type: OwnerType; create_userId: number; create_time: number; update_time: number; likeCount: number; liked: boolean;
}

function shapeOf(row: AskRow): AskEntry {
  return {
    id: row.id, ask: row.ask, answer: row.answer, type: row.owner_type, create_userId: row.owner_id,
    create_time: new Date(row.create_time).getTime(), update_time: new Date(row.update_time).getTime(), likeCount: row.like_count, liked: false,
  };
}

/**
 * What was asked in a message: the client sends a question as `data`, or as a JSON string whose `data`
 * holds it (the original read `JSON.parse(data).data`). The answer goes back in the same form.
 */
function questionOf(data: unknown): { question: string; wrap: (text: string) => string } {
  if (typeof data === 'string') {
    try {
      const parsed = JSON.parse(data);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && typeof parsed.data === 'string') {
        return { question: parsed.data, wrap: text => JSON.stringify({ ...parsed, data: text }) };
      }
    } catch {
      // Plain text.
    }
    return { question: data, wrap: text => text };
  }
  return { question: '', wrap: text => text };
}

/**
 * Auto-answers (issue 19): the entries a user keeps, or a group's owner keeps for the group, in the
 * database; every route scoped to the owner (the original took `create_userId` from the body and let
 * anyone rewrite anyone's answers). A message sent with `options.askanswer` to an owner that has entries
 * is answered after the original's short delay, through the stored inbox like every message.
 */
export default class AskanswerService extends Service {
  private get sequelize(): Sequelize {
    return this.app.model as unknown as Sequelize;
  }

  private get limits() {
    return this.config.chat.care.askanswer;
  }

  /** The owner named by (type, id), if it is the caller or a group the caller owns; refused otherwise. */
  private async ownerFor(me: AuthenticatedUser, type: OwnerType, id: number): Promise<AskOwner> {
    if (await this.owns(me, type, id)) return { type, id };
    throw new BusinessError(MSG.askNotYours);
  }

  private async owns(me: AuthenticatedUser, type: OwnerType, id: number): Promise<boolean> {
    if (type === 'single') return id === me.id;
    const group = await findGroup(this.sequelize, id);
    return !!group && Number(group.status) === 1 && Number(group.user_id) === me.id;
  }

  /** The entry `id` if the caller manages it (and it is the named owner's, when one is named); "问答不存在" otherwise. */
  private async entryFor(me: AuthenticatedUser, id: number, named?: { type?: OwnerType; create_userId?: number }): Promise<AskRow> {
    const row = await findById(this.sequelize, id);
    const matchesNamed = !named?.type || named.create_userId === undefined || (row?.owner_type === named.type && row?.owner_id === named.create_userId);
    if (!row || !matchesNamed || !await this.owns(me, row.owner_type, row.owner_id)) throw new BusinessError(MSG.askMissing);
    return row;
  }

  /** create: a new entry, or (the same question again) a new answer to it, as the original. */
  async create(me: AuthenticatedUser, input: { type: OwnerType; create_userId: number; ask: string; answer: string }): Promise<{ created: boolean; entry: AskEntry }> {
    const owner = await this.ownerFor(me, input.type, input.create_userId);
    return this.app.transaction(async transaction => {
      if (!await lockOwner(this.sequelize, owner, transaction)) throw new BusinessError(MSG.askNotYours);
      const now = new Date();
      const existing = await findByAsk(this.sequelize, owner, input.ask, transaction);
      if (existing) {
        await updateEntry(this.sequelize, existing.id, existing.ask, input.answer, now, transaction);
      } else {
        if (await countOf(this.sequelize, owner, transaction) >= this.limits.maxPerOwner) throw new BusinessError(MSG.askTooMany);
        await insertEntry(this.sequelize, owner, input.ask, input.answer, now, transaction);
      }
      const row = await findByAsk(this.sequelize, owner, input.ask, transaction);
      return { created: !existing, entry: shapeOf(row!) };
    });
  }

  async update(me: AuthenticatedUser, input: { id: number; type: OwnerType; create_userId: number; ask: string; answer: string }): Promise<AskEntry> {
    await this.ownerFor(me, input.type, input.create_userId);
    const row = await this.entryFor(me, input.id, input);
    return this.app.transaction(async transaction => {
      const changed = await updateEntry(this.sequelize, row.id, input.ask, input.answer, new Date(), transaction);
      if (changed === 'duplicate') throw new BusinessError(MSG.askDuplicate);
      if (!changed) throw new BusinessError(MSG.askMissing);
      return shapeOf((await findById(this.sequelize, row.id, transaction))!);
    });
  }

  async remove(me: AuthenticatedUser, input: { id: number; type?: OwnerType; create_userId?: number }): Promise<void> {
    const row = await this.entryFor(me, input.id, input);
    await this.app.transaction(async transaction => {
      if (!await deleteEntry(this.sequelize, row.id, transaction)) throw new BusinessError(MSG.askMissing);
    });
  }

  async list(me: AuthenticatedUser, input: { type: OwnerType; userId: number }): Promise<AskEntry[]> {
    const owner = await this.ownerFor(me, input.type, input.userId);
    return (await listOf(this.sequelize, owner, this.limits.maxPerOwner)).map(shapeOf);
  }

  async detail(me: AuthenticatedUser, input: { id: number; type?: OwnerType; create_userId?: number }): Promise<AskEntry> {
    return shapeOf(await this.entryFor(me, input.id, input));
  }

  /** The owner's best entry for `ask` with its score; "未找到相关问答" when none reaches the threshold. */
  async search(me: AuthenticatedUser, input: { type: OwnerType; create_userId: number; ask: string }): Promise<AskEntry & { score: number }> {
    const owner = await this.ownerFor(me, input.type, input.create_userId);
    const found = await this.match(owner, input.ask);
    if (!found) throw new BusinessError(MSG.askNoMatch);
    return { ...shapeOf(found.entry), score: Math.round(found.score * 1000) / 1000 };
  }

  private async match(owner: AskOwner, asked: string): Promise<{ entry: AskRow; score: number } | null> {
    const rows = await listOf(this.sequelize, owner, this.limits.maxPerOwner);
    if (!rows.length) return null;
    // A message may be longer than any question: what is matched is bounded like a question.
    const text = [ ...asked ].slice(0, this.limits.maxAskLength * 5).join('');
    const found = bestMatch(text, rows.map(row => ({ ...row, updatedAt: new Date(row.update_time).getTime() })), ASK_THRESHOLD);
    return found ? { entry: found.entry, score: found.score } : null;
  }

  /**
   * After a committed send carrying `options.askanswer`: the auto-reply, committed before the send is
   * answered 200 (durable: a worker killed after the 200 cannot lose it), once per sent message (a retried
   * send with the same idempotency key answers the first message and replies nothing more). No delay: the
   * original's 1.2 s wait lived in memory (docs/COMPATIBILITY.md). A failure is logged and its once-key
   * released, so a retry of the send may answer it; the asker's message stays sent.
   */
  async afterSend(me: AuthenticatedUser, input: SendInput, sent: MessageObject): Promise<void> {
    if (!input.options || !(input.options as any).askanswer) return;
    const key = `askanswer:reply:${sent.id}`;
    try {
      const once = await this.app.kvStore.incr(key, 86400);
      if (once.count > 1) return;
    } catch (err: any) {
      // The message is sent; only its auto-reply is lost (the store is down).
      this.app.logger.warn('[askanswer] no auto-reply to message %s: %s', sent.id, err?.message);
      return;
    }
    try {
      await this.reply(me.id, sent);
    } catch (err: any) {
      this.app.logger.warn('[askanswer] auto-reply to message %s failed: %s', sent.id, err?.message);
      await this.app.kvStore.del(key).catch(() => undefined);
    }
  }

  /**
   * The auto-reply to a question `asked` (the asker's view of their message): the best entry of the user
   * or group it went to, as a message from that user (single) or in that group's conversation from its
   * owner (group), into the asker's inbox; and the original's note to the owner, into theirs. One
   * transaction: both or neither, each delivered at least once (inbox, offline fetch, other instances).
   */
  async reply(askerId: number, asked: MessageObject): Promise<boolean> {
    const { question, wrap } = questionOf(asked.data);
    if (!question.trim()) return false;
    const ownerType: OwnerType = asked.chatType === 'group' ? 'group' : 'single';
    const found = await this.match({ type: ownerType, id: asked.to_id }, question);
    if (!found) return false;
    let ownerUserId = asked.to_id;
    if (ownerType === 'group') {
      const group = await findGroup(this.sequelize, asked.to_id);
      if (!group || Number(group.status) !== 1) return false;
      ownerUserId = Number(group.user_id);
    }
    const owner = await selectOne<{ uuid: string; avatar: string; nickname: string | null; username: string }>(this.sequelize,
      'SELECT uuid, avatar, nickname, username FROM `user` WHERE id = ? AND status = 1 AND is_deleted = 0', [ ownerUserId ]);
    if (!owner) return false;
    const now = Date.now();
    const answerText = found.entry.answer;
    const answer: MessageObject = ownerType === 'single'
      ? {
        id: uuidv4(), from_avatar: asked.to_avatar, from_name: asked.to_name, from_id: asked.to_id,
        to_id: askerId, to_name: asked.from_name, to_avatar: asked.from_avatar, chatType: 'single', type: asked.type,
        data: wrap(answerText), options: {}, create_time: now, isremove: 0, sendUUid: owner.uuid,
      }
      : {
        // In the group's conversation, from its owner, to the asker alone.
        ...asked, id: uuidv4(), from_avatar: owner.avatar, from_name: owner.nickname || owner.username, from_id: ownerUserId,
        data: wrap(answerText), options: {}, create_time: now, isremove: 0, sendUUid: owner.uuid,
      };
    const note: MessageObject = { ...asked, id: answer.id, type: 'systemNotice', data: wrap(`${FRAME_TEXT.askReplyNote}${answerText}`), options: {}, create_time: now };
    await this.app.transaction(async (transaction: Transaction) => {
      let messageId: number | null = null;
      if (ownerType === 'single') {
        messageId = await insertMessage(this.sequelize, transaction, {
          uuid: answer.id, from_id: asked.to_id, to_id: askerId, chat_type: 'single', type: answer.type, data: String(answer.data),
          options: '{}', client_msg_id: null, create_time: new Date(now),
        });
      }
      await this.service.inbox.enqueue(askerId, answer, transaction, messageId);
      await this.service.inbox.enqueue(ownerUserId, note, transaction);
    });
    return true;
  }
}
