import { Bus, BusEvent, BusHandler, GroupEvent, GroupHandler } from './events';

const USER_CHANNEL = 'chat:u:';
/** One channel for every group's entries, subscribed by every worker: one publish per group message. */
const GROUP_CHANNEL = 'chat:g';
/** After a cluster node leaves: time for ioredis to pick another subscriber node and subscribe again. */
const CLUSTER_RESUBSCRIBE_MS = 1500;

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
  private readonly userPrefix: string;
  private readonly groupChannel: string;

  /** `channelPrefix` keeps deployments that share a Redis server apart (config chat.busChannelPrefix). */
  constructor(private readonly publisher: any, private readonly logger: { warn(...args: unknown[]): void }, channelPrefix = '') {
    this.userPrefix = channelPrefix + USER_CHANNEL;
    this.groupChannel = channelPrefix + GROUP_CHANNEL;
    // Its own connection (a subscriber can do nothing else); queue commands while reconnecting, retry for ever.
    const subscriberOptions = { enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined, lazyConnect: false };
    // A Redis Cluster (ioredis Cluster): classic pub/sub, which the cluster bus carries to every node, so the
    // subscriber may sit on any node; ioredis moves it to another node, channels and all, when its node leaves.
    this.subscriber = publisher.isCluster
      ? publisher.duplicate([], { enableOfflineQueue: true, redisOptions: { ...publisher.options.redisOptions, ...subscriberOptions } })
      : publisher.duplicate(subscriberOptions);
    if (publisher.isCluster) {
      // Its 'ready' does not come again when only the subscribing node changed (a failover): what was
      // published in between is pumped from the inbox once the new node has had time to subscribe.
      this.subscriber.on('-node', () => setTimeout(() => this.recovered(), CLUSTER_RESUBSCRIBE_MS).unref());
    }
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.groupChannel) {
        try {
          this.groupHandler(JSON.parse(text));
        } catch {
          // Not ours.
        }
        return;
      }
      if (!channel.startsWith(this.userPrefix)) return;
      let event: BusEvent;
      try {
        event = JSON.parse(text);
      } catch {
        return;
      }
      this.handler(Number(channel.slice(this.userPrefix.length)), event);
    });
    this.subscriber.on('ready', () => {
      // ioredis subscribes again by itself; what was published meanwhile is pumped from the inbox.
      if (this.wasReady) this.recovered();
      this.wasReady = true;
    });
    this.subscriber.subscribe(this.groupChannel).catch((err: Error) => this.logger.warn('[chat bus] subscribe %s: %s', this.groupChannel, err.message));
    this.subscriber.on('error', (err: Error) => this.logger.warn('[chat bus] redis subscriber: %s', err.message));
  }

  async publish(userId: number, event: BusEvent): Promise<void> {
    await this.publisher.publish(this.userPrefix + userId, JSON.stringify(event));
  }

  async publishGroup(event: GroupEvent): Promise<void> {
    await this.publisher.publish(this.groupChannel, JSON.stringify(event));
  }

  onGroupEvent(handler: GroupHandler): void {
    this.groupHandler = handler;
  }

  async subscribe(userId: number): Promise<void> {
    const count = this.counts.get(userId) ?? 0;
    this.counts.set(userId, count + 1);
    if (count === 0) await this.subscriber.subscribe(this.userPrefix + userId);
  }

  async unsubscribe(userId: number): Promise<void> {
    const count = (this.counts.get(userId) ?? 0) - 1;
    if (count > 0) {
      this.counts.set(userId, count);
      return;
    }
    this.counts.delete(userId);
    await this.subscriber.unsubscribe(this.userPrefix + userId).catch(() => undefined);
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
