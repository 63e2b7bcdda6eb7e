import { Service } from 'egg';
import { Sequelize, Transaction } from 'sequelize';
import { insertInboxEntry, nextInboxSeq } from '../repository/chatInbox';
import { BusEvent } from '../delivery/events';

/**
 * What a user must receive on their socket: appended inside the caller's transaction (so a notice
 * exists exactly when the change it tells of committed), announced on the bus after the commit.
 */
export default class InboxService extends Service {
  /**
   * Takes the user's next inbox sequence number now (repository/chatInbox.ts nextInboxSeq: their counter
   * row stays locked until `transaction` ends), for an entry passed to `enqueue` later in the same
   * transaction. A send takes it first, so that what it reads afterwards is at least as new as every
   * send to that user committed before it (the stranger limit counts them).
   */
  reserve(userId: number, transaction: Transaction): Promise<number> {
    return nextInboxSeq(this.app.model as unknown as Sequelize, transaction, userId);
  }

  /**
   * Appends `payload` (the frame data) to the user's inbox; pushed after `transaction` commits. `seq`:
   * a number `reserve` gave for this user in this transaction (otherwise the next one is taken now).
   */
  async enqueue(userId: number, payload: object, transaction: Transaction, messageId: number | null = null, seq?: number): Promise<number> {
    const json = JSON.stringify(payload);
    const sequelize = this.app.model as unknown as Sequelize;
    const at = seq ?? await nextInboxSeq(sequelize, transaction, userId);
    await insertInboxEntry(sequelize, transaction, userId, at, json, messageId);
    this.announceAfterCommit(transaction, userId, at, json);
    return at;
  }

  /** Publishes the entry `seq` (frame data `json`) stored in `transaction`, once it commits. */
  announceAfterCommit(transaction: { afterCommit(hook: () => unknown): void }, userId: number, seq: number, json: string): void {
    transaction.afterCommit(() => this.publish(userId, { k: 'msg', seq, payload: json }));
  }

  /** Asks the user's sockets, wherever they are, to push what they have not confirmed yet. */
  pump(userId: number): Promise<void> {
    return this.publish(userId, { k: 'pump' });
  }

  /**
   * Best effort: an event that cannot be sent (Redis down) changes nothing that was committed. The inbox
   * keeps the entry, and the sockets pump it on reconnect, on chatGetmessageOffLine and every heartbeat.
   */
  async publish(userId: number, event: BusEvent): Promise<void> {
    try {
      await this.app.chatBus.publish(userId, event);
    } catch (err: any) {
      this.app.logger.warn('[chat bus] publish %s for user %d failed: %s', event.k, userId, err?.message);
    }
  }
}
