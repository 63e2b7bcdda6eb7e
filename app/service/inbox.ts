import { Service } from 'egg';
import { Sequelize, Transaction } from 'sequelize';
import { appendToInbox } from '../repository/chatInbox';
import { BusEvent } from '../delivery/events';

/**
 * What a user must receive on their socket: appended inside the caller's transaction (so a notice
 * exists exactly when the change it tells of committed), announced on the bus after the commit.
 */
export default class InboxService extends Service {
  /** Appends `payload` (the frame data) to the user's inbox; pushed after `transaction` commits. */
  async enqueue(userId: number, payload: object, transaction: Transaction, messageId: number | null = null): Promise<number> {
    const json = JSON.stringify(payload);
    const seq = await appendToInbox(this.app.model as unknown as Sequelize, transaction, userId, json, messageId);
    transaction.afterCommit(() => this.publish(userId, { k: 'msg', seq, payload: json }));
    return seq;
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
