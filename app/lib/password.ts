import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';

// scrypt with the parameters kept in the stored string, so they can be raised later without
// breaking existing hashes: scrypt$N$r$p$<salt base64>$<hash base64>
const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 64;
const SALT_BYTES = 16;
const LEGACY_SHA256 = /^[0-9a-f]{64}$/i;
// A stored scrypt string we are willing to evaluate: small decimal parameters, non-empty base64 salt and key.
const SCRYPT_STORED = /^scrypt\$(\d{1,10})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;
const MIN_KEY_BYTES = 16;
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

/** Parameters node's scrypt accepts and that cannot exhaust memory (N a power of two ≥ 2). */
function saneParams(n: number, r: number, p: number): boolean {
  // eslint-disable-next-line no-bitwise
  return n >= 2 && Number.isSafeInteger(n) && (n & (n - 1)) === 0 && r >= 1 && p >= 1 && p <= 16 &&
    128 * n * r <= MAX_SCRYPT_MEMORY;
}

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
  const match = SCRYPT_STORED.exec(stored);
  const [ n, r, p ] = match ? [ Number(match[1]), Number(match[2]), Number(match[3]) ] : [ 0, 0, 0 ];
  const expected = match ? Buffer.from(match[5], 'base64') : Buffer.alloc(0);
  // Garbage never verifies: an empty (or tiny) key would otherwise match any password, and bad
  // parameters would make scrypt throw.
  if (!match || !saneParams(n, r, p) || expected.length < MIN_KEY_BYTES) {
    await burnPasswordWork(password);
    return { ok: false, needsRehash: false };
  }
  const key = await scrypt(password, Buffer.from(match[4], 'base64'), n, r, p, expected.length);
  const ok = key.length === expected.length && timingSafeEqual(key, expected);
  return { ok, needsRehash: ok && (n < N || r !== R || p !== P) };
}

const DUMMY_SALT = randomBytes(SALT_BYTES);

/** Does the work of one password check and throws it away: used for unknown accounts. */
export async function burnPasswordWork(password: string): Promise<void> {
  await scrypt(password, DUMMY_SALT, N, R, P, KEY_LENGTH);
}

/** A short fingerprint of the stored hash: a session dies when the hash changes (password reset). */
export function passwordFingerprint(stored: string): string {
  return createHash('sha256').update(stored).digest('base64url')
    .slice(0, 16);
}
