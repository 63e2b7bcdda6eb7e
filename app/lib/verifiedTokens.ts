/**
 * Tokens this worker has already verified, with their payloads. The signature of a given string under a
 * given key never changes, so a token seen again skips the HMAC, the base64 and the JSON parsing — about
 * 5 % of an authenticated read's CPU in the workers (docs/BENCHMARKS.md, issue 16). What can change is
 * checked on every request as before: the expiry here, the stored session and the user row by the caller
 * (service/token.ts). Only a token that passed verification is ever stored; the exact string is the
 * key, so a token that differs by one character is verified afresh. Bounded: the oldest entry goes first.
 */
export interface VerifiedPayload { exp?: number }

export class VerifiedTokens<P extends VerifiedPayload> {
  private readonly entries = new Map<string, P>();
  private key: unknown;

  constructor(private readonly maxEntries: number) {}

  /**
   * The payload of a token verified under `key`, 'expired' once its `exp` has passed (as jsonwebtoken
   * decides it: expired when now ≥ exp, in whole seconds), undefined when not known. A new key forgets all.
   */
  get(token: string, key: unknown, nowSeconds: number): P | 'expired' | undefined {
    this.useKey(key);
    const payload = this.entries.get(token);
    if (!payload) return undefined;
    if (typeof payload.exp === 'number' && nowSeconds >= payload.exp) {
      this.entries.delete(token);
      return 'expired';
    }
    return payload;
  }

  set(token: string, key: unknown, payload: P): void {
    if (this.maxEntries <= 0) return;
    this.useKey(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(token, payload);
  }

  get size(): number {
    return this.entries.size;
  }

  /** What was verified under another key says nothing under this one. */
  private useKey(key: unknown): void {
    if (key === this.key) return;
    this.entries.clear();
    this.key = key;
  }
}
