#!/usr/bin/env node
'use strict';
// npm run test:socket — the WebSocket end to end against a RUNNING server (newman cannot open sockets):
//   BASE_URL=http://127.0.0.1:7001 npm run test:socket        (npm run test:postman runs it after newman)
// Registers two users A and B, makes them friends through the API (A applies, B agrees) and checks on B's
// socket (GET /ws?token=, frames as docs/asyncapi.yaml describes them):
//   the welcome frame; the friend-application and "friends now" notices; a message from A arrives equal to
//   sendmessage's answer; a retry with the same client_msg_id answers the same message and pushes nothing
//   new; the recall notice arrives equal to revokeMessage's answer; {type:'ping'} → pong; a message sent
//   while B is offline arrives when B connects again; groups: A creates a group with B (group/create with the
//   id of A's contact-list row for B), both get the creation notice, A's group message reaches B equal to its
//   answer, its recall reaches both (the sender too), a removed B gets the removal notice and nothing after it;
//   a new login of B closes the old socket with force_logout + 4002 (SINGLE_SESSION=1, the default); logout
//   closes with 4001.
// Prints "ok - …" per check; exits 1 at the first failure. Each run registers two users from this IP
// (REGISTER_LIMIT_IP, 20 per hour by default). SOCKET_CHECK_TIMEOUT_MS (default 10000) bounds every wait.
const { isDeepStrictEqual } = require('node:util');
const WebSocket = require('ws');

const BASE = (process.env.BASE_URL || 'http://127.0.0.1:7001').replace(/\/+$/, '');
const TIMEOUT = Number(process.env.SOCKET_CHECK_TIMEOUT_MS) || 10000;
const PASSWORD = 'socket_check1';
const sockets = [];

class CheckError extends Error {}

function pass(what) {
  console.log(`  ok - ${what}`);
}

function expect(condition, what, detail) {
  if (!condition) throw new CheckError(detail === undefined ? what : `${what}: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`);
}

