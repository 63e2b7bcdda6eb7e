'use strict';
/**
 * The group rows of `npm run bench` (`--only=groups`, or after the messaging rows of a normal run), on the
 * messaging server and its users (bench/lib/messaging.js: tokens minted, no scrypt logins):
 *
 *   - two groups seeded with bulk inserts, as group/create leaves them (members active from sequence 0):
 *     500 members and 50 members, disjoint, each owned by its first member;
 *   - half of each group's members online (one `ws` socket each, in this process); the owner, offline,
 *     sends `messages` group messages at `rate`/s (POST /api/chat/socket/sendmessage, keep-alive HTTP);
 *   - fan-out time per message: from the start of the send to the arrival of the message (same id) on the
 *     LAST online member's socket (p50/p99), and per delivery (every member's arrival);
 *   - every delivery counted (lost: an online member that never got it; duplicated);
 *   - database rows written: inserted rows by table (`message`, `group_log`, `chat_inbox`) per message,
 *     and on MariaDB the handler counters' rows written/updated/deleted per message (server-wide), measured after the group
 *     receipts were written (GROUP_CURSOR_FLUSH_MS) — the send path's rows, and the receipts' rows, which
 *     follow the online members and the flush interval, not the messages;
 *   - GET /api/chat/groupinfo/:id of the 500-member group (the member list) with autocannon.
 */
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const { randomUUID } = require('node:crypto');
const { ROOT } = require('./profile');
const { log, sleep, percentile, round, mapLimit } = require('./util');
const { QueryTypes } = require('./db');

const WebSocket = require(require.resolve('ws', { paths: [ ROOT ] }));
const autocannon = require(require.resolve('autocannon', { paths: [ ROOT ] }));
// An idle keep-alive socket is dropped by the client before the server's keepAliveTimeout (Node's 5 s)
// ends it: otherwise a send can go out on a connection the server is closing (ECONNRESET, not sent).
const IDLE_SOCKET_MS = 4000;

const now = () => performance.now();

function groupsPlan(quick) {
  return { sizes: [ 500, 50 ], messages: quick ? 60 : 200, rate: 10, infoSeconds: quick ? 3 : 10, infoConnections: 10 };
}

function stats(values) {
  const sorted = [ ...values ].sort((a, b) => a - b);
  if (!sorted.length) return { p50: null, p99: null, max: null };
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted[sorted.length - 1]) };
}

/** A group of `memberIds` (the first one owns it), written as group/create writes one. */
async function seedGroup(sequelize, memberIds) {
  const stamp = new Date().toISOString().slice(0, 19)
    .replace('T', ' ');
  const uuid = randomUUID();
  await sequelize.query(
    'INSERT INTO `group` (uuid, user_id, name, avatar, remark, invite_confirm, status, last_seq, member_version, `order`, create_time, update_time) ' +
    `VALUES (${sequelize.escape(uuid)}, ${memberIds[0]}, ${sequelize.escape(`bench ${memberIds.length}`)}, '', '', 0, 1, 0, 1, 50, '${stamp}', '${stamp}')`);
  const [ row ] = await sequelize.query(`SELECT id FROM \`group\` WHERE uuid = ${sequelize.escape(uuid)}`, { type: QueryTypes.SELECT });
  const groupId = Number(row.id);
  for (let i = 0; i < memberIds.length; i += 1000) {
    await sequelize.query('INSERT INTO group_user (group_id, user_id, nickname, avatar, status, joined_seq, delivered_seq, `order`, create_time, update_time) VALUES ' +
      memberIds.slice(i, i + 1000).map(id => `(${groupId}, ${id}, '', '', 1, 0, 0, 50, '${stamp}', '${stamp}')`).join(','));
  }
  return groupId;
}

async function tableCounts(sequelize) {
  const counts = {};
  for (const table of [ 'message', 'group_log', 'chat_inbox' ]) {
    const [ row ] = await sequelize.query(`SELECT COUNT(*) AS n FROM ${table}`, { type: QueryTypes.SELECT });
    counts[table] = Number(row.n);
  }
  return counts;
}

async function writtenRows(sequelize) {
  if (sequelize.getDialect() !== 'mysql') return null;
  // MariaDB has no Innodb_rows_* counters: the handler counters count rows written to tables (server-wide).
  const rows = await sequelize.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Handler_write','Handler_update','Handler_delete')", { type: QueryTypes.SELECT });
  const names = { Handler_write: 'inserted', Handler_update: 'updated', Handler_delete: 'deleted' };
  return Object.fromEntries(rows.map(r => [ names[r.Variable_name], Number(r.Value) ]));
}

