import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The course client's `X-Security-Sign`: SHA-256 (hex) of its parameters sorted by name as
 * `deviceId=…&salt=…&timestamp=…`, followed by the literal `APP_SECRET` (pages/loginCenter/visitor.js and
 * reglogin.js). The salt ships inside the client, so anyone can compute it: this slows scripted abuse
 * down, it authenticates nobody (SECURITY.md).
 */
export function visitorSign(deviceId: string, timestamp: number | string, salt: string): string {
  const params: Record<string, string> = { deviceId, salt, timestamp: String(timestamp) };
  const sorted = Object.keys(params).sort().map(key => `${key}=${params[key]}`)
    .join('&');
  return createHash('sha256').update(sorted + 'APP_SECRET').digest('hex');
}

/** Constant-time comparison of a received signature with the expected one. */
export function signMatches(received: string, expected: string): boolean {
  const a = Buffer.from(received.toLowerCase());
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The client's device ids are UUIDs (v5 of its fingerprint): the original accepts exactly 36 of [A-Za-z0-9_-]. */
export const DEVICE_ID_PATTERN = /^[\w-]{36}$/;
