/**
 * Scale-out settings read from the environment (README "Scale-out"): a Redis Cluster instead of one Redis,
 * and read replicas beside the MySQL/MariaDB primary. Both are off unless their variable is set, so the
 * embedded and production profiles are unchanged.
 *
 *   REDIS_CLUSTER_NODES=10.0.0.1:6379,10.0.0.2:6379   (password: REDIS_PASSWORD)
 *   REDIS_URL=redis+cluster://:password@10.0.0.1:6379,10.0.0.2:6379
 *   REDIS_CLUSTER_NAT_MAP=10.0.0.1:6379=203.0.113.1:16379,...   (optional: the address to use for a node the
 *     cluster announces as the left one — NAT, a proxy; ioredis Cluster's `natMap`. Unset: none)
 *   REDIS_SHARDED_PUBSUB=1 (default on a cluster) | 0: the per-user delivery channels on sharded pub/sub
 *     (SSUBSCRIBE/SPUBLISH, Redis 7+, each channel on the shard of its slot) or on classic pub/sub (every node
 *     carries every message). A deployment-wide choice: every instance must run with the same value.
 *   DATABASE_REPLICA_URLS=mysql://reader:pw@10.0.0.5:3306/eggchat,mysql://reader:pw@10.0.0.6:3306/eggchat
 */

export interface ClusterNode { host: string; port: number }

const CLUSTER_SCHEME = 'redis+cluster://';

function parseNode(text: string, source: string): ClusterNode {
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(text.trim());
  if (!match) throw new Error(`${source}: "${text}" is not host:port`);
  return { host: match[1], port: Number(match[2]) };
}

export interface RedisClusterSettings { nodes: ClusterNode[]; password: string; natMap?: Record<string, ClusterNode> }

/** REDIS_CLUSTER_NAT_MAP (`announced host:port=reachable host:port`, comma-separated) as ioredis's natMap. */
function natMapFromEnv(env: NodeJS.ProcessEnv): Record<string, ClusterNode> | undefined {
  const list = env.REDIS_CLUSTER_NAT_MAP;
  if (!list || !list.trim()) return undefined;
  const map: Record<string, ClusterNode> = {};
  for (const item of list.split(',').map(text => text.trim()).filter(Boolean)) {
    const [ from, to, extra ] = item.split('=');
    if (to === undefined || extra !== undefined) throw new Error(`REDIS_CLUSTER_NAT_MAP: "${item}" is not host:port=host:port`);
    const announced = parseNode(from, 'REDIS_CLUSTER_NAT_MAP');
    map[`${announced.host}:${announced.port}`] = parseNode(to, 'REDIS_CLUSTER_NAT_MAP');
  }
  return map;
}

/** The cluster's seed nodes and password (and a NAT map if set), or undefined when Redis is a single server (or absent). */
export function redisClusterFromEnv(env: NodeJS.ProcessEnv = process.env): RedisClusterSettings | undefined {
  const settings = clusterNodesFromEnv(env);
  if (!settings) return undefined;
  const natMap = natMapFromEnv(env);
  return natMap ? { ...settings, natMap } : settings;
}

function clusterNodesFromEnv(env: NodeJS.ProcessEnv): RedisClusterSettings | undefined {
  const url = env.REDIS_URL || '';
  if (url.startsWith(CLUSTER_SCHEME)) {
    const rest = url.slice(CLUSTER_SCHEME.length).replace(/\/\d*$/, '');
    const at = rest.lastIndexOf('@');
    const auth = at >= 0 ? rest.slice(0, at) : '';
    const password = decodeURIComponent(auth.includes(':') ? auth.slice(auth.indexOf(':') + 1) : auth);
    const nodes = rest.slice(at + 1).split(',').filter(Boolean)
      .map(node => parseNode(node, 'REDIS_URL'));
    if (!nodes.length) throw new Error('REDIS_URL: redis+cluster:// needs at least one host:port');
    return { nodes, password };
  }
  const list = env.REDIS_CLUSTER_NODES;
  if (!list) return undefined;
  const nodes = list.split(',').filter(item => item.trim()).map(node => parseNode(node, 'REDIS_CLUSTER_NODES'));
  if (!nodes.length) throw new Error('REDIS_CLUSTER_NODES needs at least one host:port');
  return { nodes, password: env.REDIS_PASSWORD || '' };
}

/**
 * REDIS_SHARDED_PUBSUB on a Redis Cluster: sharded pub/sub for the per-user channels unless set to 0 (a
 * cluster older than Redis 7, or the restart-everything switch between the two modes: README "Scale-out").
 * Always false without a cluster (one Redis server: classic pub/sub is already one node's work).
 */
export function shardedPubsubFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  if (!clusterNodesFromEnv(env)) return false;
  const raw = env.REDIS_SHARDED_PUBSUB;
  if (raw === undefined || raw === '') return true;
  if (raw !== '0' && raw !== '1') throw new Error(`REDIS_SHARDED_PUBSUB must be 0 or 1, got "${raw}"`);
  return raw === '1';
}

/** True when the server uses Redis (one server or a cluster): the production profile's session store and bus. */
export function redisConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return !!(env.REDIS_URL || env.REDIS_CLUSTER_NODES);
}

export interface ReplicaTarget { host: string; port: number; username: string; password: string }

/** DATABASE_REPLICA_URLS as Sequelize `replication.read` entries (the database name is the primary's). */
export function replicasFromEnv(env: NodeJS.ProcessEnv = process.env): ReplicaTarget[] {
  const list = env.DATABASE_REPLICA_URLS;
  if (!list || !list.trim()) return [];
  if (!env.DATABASE_URL) throw new Error('DATABASE_REPLICA_URLS needs DATABASE_URL (the primary)');
  return list.split(',').map(item => item.trim()).filter(Boolean)
    .map(item => {
      const parsed = new URL(item);
      if (![ 'mysql:', 'mariadb:' ].includes(parsed.protocol)) throw new Error(`DATABASE_REPLICA_URLS: ${parsed.protocol}// is not mysql://`);
      return {
        host: parsed.hostname,
        port: Number(parsed.port || 3306),
        username: decodeURIComponent(parsed.username || 'root'),
        password: decodeURIComponent(parsed.password || ''),
      };
    });
}