/** A POST (form body) or GET to the API; answers { status, body }. */
async function call(path, { token, form, method = 'POST' } = {}) {
  const headers = {};
  if (token) headers.token = token;
  let body;
  if (form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  let res;
  try {
    res = await fetch(BASE + path, { method, headers, body, signal: AbortSignal.timeout(TIMEOUT) });
  } catch (err) {
    throw new CheckError(`${method} ${path}: ${err.cause?.message || err.message} (is a server running at ${BASE}? set BASE_URL)`);
  }
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}

/** The `data` of a 200 `{msg:'ok'}` answer. */
async function ok(path, options) {
  const res = await call(path, options);
  expect(res.status === 200 && res.body && res.body.msg === 'ok', `${options?.method || 'POST'} ${path}`, `HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** A socket that keeps every frame it receives (JSON-parsed) and its close code. */
function openSocket(token, name) {
  const url = new URL('/ws', BASE);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('token', token);
  const ws = new WebSocket(url);
  const socket = { name, ws, frames: [], closeCode: undefined, waiters: new Set() };
  sockets.push(socket);
  const wake = () => socket.waiters.forEach(fn => fn());
  ws.on('message', data => {
    const text = data.toString();
    try {
      socket.frames.push(JSON.parse(text));
    } catch {
      socket.frames.push({ raw: text });
    }
    wake();
  });
  ws.on('close', code => {
    socket.closeCode = code;
    wake();
  });
  ws.on('error', err => {
    socket.error = err;
    wake();
  });
  ws.on('unexpected-response', (_req, res) => {
    socket.error = new Error(`upgrade refused: HTTP ${res.statusCode}`);
    wake();
  });
  return socket;
}

/** Resolves with what `probe` returns once it is truthy; fails after the timeout. */
function waitFor(socket, what, probe) {
  return new Promise((resolve, reject) => {
    let timer;
    let check;
    const finish = (error, value) => {
      clearTimeout(timer);
      socket.waiters.delete(check);
      if (error) reject(new CheckError(`${socket.name}: ${error} ${what}; frames: ${JSON.stringify(socket.frames).slice(0, 1500)}`));
      else resolve(value);
    };
    check = () => {
      const found = probe(socket);
      if (found) return finish(undefined, found);
      if (socket.closeCode !== undefined || socket.ws.readyState === WebSocket.CLOSED) {
        // Closed (or refused) without what we wait for: no point waiting longer.
        const why = [ socket.closeCode !== undefined && `close code ${socket.closeCode}`, socket.error && socket.error.message ].filter(Boolean).join(', ');
        finish(`socket closed (${why}) while waiting for`);
      }
    };
    timer = setTimeout(() => finish(`timed out after ${TIMEOUT} ms (close code ${socket.closeCode}) waiting for`), TIMEOUT);
    socket.waiters.add(check);
    check();
  });
}

const chats = socket => socket.frames.filter(frame => frame.type === 'singleChat').map(frame => frame.data);
const chatWhere = predicate => socket => chats(socket).find(predicate);

function welcomed(socket) {
  return waitFor(socket, 'the welcome frame', s => s.frames.find(f => f.type === 'system' && f.data === '欢迎您访问我们的系统！'));
}

async function register(prefix, suffix) {
  const username = `${prefix}_${suffix}`;
  const user = await ok('/api/regChat', { form: { username, password: PASSWORD } });
  return { id: user.id, username, token: user.token };
}

async function main() {
  console.log(`== socket check against ${BASE}`);
  const health = await call('/api/health', { method: 'GET' });
  expect(health.status === 200, 'GET /api/health', `HTTP ${health.status} ${JSON.stringify(health.body)}`);

  const suffix = (Date.now().toString(36) + Math.random().toString(36).slice(2, 6)).slice(-11);
  const a = await register('ska', suffix);
  const b = await register('skb', suffix);
  pass(`registered A (${a.id}) and B (${b.id})`);

  let sb = openSocket(b.token, 'B');
  await welcomed(sb);
  pass('B\'s socket opened: welcome frame {type:"system"}');

  await ok('/api/chat/applyfriend', { token: a.token, form: { friend_id: b.id, nickname: '我是A' } });
  const apply = await waitFor(sb, 'the friend-application notice', chatWhere(d => d.from_id === `redirect-applyFriend-${a.id}`));
  expect(apply.to_id === b.id && apply.data && /申请添加您为好友/.test(apply.data.data), 'friend-application notice', apply);
  pass('applyfriend → B got the friend-application notice');

  const list = await ok('/api/chat/listapplyfriend/1', { token: b.token, method: 'GET' });
  const application = list.alldata.find(row => row.user_id === a.id && row.status === 'pending');
  expect(application, 'A\'s application in B\'s list', list);
  await ok(`/api/chat/handleapply/${application.id}`, { token: b.token, form: { status: 'agree', nickname: '阿A' } });
  const friends = await waitFor(sb, '"friends now" notice', chatWhere(d => d.type === 'systemNotice' && d.from_id === a.id && !d.actionType));
  expect(friends.data && friends.data.data === '我们已经是好友了，可以开始聊天了', '"friends now" notice', friends);
  pass('handleapply agree → B got "我们已经是好友了"');

  const clientMsgId = `socket-check-${suffix}`;
  const content = JSON.stringify({ data: '你好，阿祖', dataType: false, otherData: null });
  const message = { sendto_id: b.id, chatType: 'single', type: 'text', data: content, options: encodeURIComponent(JSON.stringify({ from: 'socket-check' })), client_msg_id: clientMsgId };
  const answer = await ok('/api/chat/socket/sendmessage', { token: a.token, form: message });
  const received = await waitFor(sb, 'the message', chatWhere(d => d.id === answer.id && !d.actionType));
  // The same message; only the names differ: each side sees the other under its own remark (B calls A 阿A).
  expect(isDeepStrictEqual({ ...received, from_name: answer.from_name }, answer), 'the pushed message equals sendmessage\'s answer', { received, answer });
  expect(isDeepStrictEqual(answer.options, { from: 'socket-check' }), 'options as sent', answer.options);
  pass('sendmessage → B\'s frame {type:"singleChat", data} equals the HTTP answer (names in each side\'s view)');

  const retried = await ok('/api/chat/socket/sendmessage', { token: a.token, form: message });
  expect(isDeepStrictEqual(retried, answer), 'a retry with the same client_msg_id answers the first message', { retried, answer });
  pass('a retry with the same client_msg_id answers the first message');

  const notice = await ok('/api/chat/revokeMessage', { token: a.token, form: { id: answer.id, chatType: 'single', to_id: b.id, to_name: answer.to_name, to_avatar: answer.to_avatar, create_time: answer.create_time } });
  expect(notice.id === answer.id && notice.type === 'systemNotice' && notice.actionType === 'revoke', 'the revoke notice', notice);
  const revoked = await waitFor(sb, 'the revoke notice', chatWhere(d => d.id === answer.id && d.actionType === 'revoke'));
  expect(isDeepStrictEqual(revoked, notice), 'the pushed revoke notice equals revokeMessage\'s answer', { revoked, notice });
  // Pushes are in order: a second copy from the retry would have come before the notice.
  const copies = chats(sb).filter(d => d.id === answer.id && !d.actionType).length;
  expect(copies === 1, 'the retry pushed nothing', `${copies} copies of the message`);
  pass('revokeMessage → B got the revoke notice, equal to the HTTP answer; the retry pushed nothing');

  sb.ws.send(JSON.stringify({ type: 'ping' }));
  await waitFor(sb, 'a pong', s => s.frames.find(f => f.type === 'pong' && typeof f.timestamp === 'number'));
  pass('{type:"ping"} → {type:"pong"}');

  sb.ws.close();
  await waitFor(sb, 'the close', s => s.closeCode !== undefined);
  const offline = await ok('/api/chat/socket/sendmessage', { token: a.token, form: { sendto_id: b.id, chatType: 'single', type: 'text', data: '你不在的时候发的' } });
  sb = openSocket(b.token, 'B (again)');
  await welcomed(sb);
  const late = await waitFor(sb, 'the message sent while offline', chatWhere(d => d.id === offline.id));
  expect(isDeepStrictEqual({ ...late, from_name: offline.from_name }, offline), 'the offline message equals its answer', { late, offline });
  expect(await ok('/api/chat/chatGetmessageOffLine', { token: b.token }) === 'ok', 'chatGetmessageOffLine answers "ok"');
  pass('a message sent while B was offline arrived when B\'s socket opened again');

  // Groups: A makes a group with B (the id of A's contact-list row for B, as the client sends it).
  const sa = openSocket(a.token, 'A');
  await welcomed(sa);
  const contacts = await ok('/api/chat/goodfriendlist/1', { token: a.token, method: 'GET' });
  const rowB = contacts.rows.newList.flatMap(group => group.list).find(friend => friend.friend_id === b.id);
  expect(rowB, 'B in A\'s contact list', contacts);
  expect(await ok('/api/chat/group/create', { token: a.token, form: { userIds: rowB.id } }) === 'ok', 'group/create answers "ok"');
  const isCreated = d => d.chatType === 'group' && d.type === 'systemNotice' && /创建了一个群，大家可以开始聊天了$/.test(d.data && d.data.data);
  const created = await waitFor(sb, 'the group creation notice', chatWhere(isCreated));
  const groupId = created.to_id;
  expect(created.from_id === a.id && created.group && created.group.id === groupId && created.group.user_id === a.id, 'the creation notice: from A, with the group', created);
  expect(!('group_users' in created.group), 'the pushed group carries no member list', created.group);
  await waitFor(sa, 'the group creation notice (the creator gets it too)', chatWhere(d => isCreated(d) && d.to_id === groupId));
  pass('group/create → both members, the creator too, got the creation notice {chatType:"group", type:"systemNotice"}');

  const groupMessage = { sendto_id: groupId, chatType: 'group', type: 'text', data: JSON.stringify({ data: '大家好', dataType: false, otherData: null }), client_msg_id: `socket-check-group-${suffix}` };
  const groupAnswer = await ok('/api/chat/socket/sendmessage', { token: a.token, form: groupMessage });
  expect(groupAnswer.chatType === 'group' && groupAnswer.to_id === groupId && groupAnswer.group && groupAnswer.group.id === groupId, 'the group message object', groupAnswer);
  const groupReceived = await waitFor(sb, 'the group message', chatWhere(d => d.id === groupAnswer.id && !d.actionType));
  expect(isDeepStrictEqual(groupReceived, groupAnswer), 'the pushed group message equals sendmessage\'s answer', { groupReceived, groupAnswer });
  pass('sendmessage (chatType group) → B\'s frame equals the HTTP answer');

  const groupNotice = await ok('/api/chat/revokeMessage', { token: a.token, form: { id: groupAnswer.id, chatType: 'group', to_id: groupId } });
  expect(groupNotice.id === groupAnswer.id && groupNotice.actionType === 'revoke' && groupNotice.chatType === 'group', 'the group revoke notice', groupNotice);
  // The original's group text has a space before 撤回 (single chat's has none).
  expect(groupNotice.data && groupNotice.data.data === `${groupAnswer.from_name} 撤回了一条消息`, 'the group revoke text', groupNotice.data);
  for (const socket of [ sb, sa ]) {
    const revoked = await waitFor(socket, 'the group revoke notice', chatWhere(d => d.id === groupAnswer.id && d.actionType === 'revoke'));
    expect(isDeepStrictEqual(revoked, groupNotice), `${socket.name}: the pushed group revoke notice equals revokeMessage's answer`, { revoked, groupNotice });
  }
  expect(!chats(sa).some(d => d.id === groupAnswer.id && !d.actionType), 'the sender got no copy of its own group message');
  pass('revokeMessage (chatType group) → both members, the sender too, got "<name> 撤回了一条消息", equal to the HTTP answer');

  await ok('/api/chat/groupDeleteUser', { token: a.token, form: { group_id: groupId, user_id: b.id } });
  await waitFor(sb, 'the removal notice', chatWhere(d => d.chatType === 'group' && d.to_id === groupId && /已被群主移出群聊$/.test(d.data && d.data.data)));
  const afterRemoval = await ok('/api/chat/socket/sendmessage', { token: a.token, form: { ...groupMessage, data: '移出之后', client_msg_id: `socket-check-group2-${suffix}` } });
  await ok('/api/chat/groupDeleteOrQuit', { token: a.token, form: { id: groupId } });
  await waitFor(sa, 'the dissolve notice', chatWhere(d => d.chatType === 'group' && d.to_id === groupId && /解散了该群$/.test(d.data && d.data.data)));
  await new Promise(resolve => setTimeout(resolve, 500));
  const tooLate = chats(sb).filter(d => d.id === afterRemoval.id || (d.chatType === 'group' && /解散了该群$/.test(d.data && d.data.data)));
  expect(tooLate.length === 0, 'a removed member gets nothing after the removal notice', tooLate);
  pass('groupDeleteUser → B got the removal notice, then nothing (neither a later message nor the dissolve)');
  sa.ws.close();

  const relogin = await ok('/api/loginChat', { form: { username: b.username, password: PASSWORD } });
  await waitFor(sb, 'force_logout and close 4002 after a new login', s => s.closeCode === 4002);
  const kicked = sb.frames[sb.frames.length - 1];
  expect(kicked.msg === 'force_logout' && kicked.data === '你的账号在其他设备登录', 'the last frame before 4002 is force_logout', kicked);
  pass('a new login of B → the old socket got force_logout, then close 4002');

  const sc = openSocket(relogin.token, 'B (new login)');
  await welcomed(sc);
  await ok('/api/chat/logout', { token: relogin.token });
  await waitFor(sc, 'close 4001 after logout', s => s.closeCode === 4001);
  pass('logout → close 4001');
}

main().then(() => {
  console.log('socket-check: all checks passed');
  process.exit(0);
}, err => {
  console.error(`socket-check: FAILED: ${err instanceof CheckError ? err.message : err.stack}`);
  for (const socket of sockets) socket.ws.terminate();
  process.exit(1);
});