/** The sockets of `ids`, recording the arrival time of every group text frame by message id. */
async function openSockets(port, tokens, ids, arrivals) {
  const sockets = [];
  await mapLimit(ids, 50, id => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${encodeURIComponent(tokens[id])}`, { perMessageDeflate: false });
    const timer = setTimeout(() => { ws.terminate(); reject(new Error(`socket of ${id}: no welcome frame within 15 s`)); }, 15_000);
    ws.on('message', data => {
      const t = now();
      const frame = JSON.parse(data.toString());
      if (frame.type === 'system') {
        clearTimeout(timer);
        sockets.push(ws);
        resolve();
      } else if (frame.type === 'singleChat' && frame.data.chatType === 'group' && frame.data.type === 'text') {
        const key = `${frame.data.id}:${id}`;
        const seen = arrivals.get(key);
        if (seen) seen.count += 1;
        else arrivals.set(key, { t, count: 1 });
      }
    });
    ws.on('error', err => { clearTimeout(timer); reject(err); });
  }));
  return sockets;
}

function post(agent, port, token, body) {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/api/chat/socket/sendmessage', agent, timeout: 10_000,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), token } }, res => {
      const chunks = [];
      res.on('data', chunk => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(text);
  });
}

/** One group: half its members online, `messages` sends at `rate`/s from the (offline) owner. */
async function fanOut({ sequelize, port, tokens, memberIds, plan, cursorFlushMs }) {
  const groupId = await seedGroup(sequelize, memberIds);
  const online = memberIds.slice(1, 1 + Math.floor(memberIds.length / 2));
  const arrivals = new Map();
  const sockets = await openSockets(port, tokens, online, arrivals);
  // The sockets load their memberships on open: let them settle before the first send.
  await sleep(1000);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16, timeout: IDLE_SOCKET_MS });
  const beforeCounts = await tableCounts(sequelize);
  const beforeRows = await writtenRows(sequelize);
  const sends = [];
  const startedAt = now();
  const pending = [];
  for (let k = 0; k < plan.messages; k++) {
    const due = startedAt + (k * 1000) / plan.rate;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    const t0 = now();
    pending.push(post(agent, port, tokens[memberIds[0]], { sendto_id: groupId, chatType: 'group', type: 'text', data: `bench group ${k}` })
      .then(res => sends.push({ t0, status: res.status, id: res.body && res.body.data && res.body.data.id }), err => sends.push({ t0, status: 0, error: err.message })));
  }
  await Promise.all(pending);
  const ok = sends.filter(s => s.status === 200);
  // Every online member's copy of every answered message, or 10 s.
  const expected = ok.length * online.length;
  const deadline = now() + 10_000;
  const received = () => ok.reduce((n, s) => n + online.filter(id => arrivals.has(`${s.id}:${id}`)).length, 0);
  while (received() < expected && now() < deadline) await sleep(100);
  // The receipts of this load are written within one flush interval.
  await sleep(cursorFlushMs + 1000);
  const afterCounts = await tableCounts(sequelize);
  const afterRows = await writtenRows(sequelize);
  for (const ws of sockets) ws.terminate();
  agent.destroy();

  const complete = [];
  const perDelivery = [];
  let lost = 0;
  for (const s of ok) {
    let last = 0;
    for (const id of online) {
      const arrival = arrivals.get(`${s.id}:${id}`);
      if (!arrival) { lost += 1; continue; }
      perDelivery.push(arrival.t - s.t0);
      last = Math.max(last, arrival.t - s.t0);
    }
    complete.push(last);
  }
  const duplicated = [ ...arrivals.values() ].reduce((n, a) => n + a.count - 1, 0);
  const inserted = Object.fromEntries(Object.keys(afterCounts).map(t => [ t, round((afterCounts[t] - beforeCounts[t]) / (ok.length || 1), 2) ]));
  const innodb = beforeRows && afterRows
    ? Object.fromEntries(Object.keys(afterRows).map(k => [ k, round((afterRows[k] - beforeRows[k]) / (ok.length || 1), 2) ]))
    : null;
  return {
    groupId, members: memberIds.length, online: online.length, messages: plan.messages, rate: plan.rate,
    answered: ok.length, failed: sends.length - ok.length, deliveries: perDelivery.length, expected, lost, duplicated,
    fanOutMs: stats(complete), deliveryMs: stats(perDelivery), insertedPerMessage: inserted, innodbRowsPerMessage: innodb,
  };
}

async function groupinfo({ port, token, groupId, plan }) {
  const samples = [];
  const instance = autocannon({ url: `http://127.0.0.1:${port}/api/chat/groupinfo/${groupId}`, headers: { token }, connections: plan.infoConnections, duration: plan.infoSeconds });
  instance.on('response', (client, statusCode, bytes, responseTime) => samples.push(responseTime));
  const result = await instance;
  return {
    rps: round(result.requests.average, 1), requests: result.requests.total, ...stats(samples),
    bytesPerResponse: result.requests.total ? Math.round(result.throughput.total / result.requests.total) : 0,
    errors: (result.errors || 0) + (result.non2xx || 0),
  };
}

/** The group phase against the started messaging server. `ids` need at least 550 users with tokens. */
async function runGroups({ sequelize, port, tokens, ids, plan, cursorFlushMs }) {
  const [ big, small ] = plan.sizes;
  if (ids.length < big + small) throw new Error(`the group rows need ${big + small} users with sessions`);
  const results = [];
  for (const [ size, offset ] of [[ big, 0 ], [ small, big ]]) {
    log(`groups: ${size} members, ${Math.floor(size / 2)} online, ${plan.messages} messages at ${plan.rate}/s`);
    results.push(await fanOut({ sequelize, port, tokens, memberIds: ids.slice(offset, offset + size), plan, cursorFlushMs }));
  }
  log(`groups: groupinfo of the ${big}-member group, ${plan.infoConnections} connections, ${plan.infoSeconds} s`);
  const info = await groupinfo({ port, token: tokens[ids[0]], groupId: results[0].groupId, plan });
  return { fanOut: results, groupinfo: { members: big, connections: plan.infoConnections, seconds: plan.infoSeconds, ...info } };
}

const GROUPS_HEADER = [ 'members (online)', 'messages @ rate/s', 'answered / deliveries', 'lost / dup', 'fan-out p50 ms', 'fan-out p99 ms', 'delivery p50 ms', 'delivery p99 ms', 'rows inserted / msg (message, group_log, chat_inbox)', 'MariaDB rows / msg (written, updated, deleted)' ];

function groupsRows(g) {
  return g.fanOut.map(r => [
    `${r.members} (${r.online})`, `${r.messages} @ ${r.rate}`, `${r.answered} / ${r.deliveries}`, `${r.lost} / ${r.duplicated}`,
    r.fanOutMs.p50, r.fanOutMs.p99, r.deliveryMs.p50, r.deliveryMs.p99,
    `${r.insertedPerMessage.message}, ${r.insertedPerMessage.group_log}, ${r.insertedPerMessage.chat_inbox}`,
    r.innodbRowsPerMessage ? `${r.innodbRowsPerMessage.inserted}, ${r.innodbRowsPerMessage.updated}, ${r.innodbRowsPerMessage.deleted}` : '—',
  ]);
}

function groupsMarkdown(g, markdownTable) {
  const i = g.groupinfo;
  return [
    'Groups: two groups seeded as group/create leaves them, half their members online (`ws` in the bench\'s process), the offline owner sending at a fixed rate; fan-out = send start → the message on the last online member\'s socket.',
    '',
    markdownTable(GROUPS_HEADER, groupsRows(g)),
    '',
    `GET /api/chat/groupinfo/:id of the ${i.members}-member group (${i.connections} connections, ${i.seconds} s): ${i.rps} req/s, p50 ${i.p50} ms, p99 ${i.p99} ms, ${i.bytesPerResponse} bytes per answer, ${i.errors} errors.`,
    '',
    '"rows inserted / msg": rows added per answered message to each table (one message row and one group_log row, no per-member rows). "MariaDB rows / msg": every row MariaDB wrote, updated or deleted over the phase (its handler counters, server-wide) divided by the messages — the send path (the message, its log entry, the group row\'s sequence) plus the members\' receipts (group_user.delivered_seq), which are written once per online member per GROUP_CURSOR_FLUSH_MS, whatever the number of messages.',
  ].join('\n');
}

function groupsTargets(g) {
  const [ big, small ] = g.fanOut;
  const rows = r => r.insertedPerMessage.message + r.insertedPerMessage.group_log + r.insertedPerMessage.chat_inbox;
  return [
    {
      target: `groups: rows written per message do not grow with the member count (${big.members} vs ${small.members} members)`,
      measured: `${rows(big)} vs ${rows(small)} rows inserted per message (message, group_log, chat_inbox)` +
        (big.innodbRowsPerMessage ? `; all MariaDB rows written or updated, receipts included, ${big.innodbRowsPerMessage.inserted + big.innodbRowsPerMessage.updated} vs ${small.innodbRowsPerMessage.inserted + small.innodbRowsPerMessage.updated}` : ''),
      met: rows(big) === rows(small),
    },
    {
      target: `groups: a message to a ${big.members}-member group (${big.online} online) reaches every online member once`,
      measured: `fan-out p50 ${big.fanOutMs.p50} ms, p99 ${big.fanOutMs.p99} ms; ${big.deliveries} of ${big.expected} deliveries, lost ${big.lost}, duplicated ${big.duplicated}`,
      met: big.lost === 0 && big.duplicated === 0 && big.answered === big.messages,
    },
  ];
}

module.exports = { groupsPlan, runGroups, groupsRows, groupsMarkdown, groupsTargets, GROUPS_HEADER };
