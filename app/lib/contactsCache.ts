/**
 * Serialized contact-list pages, per worker, least recently used first out.
 *
 * An entry is valid only for the `version` it was built for: the caller reads a cheap fingerprint of the
 * user's friendship rows from the database on every request (so every worker sees a new friend at once,
 * and nothing can be left stale by a write that failed half-way), and rebuilds on a mismatch. `ttlMs`
 * bounds what the fingerprint cannot see: a friend's nickname or avatar edited in the database by hand.
 * Bodies are kept as Buffers (outside the V8 heap, sent as they are) under a byte budget.
 */
export class ContactsCache {
  private readonly entries = new Map<number, { version: string; expiresAt: number; pages: Map<string, Buffer> }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number, private readonly ttlMs: number, private readonly now = () => Date.now()) {}

  get(userId: number, version: string, page: string): Buffer | undefined {
    const entry = this.entries.get(userId);
    if (!entry) return undefined;
    if (entry.version !== version || entry.expiresAt <= this.now()) {
      this.drop(userId);
      return undefined;
    }
    const body = entry.pages.get(page);
    if (body) {
      // Most recently used goes last: eviction takes from the front.
      this.entries.delete(userId);
      this.entries.set(userId, entry);
    }
    return body;
  }

  set(userId: number, version: string, page: string, body: Buffer): void {
    if (this.maxBytes <= 0 || body.length > this.maxBytes) return;
    let entry = this.entries.get(userId);
    if (entry && entry.version !== version) {
      this.drop(userId);
      entry = undefined;
    }
    if (!entry) {
      entry = { version, expiresAt: this.now() + this.ttlMs, pages: new Map() };
    } else {
      this.entries.delete(userId);
    }
    this.entries.set(userId, entry);
    const previous = entry.pages.get(page);
    if (previous) this.bytes -= previous.length;
    entry.pages.set(page, body);
    this.bytes += body.length;
    while (this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value as number;
      this.drop(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  get size(): { users: number; bytes: number } {
    return { users: this.entries.size, bytes: this.bytes };
  }

  private drop(userId: number): void {
    const entry = this.entries.get(userId);
    if (!entry) return;
    for (const body of entry.pages.values()) this.bytes -= body.length;
    this.entries.delete(userId);
  }
}
