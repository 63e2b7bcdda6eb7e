'use strict';
/**
 * The messaging rows of `npm run bench` (`--only=messaging`, or at the end of a normal run):
 *
 *   - 2,000 users (ids MESSAGING_FIRST_USER …) in 1,000 friend pairs, seeded with bulk inserts, each with
 *     a session of their own written the way the token service stores it (no scrypt login per user);
 *   - one WebSocket (`ws`) per user on GET /ws?token=, all in this process;
 *   - worker RSS (sum over the app workers) with 0 and with 2,000 idle sockets, each after a full GC in
 *     every worker (bench/lib/gcHook.js), divided by the number of sockets;
 *   - an open-loop send load at a fixed rate (POST /api/chat/socket/sendmessage, keep-alive HTTP): the
 *     end-to-end latency is the time from the start of the send to the arrival of the singleChat frame
 *     with the same message id (from the HTTP answer) at the recipient's socket; then higher (or lower)
 *     rates, a step each, to find the highest rate sustained;
 *   - every message counted: answered 200, received, lost (answered but never received after the settle
 *     time), duplicated (the same id received twice), misrouted (on another user's socket).
 */
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { performance, monitorEventLoopDelay } = require('node:perf_hooks');
const { randomUUID } = require('node:crypto');
const { ROOT, DATA_DIR } = require('./profile');
const { log, sleep, percentile, round, mapLimit } = require('./util');
const { CpuMeter, eggProcesses, processesNamed, mainThread, machineBusyMs } = require('./servers');
const { QueryTypes } = require('./db');
const { settle } = require('./scenarios');

const WebSocket = require(require.resolve('ws', { paths: [ ROOT ] }));
const jsonwebtoken = require(require.resolve('jsonwebtoken', { paths: [ ROOT ] }));

/** First user id of the messaging set: inside the 100,000 seeded users, away from the ids other rows use. */
const MESSAGING_FIRST_USER = 60_001;
const cpuProfile = require('./cpuProfile');
// An idle keep-alive socket is dropped by the client before the server's keepAliveTimeout (Node's 5 s)
// ends it: otherwise a send can go out on a connection the server is closing (ECONNRESET, not sent).
const IDLE_SOCKET_MS = 4000;
const { GC_DIR, profileSignal } = cpuProfile;
// BENCH_CPU_PROFILE=1 (or `--profile=messaging`): a CPU profile of each worker's JavaScript thread during
// the target step (an experiment: the profiler costs CPU too, so such a run is labelled and its figures
// kept apart).
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE === '1' ? cpuProfile.PROFILE_DIR : null;
// BENCH_HEAP_SNAPSHOT=1: heap snapshots of each worker with 0 and with all the sockets, and what the
// difference is made of (by constructor). Taken after the RSS readings, but a snapshot makes the worker
// allocate, so the readings after it (the rows) are not comparable: an experiment, labelled.
const SNAPSHOT_DIR = process.env.BENCH_HEAP_SNAPSHOT === '1' ? path.join(DATA_DIR, 'heapsnapshots') : null;
// BENCH_STALLS=1: the workers' garbage collections and event-loop delays (bench/lib/serverHook.js) and
// each step's sends ([epoch ms sent, HTTP ms, send → receive ms]) written to this directory, to line the
// slow messages up with what the workers were doing (an experiment: the hook runs a timer).
const STALL_DIR = process.env.BENCH_STALLS === '1' ? path.join(DATA_DIR, 'stalls') : null;

const now = () => performance.now();
const envNumber = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);

/** What a messaging run does, by mode. All bounded: steps of fixed length, a capped ramp, capped drains. */
function messagingPlan(quick) {
  return {
    sockets: envNumber('BENCH_SOCKETS', 2000),
    rate: envNumber('BENCH_MSG_RATE', 500),
    targetSeconds: quick ? 8 : 20,
    warmupSeconds: quick ? 2 : 3,
    stepSeconds: quick ? 5 : 10,
    // The rates tried after the target, up or down from it (BENCH_MSG_RAMP=0: the target rate only).
    ladder: process.env.BENCH_MSG_RAMP === '0' ? [] : [ 10, 15, 20, 25, 30, 40, 50, 75, 100, 125, 150, 175, 200, 250, 300, 400, 500, 750, 1000, 1250, 1500, 2000, 2500, 3000 ],
    // Idle cost of the sockets: one full heartbeat period with nothing sent (full run only).
    idleSeconds: envNumber('BENCH_IDLE_SECONDS', quick ? 0 : Math.ceil(envNumber('WS_HEARTBEAT_MS', 30000) / 1000)),
    connectConcurrency: 50,
    httpConnections: 64,
    maxInFlight: 2000,
    drainMs: 10_000,
    settleMs: 5_000,
    // Nothing of the messaging phase may take longer than this; a step that would is not started.
    maxSeconds: quick ? 240 : 600,
  };
}

/** The environment the server gets for the messaging rows, on top of the bench's usual one. */
function messagingServerEnv(baseEnv) {
  return {
    ...cpuProfile.hookEnv(baseEnv, { profileDir: PROFILE_DIR, snapshotDir: SNAPSHOT_DIR, stallDir: STALL_DIR }),
    // The per-sender limit (50 per 10 s) protects real users; the bench sends far beyond it on purpose.
    SEND_LIMIT_10S: '1000000000',
  };
}

// ---------------------------------------------------------------------------------------------- data

/** The users of the messaging set: `count` ids from MESSAGING_FIRST_USER, in pairs (i, i + count / 2). */
function messagingUsers(count) {
  if (count % 2) throw new Error('BENCH_SOCKETS must be even (friend pairs)');
  const ids = Array.from({ length: count }, (_, i) => MESSAGING_FIRST_USER + i);
  const half = count / 2;
  const pairs = Array.from({ length: half }, (_, i) => [ ids[i], ids[i + half] ]);
  return { ids, pairs };
}

/** Both goodfriend rows of every pair, by bulk insert (the seeder's). */
async function seedPairs(seeder, pairs) {
  if (seeder.users < pairs[pairs.length - 1][1]) throw new Error(`the messaging users need ${pairs[pairs.length - 1][1]} seeded users`);
  const rows = pairs.flatMap(([ a, b ]) => [[ a, b ], [ b, a ]]);
  await seeder.bulk('goodfriend (pairs)', rows.length, 2000, (from, to) =>
    'INSERT INTO goodfriend (user_id, friend_id, nickname, create_time, update_time) VALUES ' +
    rows.slice(from, to).map(([ u, f ]) => `(${u},${f},'',${seeder.now},${seeder.now})`).join(','));
}

/**
 * A live session and its token for each user, written the way app/service/token.ts `issue` writes them
 * (store key chat_user_<id>, value `<sid>.<password fingerprint>`, JWT {id, uuid, role, sid} signed
 * HS256 with the server's secret) — without 2,000 scrypt logins (~50 ms of worker CPU each). Every
 * socket opened with such a token goes through the server's full check; a wrong format would be
 * refused there (the bench then stops with the server's answer).
 */
