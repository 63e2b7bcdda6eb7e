import type { Redis } from 'ioredis';
import { FamilyEntry, KeyValueStore } from './KeyValueStore';
import type { Transaction } from 'sequelize';
import { ServiceUnavailableError } from '../errors';
import { onRollback } from '../transaction';

const INCR_WITH_WINDOW = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { count, redis.call('PTTL', KEYS[1]) }`;

/**
 * Opening of the deadline-guarded writes: the script returns -1 without writing once Redis's own clock
 * has reached the deadline in ARGV[1] (epoch ms). TIME before a write is allowed because Redis (5 and
 * later) replicates a script's effects rather than its text.
 */
const UNLESS_PAST_DEADLINE = `
local now = redis.call('TIME')
if tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) >= tonumber(ARGV[1]) then return -1 end`;
const TOO_LATE = -1;
/** Redis Cluster: how long a write waits for a replica's acknowledgement (WAIT 1) at most. */
const REPLICA_ACK_MS = 100;

// Answers the value it replaced and that value's remaining lifetime, for an undo.
const SET_BEFORE_DEADLINE = `${UNLESS_PAST_DEADLINE}
local old = redis.call('GET', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
if old then return { 1, old, ttl } end
return { 1 }`;

// Puts back what a set replaced, only while the key still holds that set's value (so never over a
// newer write, however late it runs): ARGV = value written, had a previous value (1/0), it, its ms left.
const UNDO_SET = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '0' then redis.call('DEL', KEYS[1]) return 1 end
if tonumber(ARGV[4]) > 0 then redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4]) else redis.call('SET', KEYS[1], ARGV[3]) end
return 1`;

const DEL_IF_STARTS_WITH_BEFORE_DEADLINE = `${UNLESS_PAST_DEADLINE}
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, #ARGV[2]) == ARGV[2] then redis.call('DEL', KEYS[1]) end
return 1`;

// A family's index (a sorted set, score = when the member's key expires plus FAMILY_SLACK_MS by the
// writer's clock): adds the member, drops members expired long ago, and makes the index outlive its
// newest member (never shortens it). ARGV = score, member, prune below, index lifetime in ms.
const FAMILY_ADD = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return 1`;
/** Members stay in a family's index this long after their key expired (clocks of writers may differ). */
const FAMILY_SLACK_MS = 60_000;

/** The sorted set that lists a family's members (never a member key: those are `family + member`). */
function familyIndex(family: string): string {
  return `family_index:${family}`;
}

export class RedisKeyValueStore implements KeyValueStore {
  constructor(private readonly redis: Redis) {}

  async get(key: string): Promise<string | null> {
    return this.redis.get(key);
  }

  async getMany(keys: string[]): Promise<Array<string | null>> {
    if (!keys.length) return [];
    // On a Redis Cluster the keys (sessions of different users) lie in different slots: MGET would answer
    // CROSSSLOT, so one GET each (ioredis sends them to their nodes at once).
    if ((this.redis as any).isCluster) return Promise.all(keys.map(key => this.redis.get(key)));
    return this.redis.mget(...keys);
  }

  async set(key: string, value: string, ttlSeconds: number, transaction?: Transaction): Promise<void> {
    const [ , previous, previousTtlMs ] = await this.writeBeforeDeadline(SET_BEFORE_DEADLINE, key, value, ttlSeconds) as [number, string?, number?];
    // Redis is not part of the database transaction: should it not commit (a COMMIT that fails after
    // this write), the session it replaced comes back.
    if (transaction) {
      onRollback(transaction, async () => {
        await this.redis.eval(UNDO_SET, 1, key, value, previous === undefined ? '0' : '1', previous ?? '', previousTtlMs ?? -1);
      });
    }
  }

  async del(key: string): Promise<void> {
    await this.redis.del(key);
  }

  async delIfStartsWith(key: string, prefix: string): Promise<void> {
    await this.writeBeforeDeadline(DEL_IF_STARTS_WITH_BEFORE_DEADLINE, key, prefix);
  }

  async peek(key: string): Promise<{ count: number; ttlMs: number } | null> {
    const [[ , value ], [ , ttlMs ]] = await this.redis.multi().get(key).pttl(key)
      .exec() as Array<[Error | null, any]>;
    return value === null ? null : { count: Number(value), ttlMs: Math.max(0, Number(ttlMs)) };
  }

  async incr(key: string, windowSeconds: number): Promise<{ count: number; ttlMs: number }> {
    const [ count, ttlMs ] = await this.redis.eval(INCR_WITH_WINDOW, 1, key, windowSeconds * 1000) as [number, number];
    return { count, ttlMs };
  }

  async setInFamily(family: string, member: string, value: string, ttlSeconds: number, transaction?: Transaction): Promise<void> {
    const now = Date.now();
    const lifetimeMs = ttlSeconds * 1000 + FAMILY_SLACK_MS;
    // Indexed first: a key that exists is always in the index (deleteFamily finds it); an index entry
    // whose key was never written (a set that failed) is harmless and pruned.
    await this.redis.eval(FAMILY_ADD, 1, familyIndex(family), now + lifetimeMs, member, now, lifetimeMs);
    await this.set(family + member, value, ttlSeconds, transaction);
  }

  async listFamily(family: string): Promise<FamilyEntry[]> {
    const members = await this.redis.zrange(familyIndex(family), 0, -1);
    // One GET + PTTL per member, sent together (the keys may lie on different cluster nodes).
    const entries = await Promise.all(members.map(async member => {
      const key = family + member;
      const [[ , value ], [ , ttlMs ]] = await this.redis.multi().get(key).pttl(key)
        .exec() as Array<[Error | null, any]>;
      return value === null ? null : { member, value: String(value), ttlMs: Math.max(0, Number(ttlMs)) };
    }));
    return entries.filter((entry): entry is FamilyEntry => entry !== null);
  }

  async deleteFamily(family: string): Promise<void> {
    const index = familyIndex(family);
    const members = await this.redis.zrange(index, 0, -1);
    if (!members.length) return;
    const keys = members.map(member => family + member);
    // Cluster: the keys lie in different slots (one DEL each); otherwise one DEL for all.
    if ((this.redis as any).isCluster) await Promise.all(keys.map(key => this.redis.del(key)));
    else await this.redis.del(...keys);
    // Only the members read: one added meanwhile keeps its index entry.
    await this.redis.zrem(index, ...members);
  }

  /**
   * Runs a write script that does nothing once its deadline has passed, so that a write the app has
   * reported as failed cannot take effect later. When Redis stalls without closing the connection (a
   * stopped process, CLIENT PAUSE, a long command) ioredis gives up after `commandTimeout` and the
   * request answers 503 — but the command is already in the socket (and ioredis resends unanswered
   * commands after a reconnect), so Redis would run it whenever it gets to it: a 503 login would then
   * replace the session of a later successful one, a 503 logout would end a session after all.
   *
   * The deadline is half the command timeout after sending. A script that runs before it answers with
   * the other half to spare (the way back, a busy event loop), so the app does not give up on a write
   * that happened; one that runs after it answers TOO_LATE, which is a 503 too — the answer and the
   * effect always agree. This compares the app's clock with Redis's: they must agree to well within half
   * the command timeout (same host, or both synchronised by NTP). A Redis clock behind by more could let
   * a late write through; one ahead by more refuses every write (503, never a wrong 200).
   */
  private async writeBeforeDeadline(script: string, key: string, ...args: Array<string | number>): Promise<unknown> {
    // A cluster keeps the per-node options (commandTimeout among them) under redisOptions.
    const options: any = this.redis.options;
    const timeoutMs: number | undefined = (this.redis as any).isCluster ? options.redisOptions?.commandTimeout : options.commandTimeout;
    // Without a command timeout the app never gives up on a command: there is no deadline to keep to.
    const deadline = timeoutMs && timeoutMs > 0 ? Date.now() + Math.floor(timeoutMs / 2) : Number.MAX_SAFE_INTEGER;
    const result = (this.redis as any).isCluster
      ? await this.evalAndReplicate(script, key, deadline, args, timeoutMs)
      : await this.redis.eval(script, 1, key, deadline, ...args);
    if (result === TOO_LATE) {
      throw new ServiceUnavailableError(new Error(`Redis ran a write to ${key} after its deadline`));
    }
    return result;
  }

  /**
   * Redis Cluster: the write, then `WAIT 1` on the same connection (one pipeline, routed to the key's master),
   * so a session, a logout or a writer marker is on a replica before the request answers: a master that dies
   * right after (its replica promoted) does not take it along. Asynchronous replication would otherwise lose
   * the last writes. A replica that does not acknowledge in time (none left) does not fail the write.
   */
  private async evalAndReplicate(script: string, key: string, deadline: number, args: Array<string | number>, timeoutMs: number | undefined): Promise<unknown> {
    const waitMs = Math.max(10, Math.min(REPLICA_ACK_MS, Math.floor((timeoutMs || REPLICA_ACK_MS * 4) / 4)));
    const [[ err, result ]] = await (this.redis as any).pipeline().eval(script, 1, key, deadline, ...args).wait(1, waitMs)
      .exec() as Array<[Error | null, unknown]>;
    if (err) throw err;
    return result;
  }
}
