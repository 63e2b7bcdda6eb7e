import { Bus, BusEvent, BusHandler, GroupEvent, GroupHandler } from './events';
import { backOffShardedResubscribe } from './shardedResubscribeBackoff';

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
 *
 * On a Redis Cluster with `sharded` (REDIS_SHARDED_PUBSUB, the default there) the per-user channels use
 * sharded pub/sub: SPUBLISH goes to the master of the channel's slot only and ioredis keeps one subscriber
 * connection per master (its `shardedSubscribers` group), so a message costs one node's work whatever the
 * number of nodes. The group channel stays on classic pub/sub: every worker listens to it, and as one
 * sharded channel it would put every group event on a single shard.
 */
export class RedisBus implements Bus {
  /** A subscriber's errors are logged once per this window, then the count of the ones left out. */
  static errorLogWindowMs = 10_000;

  /** Classic pub/sub: the group channel, and the user channels unless sharded. */
  private readonly subscriber: any;
  /** The user channels' subscriber: `subscriber` itself, or a Cluster client with sharded subscribers. */
  private readonly userSubscriber: any;
  private readonly counts = new Map<number, number>();
  private handler: BusHandler = () => undefined;
  private groupHandler: GroupHandler = () => undefined;
  private recovered: () => void = () => undefined;
  private wasReady = false;
  private readonly userPrefix: string;
  private readonly groupChannel: string;
  private readonly sharded: boolean;

  /** `channelPrefix` keeps deployments that share a Redis server apart (config chat.busChannelPrefix). */
  constructor(private readonly publisher: any, private readonly logger: { warn(...args: unknown[]): void }, channelPrefix = '', sharded = false) {
    this.userPrefix = channelPrefix + USER_CHANNEL;
    this.groupChannel = channelPrefix + GROUP_CHANNEL;
    this.sharded = sharded && !!publisher.isCluster;
    // Its own connection (a subscriber can do nothing else); queue commands while reconnecting, retry for ever.
    const subscriberOptions = { enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined, lazyConnect: false };
    const clusterSubscriber = (extra: Record<string, unknown>) =>
      publisher.duplicate([], { enableOfflineQueue: true, ...extra, redisOptions: { ...publisher.options.redisOptions, ...subscriberOptions } });
    // A Redis Cluster (ioredis Cluster): classic pub/sub, which the cluster bus carries to every node, so the
    // subscriber may sit on any node; ioredis moves it to another node, channels and all, when its node leaves.
    this.subscriber = publisher.isCluster ? clusterSubscriber({}) : publisher.duplicate(subscriberOptions);
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
      this.onUserMessage(channel, text);
    });
    this.subscriber.on('ready', () => {
      // ioredis subscribes again by itself; what was published meanwhile is pumped from the inbox.
      if (this.wasReady) this.recovered();
      this.wasReady = true;
    });
    this.subscriber.subscribe(this.groupChannel).catch((err: Error) => this.logger.warn('[chat bus] subscribe %s: %s', this.groupChannel, err.message));
    this.subscriber.on('error', this.errorLogger('redis subscriber'));
    if (!this.sharded) {
      this.userSubscriber = this.subscriber;
      return;
    }
    // ioredis's sharded subscriber group: one connection per master, rebuilt (with a backoff) and the channels
    // subscribed again after a topology change — then 'subscribersReady', after which the inbox is pumped for
    // what was published while a shard's subscriber was away.
    this.userSubscriber = clusterSubscriber({ shardedSubscribers: true });
    if (!backOffShardedResubscribe(this.userSubscriber)) {
      this.logger.warn('[chat bus] this ioredis has no sharded subscriber group as expected: its resubscription runs without a backoff');
    }
    let shardsReady = false;
    this.userSubscriber.on('subscribersReady', () => {
      if (shardsReady) this.recovered();
      shardsReady = true;
    });
    this.userSubscriber.on('smessage', (channel: string, text: string) => this.onUserMessage(channel, text));
    // While a shard's master is down and not yet replaced, its subscriber fails on every retry (with the backoff above).
    this.userSubscriber.on('error', this.errorLogger('redis sharded subscriber'));
  }

  /** An 'error' listener that logs the first error of each window, then how many more came in it. */
  private errorLogger(what: string): (err: Error) => void {
    let window: NodeJS.Timeout | undefined;
    let leftOut = 0;
    let last = '';
    return (err: Error) => {
      if (window) {
        leftOut++;
        last = err.message;
        return;
      }
      this.logger.warn('[chat bus] %s: %s', what, err.message);
      const windowMs = RedisBus.errorLogWindowMs;
      window = setTimeout(() => {
        if (leftOut) this.logger.warn('[chat bus] %s: %d more errors in %d ms, the last: %s', what, leftOut, windowMs, last);
        window = undefined;
        leftOut = 0;
      }, windowMs);
      window.unref();
    };
  }

  private onUserMessage(channel: string, text: string): void {
    if (!channel.startsWith(this.userPrefix)) return;
    let event: BusEvent;
    try {
      event = JSON.parse(text);
    } catch {
      return;
    }
    this.handler(Number(channel.slice(this.userPrefix.length)), event);
  }

  async publish(userId: number, event: BusEvent): Promise<void> {
    const channel = this.userPrefix + userId;
    const text = JSON.stringify(event);
    await (this.sharded ? this.publisher.spublish(channel, text) : this.publisher.publish(channel, text));
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
    if (count > 0) return;
    const channel = this.userPrefix + userId;
    try {
      await (this.sharded ? this.userSubscriber.ssubscribe(channel) : this.userSubscriber.subscribe(channel));
    } catch (err) {
      // Refused (no subscriber for the slot during a failover): the socket is refused with 503, not counted.
      this.unsubscribe(userId).catch(() => undefined);
      throw err;
    }
  }

  async unsubscribe(userId: number): Promise<void> {
    const count = (this.counts.get(userId) ?? 0) - 1;
    if (count > 0) {
      this.counts.set(userId, count);
      return;
    }
    this.counts.delete(userId);
    const channel = this.userPrefix + userId;
    await (this.sharded ? this.userSubscriber.sunsubscribe(channel) : this.userSubscriber.unsubscribe(channel)).catch(() => undefined);
  }

  onEvent(handler: BusHandler): void {
    this.handler = handler;
  }

  onRecovered(handler: () => void): void {
    this.recovered = handler;
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
    if (this.userSubscriber !== this.subscriber) this.userSubscriber.disconnect();
  }
}
