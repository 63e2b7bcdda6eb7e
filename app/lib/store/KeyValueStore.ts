/**
 * Where sessions and throttle counters live. Two implementations: Redis (production profile) and a
 * table in the application database (embedded profile). Callers never know which one is in use.
 */
export interface KeyValueStore {
  get(key: string): Promise<string | null>;
  /** Several keys at once (one round trip): the values in the same order, null where absent or expired. */
  getMany(keys: string[]): Promise<Array<string | null>>;
  /**
   * `transaction` is the caller's database transaction, if any: the SQL store writes inside it (so the
   * session commits or rolls back with the rows); Redis puts the previous value back if it does not
   * commit (lib/transaction.ts onRollback), and makes sure that a set which threw never takes effect
   * later (see RedisKeyValueStore). Pass only transactions run by app.transaction.
   */
  set(key: string, value: string, ttlSeconds: number, transaction?: unknown): Promise<void>;
  del(key: string): Promise<void>;
  /**
   * Deletes the key only while its value starts with `prefix` (a session ends only if it is still the
   * one the caller holds, never a newer one). Like set, one that threw never takes effect later on Redis.
   */
  delIfStartsWith(key: string, prefix: string): Promise<void>;
  /** Adds one to a counter whose window starts at its first hit; returns the count and the ms left. */
  incr(key: string, windowSeconds: number): Promise<{ count: number; ttlMs: number }>;
  /** Reads a counter made by incr without changing it; null when absent or expired. */
  peek(key: string): Promise<{ count: number; ttlMs: number } | null>;
  /**
   * A key of a family: writes `family + member` as set does (same transaction rules), and records it
   * in the family so that listFamily and deleteFamily find it without scanning the keyspace (Redis: a
   * sorted set beside the keys; the SQL store: a prefix range of its primary key).
   */
  setInFamily(family: string, member: string, value: string, ttlSeconds: number, transaction?: unknown): Promise<void>;
  /** The family's live entries (not expired, not deleted): member, value and ms left. */
  listFamily(family: string): Promise<FamilyEntry[]>;
  /** Deletes every key of the family (those written by setInFamily). */
  deleteFamily(family: string): Promise<void>;
}

export interface FamilyEntry { member: string; value: string; ttlMs: number }
