import * as assert from 'node:assert';
import { Reply } from './server';
import { MSG } from '../../app/lib/messages';

/** A dependency outage must be answered within this bound (measured per request). */
export const FAST_MS = 3000;

/** The request got a real, quick 503 in the contract's shape (never a hang, never a pass). */
export function assertUnavailable(reply: Reply, what: string, boundMs = FAST_MS) {
  assert.ok(!reply.error, `${what}: no HTTP answer (${reply.error}) after ${reply.ms} ms`);
  assert.strictEqual(reply.status, 503, `${what}: expected 503, got ${reply.status} ${JSON.stringify(reply.body)}`);
  assert.match(String(reply.headers['content-type']), /application\/json/, what);
  assert.strictEqual(reply.body.msg, 'fail', what);
  assert.strictEqual(reply.body.data, MSG.unavailable, what);
  assert.ok(reply.ms < boundMs, `${what}: answered after ${reply.ms} ms (bound ${boundMs} ms)`);
}

export function assertOkReply(reply: Reply, what: string) {
  assert.strictEqual(reply.status, 200, `${what}: expected 200, got ${reply.status || reply.error} ${JSON.stringify(reply.body)}`);
  assert.strictEqual(reply.body.msg, 'ok', what);
  return reply.body.data;
}
