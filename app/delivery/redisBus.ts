import { Bus, BusEvent, BusHandler, GroupEvent, GroupHandler } from './events';

const PREFIX = 'chat:u:';
/** One channel for every group's entries, subscribed by every worker: one publish per group message. */
const GROUP_CHANNEL = 'chat:g';

/**
 * The production bus: one Redis pub/sub channel per user (`chat:u:<id>`), subscribed by the workers of
 * any instance that hold a socket of that user. Pub/sub keeps nothing: an event published while nobody
 * listens is lost, which is fine because the inbox in the database is the truth and every socket pumps
 * it on connect, on chatGetmessageOffLine and after the subscriber reconnects.
 */
export class RedisBus implements Bus {
  private readonly subscriber: any;
  private readonly counts = new Map<number, number>();
  private handler: BusHandler = () => undefined;
  private groupHandler: GroupHandler = () => undefined;
  private recovered: () => void = () => undefined;
  private wasReady = false;

  constructor(private readonly publisher: any, private readonly logger: { warn(...args: unknown[]): void }) {
    // Its own connection (a subscriber can do nothing else); queue commands while reconnecting, retry for ever.
    this.subscriber = publisher.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined, lazyConnect: false });
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel === GROUP_CHANNEL) {
        try {
          this.groupHandler(JSON.parse(text));
        } catch {
          // Not ours.
        }
        return;
      }
      if (!channel.startsWith(PREFIX)) return;
      let event: BusEvent;
      try {
        event = JSON.parse(text);
      } catch {
        return;
      }
      this.handler(Number(channel.slice(PREFIX.length)), event);
    });
    this.subscriber.on('ready', () => {
      // ioredis subscribes again by itself; what was published meanwhile is pumped from the inbox.
      if (this.wasReady) this.recovered();
      this.wasReady = true;
    });
    this.subscriber.subscribe(GROUP_CHANNEL).catch((err: Error) => this.logger.warn('[chat bus] subscribe %s: %s', GROUP_CHANNEL, err.message));
    this.subscriber.on('error', (err: Error) => this.logger.warn('[chat bus] redis subscriber: %s', err.message));
  }

  async publish(userId: number, event: BusEvent): Promise<void> {
    await this.publisher.publish(PREFIX + userId, JSON.stringify(event));
  }

  async publishGroup(event: GroupEvent): Promise<void> {
    await this.publisher.publish(GROUP_CHANNEL, JSON.stringify(event));
  }

  onGroupEvent(handler: GroupHandler): void {
    this.groupHandler = handler;
  }

  async subscribe(userId: number): Promise<void> {
    const count = this.counts.get(userId) ?? 0;
    this.counts.set(userId, count + 1);
    if (count === 0) await this.subscriber.subscribe(PREFIX + userId);
  }

  async unsubscribe(userId: number): Promise<void> {
    const count = (this.counts.get(userId) ?? 0) - 1;
    if (count > 0) {
      this.counts.set(userId, count);
      return;
    }
    this.counts.delete(userId);
    await this.subscriber.unsubscribe(PREFIX + userId).catch(() => undefined);
  }

  onEvent(handler: BusHandler): void {
    this.handler = handler;
  }

  onRecovered(handler: () => void): void {
    this.recovered = handler;
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
  }
}
