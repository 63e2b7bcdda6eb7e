import * as assert from 'node:assert';
import { ContactsCache } from '../../../app/lib/contactsCache';

const body = (text: string) => Buffer.from(text);

describe('test/app/lib/contactsCache.test.ts', () => {
  it('answers a page only for the version it was stored under', () => {
    const cache = new ContactsCache(1024, 60_000);
    cache.set(1, 'v1', '1:2000', body('a'));
    assert.strictEqual(cache.get(1, 'v1', '1:2000')?.toString(), 'a');
    assert.strictEqual(cache.get(1, 'v1', '2:2000'), undefined, 'another page');
    assert.strictEqual(cache.get(2, 'v1', '1:2000'), undefined, 'another user');
    assert.strictEqual(cache.get(1, 'v2', '1:2000'), undefined, 'a newer version');
    // The mismatch dropped the stale entry: the old version is gone for good.
    assert.strictEqual(cache.get(1, 'v1', '1:2000'), undefined);
    assert.deepStrictEqual(cache.size, { users: 0, bytes: 0 });
  });

  it('storing a new version replaces every page of the old one', () => {
    const cache = new ContactsCache(1024, 60_000);
    cache.set(1, 'v1', 'p1', body('aa'));
    cache.set(1, 'v1', 'p2', body('bb'));
    cache.set(1, 'v2', 'p1', body('c'));
    assert.strictEqual(cache.get(1, 'v2', 'p2'), undefined);
    assert.deepStrictEqual(cache.size, { users: 1, bytes: 1 });
  });

  it('expires entries after the TTL', () => {
    let now = 1_000;
    const cache = new ContactsCache(1024, 500, () => now);
    cache.set(1, 'v', 'p', body('a'));
    now += 499;
    assert.ok(cache.get(1, 'v', 'p'));
    now += 1;
    assert.strictEqual(cache.get(1, 'v', 'p'), undefined);
  });

  it('keeps within its byte budget, evicting the least recently used user first', () => {
    const cache = new ContactsCache(10, 60_000);
    cache.set(1, 'v', 'p', body('1234'));
    cache.set(2, 'v', 'p', body('1234'));
    assert.ok(cache.get(1, 'v', 'p'), 'user 1 used again: user 2 is now the oldest');
    cache.set(3, 'v', 'p', body('1234'));
    assert.strictEqual(cache.get(2, 'v', 'p'), undefined);
    assert.ok(cache.get(1, 'v', 'p'));
    assert.ok(cache.get(3, 'v', 'p'));
    assert.deepStrictEqual(cache.size, { users: 2, bytes: 8 });
    // A body larger than the whole budget is not kept, and evicts nothing.
    cache.set(4, 'v', 'p', body('12345678901'));
    assert.deepStrictEqual(cache.size, { users: 2, bytes: 8 });
  });

  it('a budget of 0 turns the cache off', () => {
    const cache = new ContactsCache(0, 60_000);
    cache.set(1, 'v', 'p', body('a'));
    assert.strictEqual(cache.get(1, 'v', 'p'), undefined);
  });
});
