/**
 * A backoff for ioredis's sharded subscriber group (Cluster option `shardedSubscribers`, ioredis 5.11.1).
 *
 * When the master holding a sharded subscription dies, its subscriber connection ends ('-node'); the Cluster
 * refreshes its slots at once, which still name the dead master until a replica is promoted, so the group
 * starts a new subscriber for it, which ends at once, and so on: no delay between rounds (ioredis's own backoff
 * covers only a failed start). Measured on the loopback ensemble (docs/SCALING.md §7): 51 errors a second and
 * 59 % of a core per process for as long as a shard has no master; 144 errors in a 4 s failover.
 *
 * This puts a growing delay (100 ms doubling to 2 s, back to 100 ms after 5 s without a '-node') between a
 * '-node' and the slots refresh it triggers, coalescing the '-node's that come in between. It reaches into the
 * client's private `subscriberGroupEmitter`: with a client that does not have it as expected (another ioredis
 * version), it changes nothing and says so (returns false), and test/cluster/redisCluster.cluster.ts fails.
 */
export function backOffShardedResubscribe(cluster: any, baseMs = 100, maxMs = 2000): boolean {
  const emitter = cluster?.subscriberGroupEmitter;
  if (!emitter || typeof emitter.listeners !== 'function') return false;
  const listeners = emitter.listeners('-node');
  if (listeners.length !== 1) return false;
  const [ refresh ] = listeners as Array<(...args: unknown[]) => void>;
  emitter.removeAllListeners('-node');
  let attempt = 0;
  let lastEvent = 0;
  let timer: NodeJS.Timeout | undefined;
  let pending: unknown[] = [];
  emitter.on('-node', (...args: unknown[]) => {
    const now = Date.now();
    if (now - lastEvent > 5000) attempt = 0;
    lastEvent = now;
    pending = args;
    if (timer) return;
    const delay = Math.min(baseMs * 2 ** attempt, maxMs);
    attempt++;
    timer = setTimeout(() => {
      timer = undefined;
      refresh.apply(emitter, pending);
    }, delay);
    timer.unref();
  });
  return true;
}
