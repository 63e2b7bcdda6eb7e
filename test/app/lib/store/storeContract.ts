import * as assert from 'node:assert';
import { randomUUID } from 'node:crypto';
import { Transaction } from 'sequelize';
import { KeyValueStore } from '../../../../app/lib/store/KeyValueStore';

/**
 * What the session code relies on, checked against each KeyValueStore implementation (the *.test.ts
 * files beside this one). `store` is called once the implementation's `before` hook has run. Keys are
 * unique per call, so a shared database or Redis is fine.
 */
export function behavesAsKeyValueStore(store: () => KeyValueStore, inTransaction: <T>(work: (t: Transaction) => Promise<T>) => Promise<T>) {
  const key = () => `test:store:${randomUUID()}`;

  it('a set inside a transaction that does not commit leaves the previous value (or none) with its lifetime', async () => {
    const [ k, fresh ] = [ key(), key() ];
    await store().set(k, '5', 60);
    await assert.rejects(inTransaction(async transaction => {
      await store().set(k, '6', 600, transaction);
      await store().set(fresh, '6', 600, transaction);
      throw new Error('no commit');
    }), /no commit/);
    const counter = await store().peek(k);
    assert.ok(counter && counter.count === 5 && counter.ttlMs > 50_000 && counter.ttlMs <= 60_000, JSON.stringify(counter));
    assert.strictEqual(await store().get(fresh), null);
    // A committed one stays.
    await inTransaction(transaction => store().set(k, '7', 60, transaction));
    assert.strictEqual(await store().get(k), '7');
  });

  it('set stores the value with its lifetime and replaces the previous one', async () => {
    const k = key();
    await store().set(k, 'first', 60);
    await store().set(k, '7', 120);
    assert.strictEqual(await store().get(k), '7');
    const counter = await store().peek(k);
    assert.ok(counter && counter.count === 7, JSON.stringify(counter));
    assert.ok(counter.ttlMs > 115_000 && counter.ttlMs <= 120_000, `ttlMs ${counter.ttlMs}`);
    await store().del(k);
    assert.strictEqual(await store().get(k), null);
  });

  it('delIfStartsWith deletes only while the value starts with the prefix: a newer session stays', async () => {
    const k = key();
    const [ oldSid, newSid ] = [ randomUUID(), randomUUID() ];
    await store().set(k, `${oldSid}.fingerprint`, 60);
    await store().set(k, `${newSid}.fingerprint`, 60);
    // The logout of the replaced session, however late it runs.
    await store().delIfStartsWith(k, `${oldSid}.`);
    assert.strictEqual(await store().get(k), `${newSid}.fingerprint`);
    await store().delIfStartsWith(k, `${newSid}.`);
    assert.strictEqual(await store().get(k), null);
    // Nothing to delete is not an error.
    await store().delIfStartsWith(k, `${newSid}.`);
  });

  it('delIfStartsWith compares the prefix literally: no wildcards, case and length count', async () => {
    const k = key();
    await store().set(k, 'ab.c', 60);
    for (const prefix of [ '%', '_b', 'a_', 'A', 'ab.c.', 'b' ]) {
      await store().delIfStartsWith(k, prefix);
      assert.strictEqual(await store().get(k), 'ab.c', `prefix ${prefix} deleted it`);
    }
    await store().delIfStartsWith(k, 'ab.c');
    assert.strictEqual(await store().get(k), null);
    // The prefix is measured in characters, not UTF-16 units or bytes.
    await store().set(k, '会话😀.x', 60);
    await store().delIfStartsWith(k, '会话😀.');
    assert.strictEqual(await store().get(k), null);
  });
}
