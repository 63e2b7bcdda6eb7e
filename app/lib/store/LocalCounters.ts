/**
 * Windowed counters in this process's memory, with the semantics of KeyValueStore.incr (the window
 * starts at the first hit). For limits checked on every request of a hot route in the embedded profile,
 * where the shared store is a table: a counter there is a write transaction of its own per hit.
 */
export class LocalCounters {
  private readonly counters = new Map<string, { count: number; expiresAt: number }>();
  private nextSweep = 0;

  constructor(private readonly sweepEveryMs = 10_000) {}

  incr(key: string, windowSeconds: number, now = Date.now()): { count: number; ttlMs: number } {
    if (now >= this.nextSweep) this.sweep(now);
    let counter = this.counters.get(key);
    if (!counter || counter.expiresAt <= now) {
      counter = { count: 0, expiresAt: now + windowSeconds * 1000 };
      this.counters.set(key, counter);
    }
    counter.count += 1;
    return { count: counter.count, ttlMs: counter.expiresAt - now };
  }

  get size(): number {
    return this.counters.size;
  }

  /** Drops the expired counters now and then, so memory follows the senders of the last window only. */
  private sweep(now: number): void {
    this.nextSweep = now + this.sweepEveryMs;
    for (const [ key, counter ] of this.counters) if (counter.expiresAt <= now) this.counters.delete(key);
  }
}
