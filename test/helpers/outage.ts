import * as assert from 'node:assert';
import { AppServer, Reply } from './server';
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
  assert.deepStrictEqual(Object.keys(reply.body), [ 'msg', 'data' ], `${what}: the contract's failure body, nothing more`);
  assert.ok(reply.ms < boundMs, `${what}: answered after ${reply.ms} ms (bound ${boundMs} ms)`);
}

export function assertOkReply(reply: Reply, what: string) {
  assert.strictEqual(reply.status, 200, `${what}: expected 200, got ${reply.status || reply.error} ${JSON.stringify(reply.body)}`);
  assert.strictEqual(reply.body.msg, 'ok', what);
  return reply.body.data;
}

/** One request: method, path, JSON body. */
export type RouteCall = [string, string, Record<string, unknown>?];

/** Every /api/chat route (logout aside) with a valid body, aimed at `friend` and the application `applyId`. */
export function chatRoutes(friend: { id: number; username: string; uuid?: string }, applyId: number): RouteCall[] {
  const byUuid: RouteCall[] = friend.uuid ? [[ 'POST', `/api/chat/isApplyfriend/${friend.uuid}` ]] : [];
  return [
    ...byUuid,
    [ 'POST', `/api/chat/ismygoodfriend/${friend.id}` ],
    [ 'POST', `/api/chat/deletegoodfriend/${friend.id}` ],
    [ 'POST', '/api/chat/autoAddFriendAndAgree', { friend_id: friend.id }],
    [ 'POST', '/api/chat/userset', { userset: '{"chatset":{"visitor":0,"user":2}}' }],
    [ 'POST', '/api/chat/getUserSetInfo', { userid: friend.id }],
    [ 'POST', '/api/chat/updateUserinfo', { fieldname: 'nickname', fieldValue: '停机' }],
    [ 'POST', '/api/chat/socket/sendmessage', { sendto_id: friend.id, chatType: 'single', type: 'text', data: '停机' }],
    [ 'POST', '/api/chat/chatGetmessageOffLine' ],
    [ 'POST', '/api/chat/revokeMessage', { id: '00000000-0000-4000-8000-000000000000', chatType: 'single', to_id: friend.id }],
    [ 'POST', '/api/chat/searchUser', { keyword: friend.username }],
    [ 'POST', '/api/chat/applyfriend', { friend_id: friend.id }],
    [ 'GET', '/api/chat/listapplyfriend/1' ],
    [ 'POST', `/api/chat/handleapply/${applyId}`, { status: 'agree', nickname: '停机' }],
    [ 'GET', '/api/chat/goodfriendlist/1' ],
    [ 'GET', `/api/chat/getgoodfriendinfo/${friend.id}` ],
    [ 'POST', `/api/chat/setblackgoodfriend/${friend.id}` ],
    [ 'POST', `/api/chat/setstargoodfriend/${friend.id}` ],
    [ 'POST', `/api/chat/setmeOrfriendCanSee/${friend.id}`, { friendlookme: 0, melookfriend: 0 }],
  ];
}

/** Each route once, then a burst of 30 of them at once: every one a quick 503. */
export async function assertAllUnavailable(server: AppServer, token: string, routes: RouteCall[]) {
  for (const [ method, path, body ] of routes) {
    assertUnavailable(await server.call(method, path, { token, body }), `${method} ${path}`);
  }
  const burst = await Promise.all(Array.from({ length: 30 }, (_, i) => {
    const [ method, path, body ] = routes[i % routes.length];
    return server.call(method, path, { token, body });
  }));
  burst.forEach((reply, i) => assertUnavailable(reply, `burst #${i}`));
}
