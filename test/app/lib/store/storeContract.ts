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

  it('families: setInFamily writes family + member, listFamily lists only that family (no wildcard, no longer prefix), deleteFamily ends them all', async () => {
    const base = `test:fam_${randomUUID().slice(0, 8)}`;
    const family = `${base}_5:`;
    const longer = `${base}_50:`;
    const wild = `${base}_%:`;
    await store().setInFamily(family, 'a', 'one', 60);
    await store().setInFamily(family, 'b', 'two', 120);
    await store().setInFamily(longer, 'a', 'other', 60);
    await store().setInFamily(wild, 'a', 'wild', 60);
    assert.strictEqual(await store().get(`${family}a`), 'one', 'an ordinary key as well');
    const listed = (await store().listFamily(family)).sort((x, y) => x.member.localeCompare(y.member));
    assert.deepStrictEqual(listed.map(entry => [ entry.member, entry.value ]), [[ 'a', 'one' ], [ 'b', 'two' ]]);
    assert.ok(listed[1].ttlMs > 115_000 && listed[1].ttlMs <= 120_000, String(listed[1].ttlMs));
    assert.deepStrictEqual((await store().listFamily(wild)).map(entry => entry.value), [ 'wild' ]);
    // A member written again replaces its value; a deleted key drops out of the list.
    await store().setInFamily(family, 'a', 'uno', 60);
    await store().del(`${family}b`);
    assert.deepStrictEqual((await store().listFamily(family)).map(entry => [ entry.member, entry.value ]), [[ 'a', 'uno' ]]);
    await store().setInFamily(family, 'c', 'three', 60);
    await store().deleteFamily(family);
    assert.deepStrictEqual(await store().listFamily(family), []);
    assert.strictEqual(await store().get(`${family}c`), null);
    assert.deepStrictEqual((await store().listFamily(longer)).map(entry => entry.value), [ 'other' ], 'another family is left alone');
    await store().deleteFamily(family);
    await Promise.all([ store().deleteFamily(longer), store().deleteFamily(wild) ]);
  });

  it('families: an expired member is not listed (two writers, one stops refreshing)', async () => {
    const family = `test:fam_${randomUUID().slice(0, 8)}:`;
    await store().setInFamily(family, 'worker-1', '3', 1);
    await store().setInFamily(family, 'worker-2', '4', 60);
    const sum = async () => (await store().listFamily(family)).reduce((total, entry) => total + Number(entry.value), 0);
    assert.strictEqual(await sum(), 7);
    await new Promise(resolve => setTimeout(resolve, 1200));
    assert.strictEqual(await sum(), 4);
    await store().deleteFamily(family);
  });

  it('families: a setInFamily inside a transaction that does not commit leaves no member', async () => {
    const family = `test:fam_${randomUUID().slice(0, 8)}:`;
    await assert.rejects(inTransaction(async transaction => {
      await store().setInFamily(family, 'gone', 'x', 60, transaction);
      throw new Error('no commit');
    }), /no commit/);
    assert.deepStrictEqual(await store().listFamily(family), []);
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
