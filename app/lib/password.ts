import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'crypto';

// scrypt with the parameters kept in the stored string, so they can be raised later without
// breaking existing hashes: scrypt$N$r$p$<salt base64>$<hash base64>
const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 64;
const SALT_BYTES = 16;
const LEGACY_SHA256 = /^[0-9a-f]{64}$/i;

function scrypt(password: string, salt: Buffer, n: number, r: number, p: number, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, keyLength, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 }, (err, key) => {
      if (err) reject(err); else resolve(key);
    });
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, N, R, P, KEY_LENGTH);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export interface PasswordCheck {
  ok: boolean;
  /** The stored hash is from the original system (unsalted SHA-256) or uses weaker parameters. */
  needsRehash: boolean;
}

export async function verifyPassword(password: string, stored: string): Promise<PasswordCheck> {
  if (LEGACY_SHA256.test(stored)) {
    const candidate = createHash('sha256').update(password).digest();
    // Spend the same work as a modern check so the two kinds of rows cannot be told apart by timing.
    await burnPasswordWork(password);
    return { ok: timingSafeEqual(candidate, Buffer.from(stored, 'hex')), needsRehash: true };
  }
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') {
    await burnPasswordWork(password);
    return { ok: false, needsRehash: false };
  }
  const [ , n, r, p, saltB64, keyB64 ] = parts;
  const expected = Buffer.from(keyB64, 'base64');
  const key = await scrypt(password, Buffer.from(saltB64, 'base64'), Number(n), Number(r), Number(p), expected.length);
  const ok = key.length === expected.length && timingSafeEqual(key, expected);
  return { ok, needsRehash: ok && (Number(n) < N || Number(r) !== R || Number(p) !== P) };
}

const DUMMY_SALT = randomBytes(SALT_BYTES);

/** Does the work of one password check and throws it away: used for unknown accounts. */
export async function burnPasswordWork(password: string): Promise<void> {
  await scrypt(password, DUMMY_SALT, N, R, P, KEY_LENGTH);
}

/** A short fingerprint of the stored hash: a session dies when the hash changes (password reset). */
export function passwordFingerprint(stored: string): string {
  return createHash('sha256').update(stored).digest('base64url').slice(0, 16);
}