async function mintSessions({ sequelize, profile, ids, secret, passwordHash, passwordFingerprint, env }) {
  const ttl = Number(env.TOKEN_TTL_SECONDS || 30 * 24 * 3600);
  const single = env.SINGLE_SESSION !== '0';
  const rows = await sequelize.query(`SELECT id, uuid, role FROM \`user\` WHERE id BETWEEN ${ids[0]} AND ${ids[ids.length - 1]}`, { type: QueryTypes.SELECT });
  if (rows.length !== ids.length) throw new Error(`expected ${ids.length} messaging users, found ${rows.length}`);
  const fingerprint = passwordFingerprint(passwordHash);
  const tokens = {};
  const sessions = [];
  for (const row of rows) {
    const sid = randomUUID();
    sessions.push([ single ? `chat_user_${row.id}` : `chat_user_${row.id}:${sid}`, `${sid}.${fingerprint}` ]);
    tokens[row.id] = jsonwebtoken.sign({ id: Number(row.id), uuid: row.uuid, role: row.role, sid }, secret, { algorithm: 'HS256', expiresIn: ttl });
  }
  if (profile.redis) {
    const Redis = require(require.resolve('ioredis', { paths: [ ROOT ] }));
    const { host, port, password, db } = profile.redis;
    const client = new Redis({ host, port, password: password || undefined, db, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      const pipeline = client.pipeline();
      for (const [ key, value ] of sessions) pipeline.set(key, value, 'EX', ttl);
      for (const [ error ] of await pipeline.exec()) if (error) throw error;
    } finally {
      client.disconnect();
    }
  } else {
    const expires = Date.now() + ttl * 1000;
    const mysql = sequelize.getDialect() === 'mysql';
    const upsert = mysql
      ? ' ON DUPLICATE KEY UPDATE value = VALUES(value), expires_at = VALUES(expires_at)'
      : ' ON CONFLICT(`key`) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at';
    for (let i = 0; i < sessions.length; i += 1000) {
      await sequelize.query('INSERT INTO kv_store (`key`, value, expires_at) VALUES ' +
        sessions.slice(i, i + 1000).map(([ key, value ]) => `(${sequelize.escape(key)},${sequelize.escape(value)},${expires})`).join(',') + upsert);
    }
  }
  return tokens;
}

// ------------------------------------------------------------------------------------------ memory

function rssKb(pid) {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Resident memory of the app workers once their heaps have settled: full GCs (bench/lib/serverHook.js)
 * every 0.5 s until V8's young generation is back at its smallest in every worker and RSS moved by less
 * than 0.25 % between two rounds (at most 30 rounds). A young generation grown by a burst of allocation
 * (up to 2 × 16 MB per worker) stays grown through a single GC and shrinks only after a quiet spell; read
 * at the wrong moment it would swamp what 2,000 sockets hold. Answers VmRSS and the heap figures of each.
 */
async function settledWorkerMemory(app) {
  const pids = app.workerPids();
  let heaps = {};
  let previous = null;
  let rounds = 0;
  const read = () => Object.fromEntries(pids.map(pid => [ pid, JSON.parse(fs.readFileSync(path.join(GC_DIR, `${pid}.json`), 'utf8')) ]));
  const newSpaceKb = pid => Math.round(((heaps[pid].spaces || {}).new_space || { size: 0 }).size / 1024);
  for (;;) {
    rounds += 1;
    for (const pid of pids) fs.rmSync(path.join(GC_DIR, `${pid}.json`), { force: true });
    for (const pid of pids) process.kill(pid, 'SIGUSR2');
    const deadline = Date.now() + 10_000;
    while (pids.some(pid => !fs.existsSync(path.join(GC_DIR, `${pid}.json`)))) {
      if (Date.now() > deadline) throw new Error('the workers did not report after SIGUSR2 (is bench/lib/serverHook.js loaded?)');
      await sleep(20);
    }
    await sleep(50);
    heaps = read();
    const rss = pids.reduce((sum, pid) => sum + (rssKb(pid) || 0), 0);
    const smallYoung = pids.every(pid => newSpaceKb(pid) <= 2048);
    if ((smallYoung && previous !== null && Math.abs(rss - previous) <= rss * 0.0025) || rounds >= 30) break;
    previous = rss;
    await sleep(500);
  }
  const workers = pids.map(pid => ({
    pid,
    rssKb: rssKb(pid),
    heapUsedKb: Math.round(heaps[pid].heapUsed / 1024),
    heapTotalKb: Math.round(heaps[pid].heapTotal / 1024),
    externalKb: Math.round(heaps[pid].external / 1024),
    arrayBuffersKb: Math.round(heaps[pid].arrayBuffers / 1024),
    spacesKb: Object.fromEntries(Object.entries(heaps[pid].spaces || {}).map(([ name, space ]) => [ name, Math.round(space.size / 1024) ])),
  }));
  const sum = key => workers.reduce((s, w) => s + (w[key] || 0), 0);
  return { rounds, workers, rssKb: sum('rssKb'), heapUsedKb: sum('heapUsedKb'), heapTotalKb: sum('heapTotalKb'), externalKb: sum('externalKb'), arrayBuffersKb: sum('arrayBuffersKb') };
}

// ----------------------------------------------------------------------------------- load generator

/**
 * The sockets, the sender and the book-keeping of every message. One process: the figures below show
 * what it costs (loadgen CPU per message, its event-loop delay).
 */
class MessagingLoad {
  constructor({ port, tokens, plan }) {
    Object.assign(this, { port, tokens, plan });
    this.sockets = new Map();
    this.agent = new http.Agent({ keepAlive: true, maxSockets: plan.httpConnections, timeout: IDLE_SOCKET_MS });
    /** Every send, in order: { k, phase, from, to, t0, tAnswer, status, id, error }. */
    this.records = [];
    /** Message id → the send it answered. */
    this.answered = new Map();
    /** Message id → { t, user, count, data }: first arrival at a socket. */
    this.arrivals = new Map();
    this.duplicates = [];
    this.misrouted = 0;
    this.contentMismatch = 0;
    this.unexpectedFrames = [];
    this.unexpectedCloses = [];
    this.pingFrames = [];
    this.inFlight = 0;
    this.keepAliveRetries = 0;
    this.next = 0;
    this.closing = false;
  }

  /** Opens the sockets of `ids`, `concurrency` handshakes at a time; resolves with the handshake times. */
  async connect(ids) {
    const times = [];
    const failures = [];
    const startedAt = now();
    await mapLimit(ids, this.plan.connectConcurrency, async id => {
      const t0 = now();
      try {
        await this.open(id);
        times.push(now() - t0);
      } catch (err) {
        failures.push(`${id}: ${err.message}`);
      }
    });
    times.sort((a, b) => a - b);
    if (failures.length) throw new Error(`${failures.length} of ${ids.length} sockets did not open, e.g. ${failures.slice(0, 3).join('; ')}`);
    const seconds = (now() - startedAt) / 1000;
    return { sockets: ids.length, seconds: round(seconds, 1), perSecond: round(ids.length / seconds, 0), p50: round(percentile(times, 50)), p99: round(percentile(times, 99)), max: round(times[times.length - 1]) };
  }

  /** One socket, ready once the server's welcome frame arrived (the server has registered it by then). */
  open(id) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${this.port}/ws?token=${encodeURIComponent(this.tokens[id])}`, { perMessageDeflate: false });
      const entry = { ws, id, ready: false, closedByUs: false };
      const timer = setTimeout(() => { ws.terminate(); reject(new Error('no welcome frame within 15 s')); }, 15_000);
      ws.on('message', data => this.onFrame(entry, data, () => {
        if (entry.ready) return;
        entry.ready = true;
        clearTimeout(timer);
        this.sockets.set(id, entry);
        resolve();
      }));
      ws.on('unexpected-response', (req, res) => { clearTimeout(timer); reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)); req.destroy(); });
      ws.on('error', err => { if (!entry.ready) { clearTimeout(timer); reject(err); } });
      ws.on('close', (code, reason) => {
        this.sockets.delete(id);
        if (!entry.ready) {
          clearTimeout(timer);
          reject(new Error(`closed before the welcome frame: ${code} ${reason}`));
        } else if (!entry.closedByUs && !this.closing) {
          this.unexpectedCloses.push({ user: id, code, reason: String(reason), at: Date.now() });
        }
      });
    });
  }

  onFrame(entry, data, onWelcome) {
    const t = now();
    let frame;
    try {
      frame = JSON.parse(data.toString());
    } catch {
      this.unexpectedFrames.push({ user: entry.id, raw: data.toString().slice(0, 200) });
      return;
    }
    if (frame.type === 'singleChat') {
      const message = frame.data || {};
      const seen = this.arrivals.get(message.id);
      if (seen) {
        seen.count += 1;
        const record = this.answered.get(message.id);
        this.duplicates.push({ id: message.id, user: entry.id, first: seen.user, phase: record ? record.phase : null, afterMs: round(t - seen.t) });
        return;
      }
      this.arrivals.set(message.id, { t, user: entry.id, count: 1, data: message.data });
      if (message.to_id !== entry.id) this.misrouted += 1;
    } else if (frame.type === 'system') {
      onWelcome();
    } else if (frame.type === 'ping') {
      this.pingFrames.push(t);
    } else {
      // force_logout, a failure before a close: none is expected.
      this.unexpectedFrames.push({ user: entry.id, frame: JSON.stringify(frame).slice(0, 200) });
    }
  }

  /** Closes the sockets of `ids` (all when omitted) and waits for the close handshakes. */
  async close(ids) {
    const entries = ids ? ids.map(id => this.sockets.get(id)).filter(Boolean) : [ ...this.sockets.values() ];
    await Promise.all(entries.map(entry => new Promise(resolve => {
      entry.closedByUs = true;
      const timer = setTimeout(() => { entry.ws.terminate(); resolve(); }, 5000);
      entry.ws.once('close', () => { clearTimeout(timer); resolve(); });
      entry.ws.close(1000);
    })));
  }

  /** One message from `from` to `to`; the record is completed by the HTTP answer. */
  send(phase, from, to) {
    const k = this.next++;
    const record = { k, phase, from, to, t0: now(), tAnswer: 0, status: 0, id: null, error: null, retried: false };
    this.records.push(record);
    this.inFlight += 1;
    this.post(record, JSON.stringify({ sendto_id: to, chatType: 'single', type: 'text', data: `bench message ${k}` }));
  }

  post(record, body) {
    let done = false;
    let answered = false;
    const finish = () => {
      if (done) return false;
      done = true;
      record.tAnswer = now();
      this.inFlight -= 1;
      return true;
    };
    const req = http.request({
      host: '127.0.0.1', port: this.port, method: 'POST', path: '/api/chat/socket/sendmessage', agent: this.agent, timeout: 10_000,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), token: this.tokens[record.from] },
    }, res => {
      answered = true;
      const chunks = [];
      res.on('data', chunk => chunks.push(chunk));
      res.on('end', () => {
        if (!finish()) return;
        record.status = res.statusCode;
        try {
          const answer = JSON.parse(Buffer.concat(chunks).toString());
          if (res.statusCode === 200 && answer && answer.data && answer.data.id) {
            record.id = answer.data.id;
            this.answered.set(record.id, record);
          } else {
            record.error = JSON.stringify(answer).slice(0, 200);
          }
        } catch {
          record.error = 'unreadable answer';
        }
      });
      res.on('error', err => { if (finish()) record.error = err.message; });
    });
    req.on('timeout', () => req.destroy(new Error('timeout (10 s)')));
    req.on('error', err => {
      // The keep-alive race: the server closed an idle connection just as this request went out on it
      // (nothing answered, nothing logged). Node's documentation: retry such a request once.
      if (!done && !answered && !record.retried && req.reusedSocket && err.code === 'ECONNRESET') {
        done = true;
        record.retried = true;
        this.keepAliveRetries += 1;
        this.post(record, body);
        return;
      }
      if (finish()) record.error = err.code || err.message;
    });
    req.end(body);
  }

  /**
   * Sends at `rate` messages/s for `seconds`, open loop (the schedule never waits for answers): message
   * n goes at n / rate s. Beyond `maxInFlight` unanswered sends a due message is skipped and counted.
   * Pair i's message goes one way, its next message the other way, so all 2,000 users send and receive.
   */
  run(phase, rate, seconds, pairs) {
    const total = Math.round(rate * seconds);
    const startedAt = now();
    let due = 0;
    let skipped = 0;
    let lateMs = 0;
    return new Promise(resolve => {
      let timer = null;
      const tick = () => {
        const elapsed = now() - startedAt;
        const target = Math.min(total, Math.floor((elapsed * rate) / 1000) + 1);
        if (target - due > 1) lateMs = Math.max(lateMs, ((target - due - 1) * 1000) / rate);
        while (due < target) {
          const n = due++;
          if (this.inFlight >= this.plan.maxInFlight) {
            skipped += 1;
            continue;
          }
          const pair = pairs[n % pairs.length];
          const forward = Math.floor(n / pairs.length) % 2 === 0;
          this.send(phase, forward ? pair[0] : pair[1], forward ? pair[1] : pair[0]);
        }
        if (due >= total) {
          clearInterval(timer);
          resolve({ startedAt, endedAt: now(), total, skipped, scheduleLateMs: round(lateMs) });
        }
      };
      timer = setInterval(tick, 2);
      tick();
    });
  }

  /** Waits until every send of `phase` is answered and every 200 of it arrived, at most `ms`. */
  async drain(phase, ms) {
    const deadline = Date.now() + ms;
    const mine = this.records.filter(r => r.phase === phase);
    while (Date.now() < deadline) {
      if (this.inFlight === 0 && mine.every(r => r.tAnswer && (r.status !== 200 || !r.id || this.arrivals.has(r.id)))) return true;
      await sleep(50);
    }
    return false;
  }

  /** BENCH_STALLS=1: every send of the phase as [epoch ms sent, HTTP ms or null, send → receive ms or null]. */
  writeTimings(phase, file) {
    const epoch = t => Math.round(performance.timeOrigin + t);
    const rows = this.records.filter(r => r.phase === phase).map(r => {
      const arrival = r.id ? this.arrivals.get(r.id) : null;
      return [ epoch(r.t0), r.tAnswer ? round(r.tAnswer - r.t0, 1) : null, arrival ? round(arrival.t - r.t0, 1) : null ];
    });
    fs.writeFileSync(file, JSON.stringify(rows));
  }

  /** Figures of one phase, from its records. */
  summary(phase, window) {
    const mine = this.records.filter(r => r.phase === phase);
    const e2e = [];
    const httpTimes = [];
    let ok = 0;
    let lost = 0;
    let answeredInWindow = 0;
    let deliveredInWindow = 0;
    const statuses = {};
    const errors = {};
    let unanswered = 0;
    let lastAnswer = 0;
    for (const r of mine) {
      if (r.tAnswer > lastAnswer) lastAnswer = r.tAnswer;
      if (!r.tAnswer) unanswered += 1;
      if (r.error && !r.status) errors[r.error] = (errors[r.error] || 0) + 1;
      if (r.status) statuses[r.status] = (statuses[r.status] || 0) + 1;
      if (r.status !== 200 || !r.id) continue;
      ok += 1;
      httpTimes.push(r.tAnswer - r.t0);
      if (window && r.tAnswer <= window.endedAt) answeredInWindow += 1;
      const arrival = this.arrivals.get(r.id);
      if (!arrival) {
        lost += 1;
        continue;
      }
      if (arrival.data !== `bench message ${r.k}`) this.contentMismatch += 1;
      e2e.push(arrival.t - r.t0);
      if (window && arrival.t <= window.endedAt) deliveredInWindow += 1;
    }
    e2e.sort((a, b) => a - b);
    httpTimes.sort((a, b) => a - b);
    const ids = new Set(mine.map(r => r.id).filter(Boolean));
    const seconds = window ? (window.endedAt - window.startedAt) / 1000 : null;
    return {
      sent: mine.length,
      answered200: ok,
      unanswered,
      statusCodes: statuses,
      errors,
      received: e2e.length,
      lost,
      duplicated: this.duplicates.filter(d => ids.has(d.id)).length,
      achievedPerSecond: seconds ? round(answeredInWindow / seconds, 1) : null,
      // Over the whole step, backlog included: what the server got through per second.
      throughputPerSecond: window && lastAnswer > window.startedAt ? round(ok / ((lastAnswer - window.startedAt) / 1000), 1) : null,
      deliveredPerSecond: seconds ? round(deliveredInWindow / seconds, 1) : null,
      e2e: stats(e2e),
      http: stats(httpTimes),
    };
  }

  /**
   * End-to-end p99 of the messages sent within 2 s after a heartbeat (the server's beat pings and
   * re-checks every socket at once) and of the others.
   */
  heartbeatSplit(phase, window) {
    const beats = this.pingFrames.filter(t => t >= window.startedAt - 2000 && t <= window.endedAt);
    const near = [];
    const quiet = [];
    for (const r of this.records) {
      if (r.phase !== phase || !r.id) continue;
      const arrival = this.arrivals.get(r.id);
      if (!arrival) continue;
      (beats.some(t => r.t0 >= t && r.t0 - t <= 2000) ? near : quiet).push(arrival.t - r.t0);
    }
    near.sort((a, b) => a - b);
    quiet.sort((a, b) => a - b);
    return { beats: beats.length, near: { messages: near.length, p50: round(percentile(near, 50)), p99: round(percentile(near, 99)), max: round(near[near.length - 1]) }, quiet: { messages: quiet.length, p50: round(percentile(quiet, 50)), p99: round(percentile(quiet, 99)), max: round(quiet[quiet.length - 1]) } };
  }

  /** Per second of a phase: messages sent, p50/p99 of their end-to-end latency, heartbeat pings seen. */
  timeline(phase, window) {
    const seconds = Math.ceil((window.endedAt - window.startedAt) / 1000);
    const buckets = Array.from({ length: seconds }, () => []);
    for (const r of this.records) {
      if (r.phase !== phase || !r.id) continue;
      const arrival = this.arrivals.get(r.id);
      const s = Math.floor((r.t0 - window.startedAt) / 1000);
      if (arrival && buckets[s]) buckets[s].push(arrival.t - r.t0);
    }
    const pings = Array.from({ length: seconds }, () => 0);
    for (const t of this.pingFrames) {
      const s = Math.floor((t - window.startedAt) / 1000);
      if (s >= 0 && s < seconds) pings[s] += 1;
    }
    return buckets.map((values, s) => {
      values.sort((a, b) => a - b);
      return { second: s, messages: values.length, p50: round(percentile(values, 50)), p99: round(percentile(values, 99)), heartbeatPings: pings[s] };
    });
  }

  /** Frames that arrived for no answered message (a send that timed out on our side but committed). */
  unmatched() {
    let count = 0;
    for (const id of this.arrivals.keys()) if (!this.answered.has(id)) count += 1;
    return count;
  }

  destroy() {
    this.closing = true;
    for (const entry of this.sockets.values()) entry.ws.terminate();
    this.agent.destroy();
  }
}

function stats(sorted) {
  if (!sorted.length) return { p50: null, p90: null, p99: null, max: null, mean: null };
  return {
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1]),
    mean: round(sorted.reduce((s, v) => s + v, 0) / sorted.length),
  };
}

/** Asks each worker for a heap snapshot and waits for them; answers the files. */
async function heapSnapshots(pids, n) {
  for (const pid of pids) process.kill(pid, 'SIGWINCH');
  const deadline = Date.now() + 120_000;
  while (pids.some(pid => !fs.existsSync(path.join(SNAPSHOT_DIR, `${pid}-${n}.done`)))) {
    if (Date.now() > deadline) throw new Error('no heap snapshot within 120 s');
    await sleep(200);
  }
  return pids.map(pid => path.join(SNAPSHOT_DIR, `${pid}-${n}.heapsnapshot`));
}

/** Count and self size of a heap snapshot's nodes by type and constructor / name. */
function heapCensus(file) {
  const snapshot = JSON.parse(fs.readFileSync(file, 'utf8'));
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const [ typeAt, nameAt, sizeAt ] = [ 'type', 'name', 'self_size' ].map(name => fields.indexOf(name));
  const census = new Map();
  const { nodes, strings } = snapshot;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    // Strings and numbers by kind only; objects, closures, arrays and native objects by name.
    const name = [ 'string', 'concatenated string', 'sliced string', 'number', 'code', 'hidden' ].includes(type) ? `(${type})` : `${strings[nodes[i + nameAt]]} (${type})`;
    const entry = census.get(name) || { count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += nodes[i + sizeAt];
    census.set(name, entry);
  }
  return census;
}

/** What the sockets added to the heaps, by constructor: the largest differences, per socket. */
function heapDifference(emptyFiles, fullFiles, sockets) {
  const total = files => {
    const sum = new Map();
    for (const file of files) {
      for (const [ name, { count, bytes }] of heapCensus(file)) {
        const entry = sum.get(name) || { count: 0, bytes: 0 };
        entry.count += count;
        entry.bytes += bytes;
        sum.set(name, entry);
      }
    }
    return sum;
  };
  const before = total(emptyFiles);
  const after = total(fullFiles);
  const rows = [];
  for (const [ name, { count, bytes }] of after) {
    const was = before.get(name) || { count: 0, bytes: 0 };
    rows.push({ name, perSocketCount: round((count - was.count) / sockets, 2), perSocketBytes: Math.round((bytes - was.bytes) / sockets) });
  }
  const sum = map => [ ...map.values() ].reduce((s, e) => s + e.bytes, 0);
  return {
    perSocketBytes: Math.round((sum(after) - sum(before)) / sockets),
    top: rows.sort((a, b) => b.perSocketBytes - a.perSocketBytes).slice(0, 25),
  };
}

/** Stops the workers' profilers, keeps their files as <pid>-<name>.cpuprofile and answers their summaries. */
const collectProfiles = (pids, name) => cpuProfile.collectProfiles(PROFILE_DIR, pids, name);

/**
 * BENCH_MSG_PROBES=1 (an experiment: the probes add a little load): while a step runs, every 25 ms a
 * GET /api/health (a worker's event loop, its pool, SELECT 1 and a Redis PING), and from the bench
 * itself a one-row INSERT + COMMIT into a scratch table of the bench database (MariaDB only: on SQLite
 * it would contend for the server's write lock) and a Redis PING. Where a slow second of messages
 * comes from shows in which probe was slow in the same second.
 */
const PROBES = process.env.BENCH_MSG_PROBES === '1';

class Probes {
  constructor({ port, sequelize, profile }) {
    Object.assign(this, { port, sequelize, profile });
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1, timeout: IDLE_SOCKET_MS });
    this.samples = { health: [], commit: [], redis: [] };
  }

  async start() {
    if (this.sequelize.getDialect() === 'mysql') {
      await this.sequelize.query('CREATE TABLE IF NOT EXISTS bench_probe (id INT AUTO_INCREMENT PRIMARY KEY, at BIGINT) ENGINE=InnoDB');
      this.mysql = true;
    }
    if (this.profile.redis) {
      const Redis = require(require.resolve('ioredis', { paths: [ ROOT ] }));
      const { host, port, password, db } = this.profile.redis;
      this.redis = new Redis({ host, port, password: password || undefined, db, maxRetriesPerRequest: 1 });
    }
    this.stopped = false;
    const loop = async (kind, work) => {
      while (!this.stopped) {
        const t = now();
        try {
          await work();
          this.samples[kind].push([ t, now() - t ]);
        } catch {
          this.samples[kind].push([ t, -1 ]);
        }
        await sleep(Math.max(0, 25 - (now() - t)));
      }
    };
    this.loops = [
      loop('health', () => new Promise((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: this.port, path: '/api/health', agent: this.agent }, res => { res.resume(); res.on('end', resolve); }).on('error', reject);
      })),
      this.mysql ? loop('commit', () => this.sequelize.query('INSERT INTO bench_probe (at) VALUES (1)')) : null,
      this.redis ? loop('redis', () => this.redis.ping()) : null,
    ].filter(Boolean);
  }

  async stop() {
    this.stopped = true;
    await Promise.all(this.loops);
    if (this.redis) this.redis.disconnect();
    this.agent.destroy();
  }

  /** Per kind: p50/p99/max in the window, and the max in each second of it. */
  report(window) {
    const seconds = Math.ceil((window.endedAt - window.startedAt) / 1000);
    const out = {};
    for (const [ kind, samples ] of Object.entries(this.samples)) {
      const mine = samples.filter(([ t ]) => t >= window.startedAt && t < window.endedAt);
      if (!mine.length) continue;
      const sorted = mine.map(([ , ms ]) => ms).filter(ms => ms >= 0).sort((a, b) => a - b);
      const perSecond = Array.from({ length: seconds }, () => 0);
      for (const [ t, ms ] of mine) {
        const second = Math.floor((t - window.startedAt) / 1000);
        if (second < seconds) perSecond[second] = Math.max(perSecond[second], ms < 0 ? 10_000 : ms);
      }
      out[kind] = { ...stats(sorted), failed: mine.length - sorted.length, perSecondMax: perSecond.map(v => round(v, 1)) };
    }
    this.samples = { health: [], commit: [], redis: [] };
    return out;
  }
}

/** MariaDB's own counters (global: anything else using the server at the time counts too). */
async function mysqlCounters(sequelize) {
  if (sequelize.getDialect() !== 'mysql') return null;
  const rows = await sequelize.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_select','Com_insert','Com_update','Com_commit','Com_begin','Innodb_os_log_fsyncs','Innodb_data_fsyncs','Questions','Innodb_row_lock_waits','Innodb_row_lock_time','Innodb_deadlocks')", { type: QueryTypes.SELECT });
  return Object.fromEntries(rows.map(row => [ row.Variable_name, Number(row.Value) ]));
}

function perMessage(before, after, messages) {
  if (!before || !after || !messages) return null;
  return Object.fromEntries(Object.keys(after).map(key => [ key, round((after[key] - before[key]) / messages, 2) ]));
}

// -------------------------------------------------------------------------------------------- run

/**
 * The whole messaging phase against a started server. `app` is the EggServer (for pids), `sequelize`
 * the bench's connection (MariaDB counters), `tokens` from mintSessions.
 */
async function runMessaging({ app, sequelize, profile, tokens, ids, pairs, plan, localDb, localRedis, logDir }) {
  const deadline = Date.now() + plan.maxSeconds * 1000;
  const eggPids = role => eggProcesses(app.title).filter(p => p.role === role)
    .map(p => p.pid);
  const meter = new CpuMeter({
    workers: () => app.workerPids(),
    // Of which the JavaScript thread (the rest: libuv's pool — where node-sqlite3 runs statements —, GC, JIT).
    workersJs: () => app.workerPids().map(mainThread),
    master: () => [ ...eggPids('master'), ...eggPids('agent') ],
    db: () => (localDb ? processesNamed([ 'mariadbd', 'mysqld' ]) : []),
    redis: () => (localRedis ? processesNamed([ 'redis-server' ]) : []),
  });
  const logLines = () => countLogLines(logDir);
  const logsBefore = logLines();
  const load = new MessagingLoad({ port: app.port, tokens, plan });
  const result = { plan: { ...plan, ladder: undefined }, loadAvgAtStart: os.loadavg().map(v => round(v, 2)), steps: [] };
  const eld = monitorEventLoopDelay({ resolution: 5 });
  const countersAtStart = await mysqlCounters(sequelize);
  try {
    // 1. Warm-up with a few sockets: code paths compiled, pools open, before the 0-socket baseline.
    const warmPairs = pairs.slice(0, 50);
    const warmIds = warmPairs.flat();
    await load.connect(warmIds);
    await load.run('warmup-small', 100, 3, warmPairs);
    await load.drain('warmup-small', plan.drainMs);
    await sleep(1000); // the receipt pings of the last pushes answered
    await load.close(warmIds);
    await sleep(2000);
    await settle(app.url);

    // 2. Memory: 0 sockets, then all of them idle — twice. The first time also counts what the burst of
    //    handshakes makes the workers reserve once (V8's young generation grows under allocation
    //    pressure and stays grown); the second time, after closing them all, is what each socket holds.
    const perSocket = (full, empty) => {
      const per = key => round((full[key] - empty[key]) / ids.length, 2);
      return { rss: per('rssKb'), heapUsed: per('heapUsedKb'), heapTotal: per('heapTotalKb'), external: per('externalKb'), arrayBuffers: per('arrayBuffersKb') };
    };
    const mb = kb => (kb / 1024).toFixed(1);
    const empty0 = await settledWorkerMemory(app);
    log(`messaging: workers RSS with 0 sockets ${mb(empty0.rssKb)} MB (heap used ${mb(empty0.heapUsedKb)} MB, reserved ${mb(empty0.heapTotalKb)} MB)`);
    result.firstConnect = await load.connect(ids);
    log(`messaging: ${ids.length} sockets open in ${result.firstConnect.seconds} s (handshake p50 ${result.firstConnect.p50} ms, p99 ${result.firstConnect.p99} ms)`);
    await sleep(3000);
    const full0 = await settledWorkerMemory(app);
    await load.close();
    await sleep(2000);
    const empty = await settledWorkerMemory(app);
    result.connect = await load.connect(ids);
    log(`messaging: ${ids.length} sockets open again in ${result.connect.seconds} s (handshake p50 ${result.connect.p50} ms, p99 ${result.connect.p99} ms)`);
    await sleep(3000);
    const full = await settledWorkerMemory(app);
    if (SNAPSHOT_DIR) {
      // The sockets' share of the heap, by constructor: snapshots now (all open) and after closing them.
      const pids = app.workerPids();
      const fullFiles = await heapSnapshots(pids, 1);
      await load.close();
      await sleep(2000);
      await settledWorkerMemory(app);
      const emptyFiles = await heapSnapshots(pids, 2);
      result.heapDifference = heapDifference(emptyFiles, fullFiles, ids.length);
      log(`messaging: heap snapshots: ${result.heapDifference.perSocketBytes} bytes per socket; ${result.heapDifference.top.slice(0, 8).map(r => `${r.name} ${r.perSocketBytes} B (${r.perSocketCount})`).join(', ')}`);
      await load.connect(ids);
      await sleep(2000);
    }
    result.memory = {
      firstTime: { empty: empty0, full: full0, perSocketKb: perSocket(full0, empty0) },
      empty, full, perSocketKb: perSocket(full, empty),
    };
    log(`messaging: workers RSS ${mb(empty0.rssKb)} → ${mb(full0.rssKb)} MB with the first ${ids.length} sockets (${result.memory.firstTime.perSocketKb.rss} KB each, heap used ${result.memory.firstTime.perSocketKb.heapUsed} KB, reserved ${result.memory.firstTime.perSocketKb.heapTotal} KB); ` +
      `after closing them ${mb(empty.rssKb)} MB, with ${ids.length} again ${mb(full.rssKb)} MB: ${result.memory.perSocketKb.rss} KB per socket (heap used ${result.memory.perSocketKb.heapUsed} KB)`);

    // 3. Idle cost: the heartbeat (ping, session re-check and inbox read per socket) over one period,
    //    aligned on the beats so that the window holds exactly one beat and all of its work: from 8 s
    //    after the sockets got one beat's ping frames to 8 s after they got the next one's.
    if (plan.idleSeconds) {
      const beatAfter = async since => {
        const until = Date.now() + plan.idleSeconds * 1000 + 10_000;
        while (Date.now() < until) {
          const pings = load.pingFrames.filter(t => t > since);
          if (pings.length >= ids.length * 0.9) return pings[pings.length - 1];
          await sleep(100);
        }
        return null;
      };
      const firstBeat = await beatAfter(now());
      if (firstBeat !== null) await sleep(Math.max(0, firstBeat + 8000 - now()));
      const pingsBefore = load.pingFrames.length;
      const profiling = PROFILE_DIR ? app.workerPids() : null;
      if (profiling) await profileSignal(profiling);
      meter.start();
      const machineBefore = machineBusyMs();
      const windowStart = now();
      const nextBeat = firstBeat === null ? null : await beatAfter(firstBeat + 1000);
      await sleep(nextBeat === null ? Math.max(0, plan.idleSeconds * 1000 - (now() - windowStart)) : Math.max(0, nextBeat + 8000 - now()));
      const windowSeconds = (now() - windowStart) / 1000;
      const cpu = meter.stop(1);
      cpu.other = machineBusyMs() - machineBefore - [ 'workers', 'master', 'db', 'redis', 'loadgen' ].reduce((sum, group) => sum + (cpu[group] || 0), 0);
      if (profiling) result.idleCpuProfile = await collectProfiles(profiling, 'idle');
      result.idle = {
        seconds: round(windowSeconds, 1),
        alignedOnBeats: nextBeat !== null,
        cpuMsPerSecond: Object.fromEntries(Object.entries(cpu).map(([ group, ms ]) => [ group, round(ms / windowSeconds, 1) ])),
        heartbeatPings: load.pingFrames.length - pingsBefore,
      };
      log(`messaging: idle ${result.idle.seconds} s (${result.idle.alignedOnBeats ? 'one heartbeat period, aligned on the beats' : 'not aligned: no heartbeat seen'}) with ${ids.length} sockets: CPU ms/s ${JSON.stringify(result.idle.cpuMsPerSecond)}, heartbeat pings ${result.idle.heartbeatPings}`);
    }


    const step = async (rate, seconds, phase) => {
      const counters = await mysqlCounters(sequelize);
      eld.reset();
      eld.enable();
      const profiling = PROFILE_DIR && phase === 'target' ? app.workerPids() : null;
      if (profiling) await profileSignal(profiling);
      const probes = PROBES ? new Probes({ port: app.port, sequelize, profile }) : null;
      if (probes) await probes.start();
      meter.start();
      const machineBefore = machineBusyMs();
      const window = await load.run(phase, rate, seconds, pairs);
      if (probes) await probes.stop();
      const drained = await load.drain(phase, plan.drainMs);
      // A rate the server did not keep up with leaves sends queued: the next step starts without them.
      const backlogAtDrainEnd = load.inFlight;
      for (const until = Date.now() + 60_000; load.inFlight > 0 && Date.now() < until;) await sleep(100);
      // The load generator's own delays while it sent and received (not while it computes the figures).
      eld.disable();
      if (profiling) result.cpuProfile = await collectProfiles(profiling, 'target');
      const summary = load.summary(phase, window);
      if (STALL_DIR) load.writeTimings(phase, path.join(STALL_DIR, `step-${phase}.json`));
      const cpu = meter.stop(summary.answered200);
      const machineMs = machineBusyMs() - machineBefore;
      const counters2 = await mysqlCounters(sequelize);
      const cores = os.cpus().length;
      const elapsedMs = now() - window.startedAt;
      const row = {
        phase, rate, seconds, ...summary, skipped: window.skipped, drained, backlogAtDrainEnd, scheduleLateMs: window.scheduleLateMs,
        cpuMsPerMessage: cpu,
        // Share of the machine's cores the workers used from the first send to the end of the drain.
        workerCpuShare: round((cpu.workers * summary.answered200) / (elapsedMs * cores), 3),
        // CPU of every other process on the machine meanwhile (other people's work, the kernel's threads),
        // per second: the measured groups subtracted from the machine's busy time.
        otherCpuMsPerSecond: round((machineMs - [ 'workers', 'master', 'db', 'redis', 'loadgen' ].reduce((sum, group) => sum + (cpu[group] || 0) * summary.answered200, 0)) / (elapsedMs / 1000), 0),
        loadgenEventLoopP99Ms: round(eld.percentile(99) / 1e6),
        loadgenEventLoopMaxMs: round(eld.max / 1e6),
        dbPerMessage: perMessage(counters, counters2, summary.answered200),
        loadAvg: os.loadavg().map(v => round(v, 2)),
      };
      // Anything but a 200 with a message id: another status, a connection error, no answer within 10 s
      // (counted again after the settle time, when the answers still on their way have come).
      row.failed = row.sent - row.answered200 - row.unanswered;
      row.unansweredAtDrainEnd = row.unanswered;
      // Kept up with: nothing skipped or failed, 95 % of the rate answered within the step, all of it
      // delivered by the end of the drain, and no queue building up (the median stays low; the p99 is
      // judged against the target separately: a heartbeat burst alone can lift it for a second or two).
      row.sustained = row.skipped === 0 && row.failed === 0 && row.drained &&
        row.achievedPerSecond >= 0.95 * rate && row.e2e.p50 !== null && row.e2e.p50 <= 200;
      row.timeline = load.timeline(phase, window);
      if (probes) {
        row.probes = probes.report(window);
        // The slow seconds of messages next to what each probe saw in them.
        row.slowSeconds = row.timeline.filter(t => t.p99 !== null && t.p99 > 60).map(t => ({
          second: t.second, messagesP99: t.p99,
          ...Object.fromEntries(Object.entries(row.probes).map(([ kind, r ]) => [ `${kind}Max`, r.perSecondMax[t.second] ])),
        }));
        log(`messaging ${phase} probes: ${Object.entries(row.probes).map(([ kind, r ]) => `${kind} p50 ${r.p50} p99 ${r.p99} max ${r.max} ms`).join('; ')}; slow seconds: ${JSON.stringify(row.slowSeconds)}`);
      }
      row.heartbeat = load.heartbeatSplit(phase, window);
      result.steps.push(row);
      log(`messaging ${phase} ${rate}/s × ${seconds} s: sent ${row.sent}, 200 ${row.answered200}, received ${row.received}, achieved ${row.achievedPerSecond}/s, e2e p50 ${row.e2e.p50} ms p99 ${row.e2e.p99} ms max ${row.e2e.max} ms, http p99 ${row.http.p99} ms, skipped ${row.skipped}, failed ${row.failed}, cpu ms/msg ${JSON.stringify(cpu)}, loadgen loop p99 ${row.loadgenEventLoopP99Ms} ms${row.sustained ? '' : ' — not sustained'}`);
      await settle(app.url);
      return row;
    };

    // 4. First messages: one to every user (each pair both ways) at a moderate rate, measured like the
    //    other rows — the first entry of an inbox is a path of its own (no row to lock yet). Then a
    //    short warm-up at the target rate (at most 300 messages, so no backlog is inherited).
    const firstRate = Math.min(100, plan.rate);
    result.firstMessages = await step(firstRate, ids.length / firstRate, 'first');
    await load.run('warmup', plan.rate, Math.min(plan.warmupSeconds, 300 / plan.rate), pairs);
    await load.drain('warmup', plan.drainMs);
    for (const until = Date.now() + 60_000; load.inFlight > 0 && Date.now() < until;) await sleep(100);
    await settle(app.url);

    // 5. The target rate; then up from it while the rates are sustained, or down from it (straight to
    //    the first rate of the ladder under what the server got through, +10 %) until a rate is
    //    sustained with p99 ≤ 50 ms.
    const target = await step(plan.rate, plan.targetSeconds, 'target');
    let last = target;
    for (;;) {
      const below = last.rate;
      const ceiling = 1.1 * (last.throughputPerSecond || last.rate);
      const rate = target.sustained
        ? plan.ladder.find(r => r > below)
        : plan.ladder.filter(r => r < below && r <= ceiling).pop();
      if (rate === undefined) break;
      if (Date.now() + (plan.stepSeconds * 1000 + plan.drainMs + 60_000) > deadline) {
        log('messaging: time budget reached, ramp stopped');
        result.rampCut = true;
        break;
      }
      last = await step(rate, plan.stepSeconds, `rate-${rate}`);
      if (target.sustained ? !last.sustained : last.sustained && last.e2e.p99 <= 50) break;
    }
    const rated = result.steps.filter(s => s.phase !== 'first');
    const sustainedRates = rated.filter(s => s.sustained).map(s => s.rate);
    result.highestSustained = sustainedRates.length ? Math.max(...sustainedRates) : null;
    const within = rated.filter(s => s.sustained && s.e2e.p99 <= 50).map(s => s.rate);
    result.highestWithinP99Target = within.length ? Math.max(...within) : null;

    // 6. Settle, then count every message of the run.
    await sleep(plan.settleMs);
    for (const row of result.steps) {
      const again = load.summary(row.phase, null);
      row.lost = again.lost;
      row.duplicated = again.duplicated;
      row.failed = again.sent - again.answered200;
      row.received = again.received;
      row.answered200 = again.answered200;
      row.statusCodes = again.statusCodes;
      row.errors = again.errors;
      row.e2e = again.e2e;
      row.http = again.http;
    }
    const answered = load.records.filter(r => r.status === 200 && r.id);
    result.totals = {
      sent: load.records.length,
      answered200: answered.length,
      received: answered.filter(r => load.arrivals.has(r.id)).length,
      lost: answered.filter(r => !load.arrivals.has(r.id)).length,
      duplicated: load.duplicates.length,
      misrouted: load.misrouted,
      contentMismatch: load.contentMismatch,
      unmatchedFrames: load.unmatched(),
      failedSends: load.records.length - answered.length,
      unexpectedCloses: load.unexpectedCloses.length,
      unexpectedFrames: load.unexpectedFrames.length,
      keepAliveRetries: load.keepAliveRetries,
    };
    result.samples = {
      duplicates: load.duplicates.slice(0, 5),
      lost: answered.filter(r => !load.arrivals.has(r.id)).slice(0, 5).map(r => ({ id: r.id, from: r.from, to: r.to, phase: r.phase })),
      closes: load.unexpectedCloses.slice(0, 5),
      frames: load.unexpectedFrames.slice(0, 5),
      failed: load.records.filter(r => !(r.status === 200 && r.id)).slice(0, 5).map(r => ({ phase: r.phase, status: r.status, error: r.error })),
    };
    const countersAtEnd = await mysqlCounters(sequelize);
    if (countersAtStart) result.dbTotals = Object.fromEntries(Object.keys(countersAtEnd).map(key => [ key, countersAtEnd[key] - countersAtStart[key] ]));
    log(`messaging totals: ${JSON.stringify(result.totals)}${result.dbTotals ? `; MariaDB (global, whole phase): ${JSON.stringify(result.dbTotals)}` : ''}`);
  } finally {
    eld.disable();
    await load.close().catch(() => undefined);
    load.destroy();
  }
  const logsAfter = logLines();
  result.serverLog = {
    errorLines: logsAfter.errors.slice(logsBefore.errors.length),
    chatWarnings: logsAfter.chatWarnings.slice(logsBefore.chatWarnings.length),
  };
  result.serverLog.errorCount = result.serverLog.errorLines.length;
  result.serverLog.chatWarningCount = result.serverLog.chatWarnings.length;
  result.serverLog.errorLines = result.serverLog.errorLines.slice(0, 10).map(line => line.slice(0, 400));
  result.serverLog.chatWarnings = result.serverLog.chatWarnings.slice(0, 10).map(line => line.slice(0, 400));
  return result;
}

/** ERROR lines of common-error.log and the chat WARN lines of the app's log, for the "no errors" check. */
function countLogLines(logDir) {
  const read = file => {
    try {
      return fs.readFileSync(path.join(logDir, file), 'utf8').split('\n');
    } catch {
      return [];
    }
  };
  return {
    errors: read('common-error.log').filter(line => /\bERROR\b/.test(line)),
    chatWarnings: [ ...read('eggchat-web.log'), ...read('egg-web.log') ].filter(line => /\bWARN\b/.test(line) && /\[chat /.test(line)),
  };
}

// ----------------------------------------------------------------------------------------- report

function messagingTargets(m) {
  const target = m.steps.find(s => s.phase === 'target');
  const best = m.steps.filter(s => s.sustained && s.phase !== 'first').sort((a, b) => b.rate - a.rate)[0];
  const targets = [];
  if (target) {
    targets.push({
      target: `messaging: p99 send → receive ≤ 50 ms at ${target.rate} messages/s (${m.plan.sockets.toLocaleString('en-US')} sockets)`,
      measured: `p99 ${target.e2e.p99} ms (p50 ${target.e2e.p50} ms), ${target.achievedPerSecond} messages/s achieved${target.sustained ? '' : ' (not sustained)'}; ` +
        (best ? `highest rate sustained ${best.rate}/s: p50 ${best.e2e.p50} ms, p99 ${best.e2e.p99} ms (${best.heartbeat ? `${best.heartbeat.quiet.p99} ms away from heartbeats` : ''})` : 'no rate tried was sustained'),
      met: target.sustained && target.e2e.p99 <= 50,
    });
  }
  if (m.memory) {
    targets.push({
      target: 'messaging: ≤ 20 KB of worker RSS per idle socket',
      measured: `${m.memory.perSocketKb.rss} KB (${(m.memory.empty.rssKb / 1024).toFixed(1)} → ${(m.memory.full.rssKb / 1024).toFixed(1)} MB for ${m.plan.sockets.toLocaleString('en-US')} sockets; heap ${m.memory.perSocketKb.heapUsed} KB)`,
      met: m.memory.perSocketKb.rss <= 20,
    });
  }
  if (m.totals) {
    targets.push({
      target: 'messaging: 0 lost, 0 duplicated',
      measured: `${m.totals.answered200.toLocaleString('en-US')} answered 200, ${m.totals.received.toLocaleString('en-US')} received; lost ${m.totals.lost}, duplicated ${m.totals.duplicated}, misrouted ${m.totals.misrouted}, failed sends ${m.totals.failedSends}, unexpected closes ${m.totals.unexpectedCloses}`,
      met: m.totals.lost === 0 && m.totals.duplicated === 0,
    });
  }
  return targets;
}

const fmt = (value, digits = 1) => (value === null || value === undefined ? '—' : Number(value).toFixed(digits));

/** The messaging table for the terminal and for docs (markdown). */
function messagingRows(m) {
  return m.steps.map(s => [
    s.phase === 'target' ? `**${s.rate}** (target)` : s.phase === 'first' ? `${s.rate} (first message to each user)` : String(s.rate),
    String(s.seconds),
    fmt(s.achievedPerSecond),
    fmt(s.throughputPerSecond),
    fmt(s.e2e.p50, 2), fmt(s.e2e.p99, 2), fmt(s.e2e.max, 1),
    s.heartbeat ? `${fmt(s.heartbeat.quiet.p99, 1)} / ${fmt(s.heartbeat.near.p99, 1)}` : '—',
    fmt(s.http.p50, 2), fmt(s.http.p99, 2),
    `${s.answered200} / ${s.received}`,
    `${s.lost} / ${s.duplicated}`,
    String(s.failed + s.skipped),
    fmt(s.cpuMsPerMessage.workers, 2), fmt(s.cpuMsPerMessage.master, 3), s.cpuMsPerMessage.db ? fmt(s.cpuMsPerMessage.db, 2) : '—', s.cpuMsPerMessage.redis ? fmt(s.cpuMsPerMessage.redis, 3) : '—', fmt(s.cpuMsPerMessage.loadgen, 2),
    s.phase === 'first' ? '—' : s.sustained ? 'yes' : 'no',
  ]);
}
const MESSAGING_HEADER = [ 'rate/s', 's', 'achieved/s', 'through/s', 'e2e p50 ms', 'e2e p99 ms', 'e2e max ms', 'p99 quiet / after beat', 'HTTP p50 ms', 'HTTP p99 ms', '200 / received', 'lost / dup', 'failed + skipped', 'CPU ms/msg: workers', 'master+agent', 'db', 'redis', 'loadgen', 'sustained' ];

function messagingMarkdown(m, markdownTable) {
  const lines = [];
  lines.push(`Messaging: ${m.plan.sockets.toLocaleString('en-US')} sockets (one per user, 1,000 friend pairs, \`ws\` in the bench's process), sends by keep-alive HTTP (${m.plan.httpConnections} connections at most), open loop; load average at its start ${m.loadAvgAtStart.join(' ')}.`);
  lines.push('');
  if (m.connect) lines.push(`- ${m.connect.sockets.toLocaleString('en-US')} sockets opened in ${m.connect.seconds} s, ${m.plan.connectConcurrency} handshakes at a time (${m.connect.perSecond}/s; upgrade → welcome frame p50 ${m.connect.p50} ms, p99 ${m.connect.p99} ms).`);
  if (m.memory) {
    const first = m.memory.firstTime;
    lines.push(`- Worker RSS (sum of ${m.memory.full.workers.length}) with V8's heaps settled (full GCs until the young generation is back at its smallest): ` +
      `${(first.empty.rssKb / 1024).toFixed(1)} MB with 0 sockets → ${(first.full.rssKb / 1024).toFixed(1)} MB with the first ${m.plan.sockets.toLocaleString('en-US')} (${first.perSocketKb.rss} KB each); ` +
      `after closing them ${(m.memory.empty.rssKb / 1024).toFixed(1)} MB → ${(m.memory.full.rssKb / 1024).toFixed(1)} MB with ${m.plan.sockets.toLocaleString('en-US')} again: **${m.memory.perSocketKb.rss} KB per idle socket** ` +
      `(V8 heap used ${m.memory.perSocketKb.heapUsed} KB of it, external ${m.memory.perSocketKb.external} KB).`);
  }
  if (m.heapDifference) lines.push(`- Heap snapshots (all sockets open vs closed): ${m.heapDifference.perSocketBytes} bytes per socket; largest: ${m.heapDifference.top.slice(0, 10).map(r => `${r.name} ${r.perSocketBytes} B`).join(', ')}.`);
  if (m.idle) lines.push(`- Idle for ${m.idle.seconds} s (one heartbeat period, ${m.idle.heartbeatPings} heartbeat frames): CPU ms per second — workers ${m.idle.cpuMsPerSecond.workers} (JavaScript thread ${m.idle.cpuMsPerSecond.workersJs}), master+agent ${m.idle.cpuMsPerSecond.master}${m.idle.cpuMsPerSecond.db ? `, database ${m.idle.cpuMsPerSecond.db}` : ''}${m.idle.cpuMsPerSecond.redis ? `, Redis ${m.idle.cpuMsPerSecond.redis}` : ''}, load generator ${m.idle.cpuMsPerSecond.loadgen}, other processes ${round(m.idle.cpuMsPerSecond.other, 0)}.`);
  lines.push('');
  lines.push(markdownTable(MESSAGING_HEADER, messagingRows(m)));
  lines.push('');
  const target = m.steps.find(s => s.phase === 'target');
  if (target) {
    lines.push(`At the target rate: workers busy ${fmt(target.workerCpuShare * 100, 0)} % of the ${os.cpus().length} cores (JavaScript thread ${fmt(target.cpuMsPerMessage.workersJs, 2)} ms of the ${fmt(target.cpuMsPerMessage.workers, 2)} ms per message); other processes ${target.otherCpuMsPerSecond} ms of CPU per second; the load generator's event-loop delay p99 ${target.loadgenEventLoopP99Ms} ms (max ${target.loadgenEventLoopMaxMs} ms)${target.dbPerMessage ? `; MariaDB per message (global counters): ${Object.entries(target.dbPerMessage).map(([ k, v ]) => `${k} ${v}`).join(', ')}` : ''}.`);
    lines.push('');
  }
  lines.push('"through/s": messages answered over the whole step, backlog included; "sustained": nothing skipped (at most ' +
    `${m.plan.maxInFlight.toLocaleString('en-US')} sends in flight) or failed, ≥ 95 % of the rate answered within the step, everything delivered by the end of the drain, e2e p50 ≤ 200 ms. ` +
    '"p99 quiet / after beat": messages sent more than 2 s after / within 2 s after a heartbeat reached the sockets.');
  lines.push('');
  lines.push(`Highest rate sustained: ${m.highestSustained === null ? 'none of the rates tried' : `**${m.highestSustained} messages/s**`}; highest with p99 ≤ 50 ms: ${m.highestWithinP99Target === null ? 'none of the rates tried' : `${m.highestWithinP99Target} messages/s`}. ` +
    `Every message: ${m.totals.sent.toLocaleString('en-US')} sent, ${m.totals.answered200.toLocaleString('en-US')} answered 200, ${m.totals.received.toLocaleString('en-US')} received; lost ${m.totals.lost}, duplicated ${m.totals.duplicated}, misrouted ${m.totals.misrouted}, wrong content ${m.totals.contentMismatch}, frames of no answered send ${m.totals.unmatchedFrames}, unexpected closes ${m.totals.unexpectedCloses}, unexpected frames ${m.totals.unexpectedFrames}. Server log: ${m.serverLog.errorCount} ERROR line(s), ${m.serverLog.chatWarningCount} chat warning(s).` +
    (m.dbTotals ? ` MariaDB over the whole messaging phase (global counters): ${m.dbTotals.Innodb_deadlocks} deadlocks, ${m.dbTotals.Innodb_row_lock_waits} row lock waits.` : ''));
  return lines.join('\n');
}

module.exports = {
  MESSAGING_FIRST_USER, messagingPlan, messagingServerEnv, messagingUsers, seedPairs, mintSessions, runMessaging,
  messagingTargets, messagingMarkdown, messagingRows, MESSAGING_HEADER, settledWorkerMemory,
};
