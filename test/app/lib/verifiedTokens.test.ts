import * as assert from 'node:assert';
import { VerifiedTokens } from '../../../app/lib/verifiedTokens';

describe('test/app/lib/verifiedTokens.test.ts', () => {
  const key = {};

  it('gives back the payload of a token verified under the same key, until its expiry', () => {
    const tokens = new VerifiedTokens<{ id: number; exp?: number }>(10);
    tokens.set('a.b.c', key, { id: 1, exp: 1000 });
    assert.deepStrictEqual(tokens.get('a.b.c', key, 999), { id: 1, exp: 1000 });
    // Expired as jsonwebtoken decides it (now ≥ exp), and forgotten.
    assert.strictEqual(tokens.get('a.b.c', key, 1000), 'expired');
    assert.strictEqual(tokens.get('a.b.c', key, 999), undefined);
    // Another string is another token, whatever it shares with a known one.
    tokens.set('a.b.c', key, { id: 1, exp: 2000 });
    assert.strictEqual(tokens.get('a.b.c ', key, 999), undefined);
    assert.strictEqual(tokens.get('a.b.C', key, 999), undefined);
  });

  it('forgets everything when the key changes (a new JWT secret)', () => {
    const tokens = new VerifiedTokens<{ id: number; exp?: number }>(10);
    tokens.set('t', key, { id: 1, exp: 2000 });
    assert.strictEqual(tokens.get('t', {}, 1), undefined);
    assert.strictEqual(tokens.size, 0);
    assert.strictEqual(tokens.get('t', key, 1), undefined);
  });

  it('keeps at most its bound, the oldest going first', () => {
    const tokens = new VerifiedTokens<{ id: number; exp?: number }>(3);
    for (let i = 1; i <= 5; i++) tokens.set(`t${i}`, key, { id: i });
    assert.strictEqual(tokens.size, 3);
    assert.strictEqual(tokens.get('t1', key, 0), undefined);
    assert.strictEqual(tokens.get('t2', key, 0), undefined);
    assert.deepStrictEqual(tokens.get('t5', key, 0), { id: 5 });
  });
});
