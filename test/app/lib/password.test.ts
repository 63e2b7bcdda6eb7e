import * as assert from 'node:assert';
import { createHash, randomBytes, scryptSync } from 'node:crypto';
import { burnPasswordWork, hashPassword, passwordFingerprint, verifyPassword } from '../../../app/lib/password';

const FORMAT = /^scrypt\$16384\$8\$1\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('test/app/lib/password.test.ts', () => {
  describe('hashPassword', () => {
    it('writes scrypt$16384$8$1$<salt>$<hash> with a 16-byte salt and a 64-byte key', async () => {
      const stored = await hashPassword('secret123');
      const match = FORMAT.exec(stored);
      assert.ok(match, stored);
      assert.strictEqual(Buffer.from(match![1], 'base64').length, 16);
      assert.strictEqual(Buffer.from(match![2], 'base64').length, 64);
      assert.ok(!stored.includes('secret123'));
      assert.ok(stored.length <= 255, 'fits user.password VARCHAR(255)');
    });

    it('salts: the same password hashes differently each time', async () => {
      const [ a, b ] = await Promise.all([ hashPassword('secret123'), hashPassword('secret123') ]);
      assert.notStrictEqual(a, b);
      assert.notStrictEqual(FORMAT.exec(a)![1], FORMAT.exec(b)![1]);
    });

    it('handles non-ASCII passwords', async () => {
      const stored = await hashPassword('密码密码123');
      assert.deepStrictEqual(await verifyPassword('密码密码123', stored), { ok: true, needsRehash: false });
      assert.deepStrictEqual(await verifyPassword('密码密码124', stored), { ok: false, needsRehash: false });
    });
  });

  describe('verifyPassword', () => {
    let stored: string;
    before(async () => {
      stored = await hashPassword('secret123');
    });

    it('accepts the right password, no rehash needed', async () => {
      assert.deepStrictEqual(await verifyPassword('secret123', stored), { ok: true, needsRehash: false });
    });

    it('refuses a wrong password, a prefix, a longer one and a case change', async () => {
      for (const wrong of [ 'secret124', 'secret12', 'secret1234', 'SECRET123', '', ' secret123' ]) {
        assert.deepStrictEqual(await verifyPassword(wrong, stored), { ok: false, needsRehash: false }, wrong);
      }
    });

    it('refuses when the stored salt or key was altered', async () => {
      const parts = stored.split('$');
      const otherSalt = [ ...parts.slice(0, 4), Buffer.alloc(16, 7).toString('base64'), parts[5] ].join('$');
      const key = Buffer.from(parts[5], 'base64');
      // eslint-disable-next-line no-bitwise
      key[0] ^= 1;
      const otherKey = [ ...parts.slice(0, 5), key.toString('base64') ].join('$');
      assert.strictEqual((await verifyPassword('secret123', otherSalt)).ok, false);
      assert.strictEqual((await verifyPassword('secret123', otherKey)).ok, false);
    });

    it('accepts a hash made with weaker scrypt parameters and asks for a rehash', async () => {
      const salt = randomBytes(16);
      const key = scryptSync('secret123', salt, 64, { N: 1024, r: 8, p: 1 });
      const weak = `scrypt$1024$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
      assert.deepStrictEqual(await verifyPassword('secret123', weak), { ok: true, needsRehash: true });
      assert.strictEqual((await verifyPassword('secret124', weak)).ok, false);
    });
  });

  describe('legacy unsalted SHA-256 rows (the original database)', () => {
    it('accepts the right password and asks for a rehash', async () => {
      assert.deepStrictEqual(await verifyPassword('123456', sha256('123456')), { ok: true, needsRehash: true });
    });

    it('accepts upper-case hex too', async () => {
      assert.deepStrictEqual(await verifyPassword('123456', sha256('123456').toUpperCase()), { ok: true, needsRehash: true });
    });

    it('refuses a wrong password', async () => {
      assert.strictEqual((await verifyPassword('1234567', sha256('123456'))).ok, false);
      assert.strictEqual((await verifyPassword('', sha256('123456'))).ok, false);
    });

    it('does not take 64 hex chars as the password itself (no pass-the-hash)', async () => {
      const hash = sha256('123456');
      assert.strictEqual((await verifyPassword(hash, hash)).ok, false);
    });
  });

  describe('garbage stored strings never verify', () => {
    const garbage: Array<[string, string]> = [
      [ 'empty', '' ],
      [ 'plain text', 'secret123' ],
      [ 'the password as is', 'abc' ],
      [ '63 hex chars', sha256('x').slice(1) ],
      [ '64 non-hex chars', 'z'.repeat(64) ],
      [ 'another scheme', `bcrypt$16384$8$1$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(64).toString('base64')}` ],
      [ 'too few parts', 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==' ],
      [ 'too many parts', 'scrypt$16384$8$1$a$b$c' ],
      [ 'empty salt and key', 'scrypt$16384$8$1$$' ],
      [ 'empty key', `scrypt$16384$8$1$${Buffer.alloc(16, 1).toString('base64')}$` ],
      [ 'key that is not base64', `scrypt$16384$8$1$${Buffer.alloc(16, 1).toString('base64')}$!!!!` ],
      [ 'a 1-byte key', `scrypt$16384$8$1$${Buffer.alloc(16, 1).toString('base64')}$AA==` ],
      [ 'non-numeric N', `scrypt$abc$8$1$${Buffer.alloc(16, 1).toString('base64')}$${Buffer.alloc(64).toString('base64')}` ],
      [ 'N not a power of two', `scrypt$3$8$1$${Buffer.alloc(16, 1).toString('base64')}$${Buffer.alloc(64).toString('base64')}` ],
      [ 'N = 0', `scrypt$0$8$1$${Buffer.alloc(16, 1).toString('base64')}$${Buffer.alloc(64).toString('base64')}` ],
      [ 'r = 0', `scrypt$16384$0$1$${Buffer.alloc(16, 1).toString('base64')}$${Buffer.alloc(64).toString('base64')}` ],
      [ 'absurd N', `scrypt$1073741824$8$1$${Buffer.alloc(16, 1).toString('base64')}$${Buffer.alloc(64).toString('base64')}` ],
    ];
    for (const [ name, stored ] of garbage) {
      it(`${name} → ok false`, async () => {
        for (const password of [ 'secret123', '', 'anything-at-all' ]) {
          const check = await verifyPassword(password, stored);
          assert.strictEqual(check.ok, false, `${JSON.stringify(stored)} accepted ${JSON.stringify(password)}`);
        }
      });
    }
  });

  describe('helpers', () => {
    it('burnPasswordWork resolves', async () => {
      assert.strictEqual(await burnPasswordWork('secret123'), undefined);
    });

    it('passwordFingerprint is short, stable, and changes with the hash', async () => {
      const a = await hashPassword('secret123');
      const b = await hashPassword('secret123');
      assert.strictEqual(passwordFingerprint(a), passwordFingerprint(a));
      assert.notStrictEqual(passwordFingerprint(a), passwordFingerprint(b));
      assert.match(passwordFingerprint(a), /^[A-Za-z0-9_-]{16}$/);
      assert.ok(!a.includes(passwordFingerprint(a)));
    });
  });
});
