#!/usr/bin/env node
'use strict';
/**
 * npm run bench [-- --quick] [-- --no-growth] [-- --no-messaging] [-- --no-docs] [-- --only=messaging,groups,media]
 *
 * Builds the server, starts it as production does (egg-scripts, one worker per core) on the profile the
 * environment names (DATABASE_URL/REDIS_URL: MariaDB + Redis; neither: embedded SQLite), starts a bare Egg
 * app beside it (the framework's ceiling), seeds 100,000 users and the friend graph with bulk inserts,
 * drives every scenario with autocannon, prints the table and writes bench/results/<profile>-<mode>.json
 * and a section of docs/BENCHMARKS.md. The full run also measures cost growth (goodfriendlist at 100 …
 * 5,000 friends, searchUser at 10k, 100k and 1M users) and draws it in docs/*.png. Last come the messaging
 * rows (bench/lib/messaging.js) on a freshly started server: 2,000 WebSockets, memory per idle socket, a
 * fixed send rate with end-to-end latency and every message counted; then, on the same server, the group
 * rows (bench/lib/groups.js: fan-out to a 500-member group, rows written per message, groupinfo) and the
 * media rows (bench/lib/media.js: 10 MB uploads, memory during 20 at once). `--only=messaging`,
 * `--only=groups`, `--only=media` (or several, comma-separated) run just those.
 * `--profile=<row>[,<row>…]` (e.g. `--profile=getgoodfriendinfo,listapplyfriend`): just these rows, each
 * with a CPU profile of the workers during its measured seconds (bench/lib/cpuProfile.js), and a
 * top-functions table per row in docs/BENCHMARKS.md under BENCH_LABEL (default "latest").
 * `--profile=messaging` profiles the messaging rows' target step the same way.
 * Everything it starts is stopped, and its database dropped, in a finally.
 */
// --profile=messaging: the messaging rows' own profiler switch, set before bench/lib/messaging.js reads it.
if (process.argv.slice(2).some(a => a.startsWith('--profile=') && a.slice(10).split(',').includes('messaging'))) process.env.BENCH_CPU_PROFILE = '1';
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT, DATA_DIR, profileFromEnv } = require('./lib/profile');
const { log } = require('./lib/util');
const { buildServer, requireBuilt, BUILD_DIR } = require('./lib/build');
const { EggServer, CpuMeter, processesNamed } = require('./lib/servers');
const db = require('./lib/db');
const { Seeder, PASSWORD, ACTORS, FRIEND_COUNTS, WRITERS, HANDLERS, username } = require('./lib/seed');
const { loginAll, firstRequests, mainScenarios, searchScenarios, settle, get } = require('./lib/scenarios');
const { measure, autocannonVersion } = require('./lib/load');
const cpuProfile = require('./lib/cpuProfile');
const { printTable, printGrid, updateDocs, ratio } = require('./lib/report');
const { renderPngs } = require('./lib/plot');
const messaging = require('./lib/messaging');
const groups = require('./lib/groups');
const media = require('./lib/media');
const { createBenchAdmin, adminLogin, adminScenarios } = require('./lib/admin');
const { prng } = require('./lib/util');

const argv = new Set(process.argv.slice(2));
const listOption = name => (process.argv.slice(2).find(a => a.startsWith(`--${name}=`)) || '').slice(name.length + 3).split(',').filter(Boolean);
// --profile=getgoodfriendinfo,messaging: these rows only, each with a CPU profile of the workers.
const PROFILE_ROWS = listOption('profile');
// --only=friends-200,search-exact: run just these rows of the table (while working on one route).
const ONLY = [ ...new Set([ ...listOption('only'), ...PROFILE_ROWS ]) ];
const QUICK = argv.has('--quick');
// --only=messaging: just the messaging rows (no bare app, no growth), with a results file and docs
// section of their own. A normal run ends with them unless --no-messaging.
// The rows on the socket server (its users' sessions minted, no bare app): messaging, groups, media.
const SOCKET_ROWS = [ 'messaging', 'groups', 'media' ];
const MESSAGING_ONLY = ONLY.length > 0 && ONLY.every(id => SOCKET_ROWS.includes(id));
const wants = id => (ONLY.length ? ONLY.includes(id) : !argv.has('--no-messaging'));
const MAIN_ROWS = !MESSAGING_ONLY;
const MESSAGING = SOCKET_ROWS.some(wants);
const GROWTH = argv.has('--growth') || (!QUICK && !argv.has('--no-growth') && MAIN_ROWS && !PROFILE_ROWS.length);
const WRITE_DOCS = !argv.has('--no-docs') && (!ONLY.length || MESSAGING_ONLY);
// --keep: leave the servers running and the data in place afterwards (for poking at them by hand);
// stop them with `npx egg-scripts stop --title=eggchat-bench` and `--title=eggchat-bench-bare` (with
// BENCH_PORT set: eggchat-bench-<port> and eggchat-bench-<port>-bare).
const KEEP = argv.has('--keep');
// CI (issue 16 §5): exit 1 when any request failed or timed out (or a message was lost, an upload
// failed, the server logged an ERROR), never because of a speed figure; and give up after --time-limit
// seconds, stopping the servers and dropping the bench database first.
const FAIL_ON_ERRORS = argv.has('--fail-on-errors');
const TIME_LIMIT_SECONDS = Number(listOption('time-limit')[0] || 0);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 50);
const BASE_PORT = Number(process.env.BENCH_PORT || 7301);
// The servers' titles (what stops them): with BENCH_PORT set they carry the port, so two benches on other
// ports (another checkout, CI) never stop each other's servers.
const APP_TITLE = process.env.BENCH_PORT ? `eggchat-bench-${BASE_PORT}` : 'eggchat-bench';
const BARE_TITLE = `${APP_TITLE}-bare`;
// BENCH_LABEL=heapcap: a variant run, kept apart (bench/results/<profile>-<mode>-<label>.json, its own docs section).
// A run of only some rows (--only) never replaces a whole run's JSON or docs section: it is labelled
// "partial" unless it has a label of its own, and leaves docs/ alone.
const LABEL = (process.env.BENCH_LABEL || '').replace(/[^a-z0-9-]/gi, '') || (PROFILE_ROWS.length ? 'profile' : MESSAGING_ONLY ? ONLY.join('-') : ONLY.length ? 'partial' : '');
const WORKERS = Number(process.env.BENCH_WORKERS || os.cpus().length);
// An experiment: more egg-scripts flags for the eggchat server, e.g. BENCH_SERVER_ARGS=--no-sourcemap.
const SERVER_ARGS = (process.env.BENCH_SERVER_ARGS || '').split(/\s+/).filter(Boolean);

const PLAN = QUICK
  ? { users: 100_000, duration: 3, warmup: 1, bare: 2, barePerRow: false, perHandler: 60, growthDuration: 0 }
  : { users: 100_000, duration: 10, warmup: 2, bare: 5, barePerRow: true, perHandler: 200, growthDuration: 4 };
const GROWTH_USERS = [ 10_000, PLAN.users, Number(process.env.BENCH_MAX_USERS || 1_000_000) ];
const GROWTH_FRIENDS = Object.entries(FRIEND_COUNTS).map(([ id, friends ]) => ({ id: Number(id), friends }));

const loadavg = () => os.loadavg().map(v => v.toFixed(2)).join(' ');

/** The commit measured, and whether the server's sources differ from it (the bench builds the working tree). */
function measuredCommit() {
  try {
    const git = args => require('node:child_process').execFileSync('git', args, { cwd: ROOT }).toString()
      .trim();
    const dirty = git([ 'status', '--porcelain', '--', 'app', 'config', 'database', 'app.ts', 'agent.ts', 'typings' ]);
    return `${git([ 'rev-parse', '--short', 'HEAD' ])}${dirty ? ' + uncommitted changes' : ''}`;
  } catch {
    return null;
  }
}

/** The environment defaults in package.json's start script, e.g. MALLOC_MMAP_THRESHOLD_=${MALLOC_MMAP_THRESHOLD_:-131072}. */
function startScriptDefaults() {
  const start = require(path.join(ROOT, 'package.json')).scripts.start;
  return Object.fromEntries([ ...start.matchAll(/\b([A-Z_][A-Z0-9_]*)=\$\{\1:-([^}]*)\}/g) ].map(([ , name, value ]) => [ name, value ]));
}

const RUN_JWT_SECRET = crypto.randomBytes(32).toString('hex');

function serverEnv(profile, port) {
  const env = { ...process.env };
  for (const key of [ 'DATABASE_URL', 'REDIS_URL', 'SQLITE_FILE', 'EGG_SERVER_ENV', 'NODE_ENV', 'DB_AUTO_MIGRATE', 'PORT', 'HOST', 'npm_config_argv' ]) delete env[key];
  Object.assign(env, {
    EGG_SERVER_ENV: 'prod',
    PORT: String(port),
    HOST: '127.0.0.1',
    // One per run, the same for the bare app: its `floor` row verifies eggchat's tokens (bench/bare/app/floor.js).
    JWT_SECRET: RUN_JWT_SECRET,
    DB_AUTO_MIGRATE: '0',
    // The throttles protect real users; the bench logs in and applies far beyond them on purpose.
    LOGIN_FAIL_LIMIT_ACCOUNT: '1000000000',
    LOGIN_FAIL_LIMIT_IP: '1000000000',
    REGISTER_LIMIT_IP: '1000000000',
    APPLY_LIMIT_DAILY: '1000000000',
    // The admin console's rows (bench/lib/admin.js) need it on (off by default in production).
    ADMIN_ENABLED: '1',
  });
  // Experiment knobs, off by default, for the eggchat server only: node flags (e.g. a heap cap) and
  // other variables, as space-separated KEY=VALUE pairs (e.g. MALLOC_MMAP_THRESHOLD_=131072).
  if (port === BASE_PORT) {
    // As production starts it: the defaults `npm start` sets in front of egg-scripts (NAME=${NAME:-value}).
    for (const [ name, value ] of Object.entries(startScriptDefaults())) if (!env[name]) env[name] = value;
    if (process.env.BENCH_SERVER_NODE_OPTIONS) env.NODE_OPTIONS = process.env.BENCH_SERVER_NODE_OPTIONS;
    for (const pair of (process.env.BENCH_SERVER_ENV || '').split(/\s+/).filter(Boolean)) {
      const at = pair.indexOf('=');
      if (at > 0) env[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  if (profile.mysql) env.DATABASE_URL = profile.mysql.url;
  else env.SQLITE_FILE = profile.sqliteFile;
  if (profile.redis) env.REDIS_URL = profile.redis.url;
  return env;
}

async function flushRedis(profile) {
  if (!profile.redis) return null;
  const Redis = require(require.resolve('ioredis', { paths: [ ROOT ] }));
  const { host, port, password, db: index } = profile.redis;
  const client = new Redis({ host, port, password: password || undefined, db: index, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    await client.flushdb();
    const info = await client.info('server');
    return (/redis_version:(\S+)/.exec(info) || [])[1] || 'unknown';
  } finally {
    client.disconnect();
  }
}

function linearFit(points) {
  const n = points.length;
  const mx = points.reduce((s, [ x ]) => s + x, 0) / n;
  const my = points.reduce((s, [ , y ]) => s + y, 0) / n;
  const sxy = points.reduce((s, [ x, y ]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [ x ]) => s + (x - mx) ** 2, 0);
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const ssTot = points.reduce((s, [ , y ]) => s + (y - my) ** 2, 0);
  const ssRes = points.reduce((s, [ x, y ]) => s + (y - (intercept + slope * x)) ** 2, 0);
  return { slope, intercept, r2: ssTot ? 1 - ssRes / ssTot : 1 };
}

function evaluateTargets(report) {
  const targets = report.rows.length || !(report.messaging || report.groups || report.media) ? mainTargets(report) : [];
  if (report.messaging) targets.push(...messaging.messagingTargets(report.messaging));
  if (report.groups) targets.push(...groups.groupsTargets(report.groups));
  if (report.media) targets.push(...media.mediaTargets(report.media));
  return targets;
}

function mainTargets(report) {
  const byId = Object.fromEntries(report.rows.map(row => [ row.id, row ]));
  const targets = [];
  const f200 = byId['friends-200'];
  if (f200) {
    const r = ratio(f200);
    targets.push({
      target: `goodfriendlist 200 friends: ≥ 25 % of the bare ceiling's req/s, p99 ≤ 50 ms at ${CONNECTIONS} connections`,
      measured: `${(r * 100).toFixed(1)} % (${f200.rps} vs ${f200.bare.rps} req/s), p99 ${f200.p99} ms`,
      met: r >= 0.25 && f200.p99 <= 50,
    });
  }
  const f2000 = byId['friends-2000-single'];
  if (f2000) targets.push({ target: 'goodfriendlist 2,000 friends: p50 ≤ 30 ms for a single client', measured: `p50 ${f2000.p50} ms (p99 ${f2000.p99} ms)`, met: f2000.p50 <= 30 });
  for (const id of [ 'search-exact', 'search-prefix' ]) {
    const row = byId[id];
    if (!row) continue;
    const plan = report.explain && report.explain[id.slice(7)];
    const indexed = plan ? /user_username_unique|USING (COVERING )?INDEX user_username_unique/i.test(plan) : null;
    targets.push({
      target: `${row.label}: p99 ≤ 20 ms at ${CONNECTIONS} connections, served by an index`,
      measured: `p99 ${row.p99} ms; plan: ${plan || 'n/a'}`,
      met: row.p99 <= 20 && indexed !== false,
    });
  }
  targets.push({
    target: 'an authenticated request costs at most one Redis read and one primary-key read',
    measured: 'counted by test/app/middleware/auth.cost.test.ts (Sequelize logging hook + Redis command hook)',
    met: null,
  });
  const errors = report.rows.reduce((s, row) => s + row.errors + (row.warmupErrors || 0) + (row.bare ? row.bare.errors : 0), 0) +
    (report.growth ? [ ...(report.growth.friends || []), ...(report.growth.search || []) ].reduce((s, p) => s + p.errors, 0) : 0);
  const timeouts = report.rows.reduce((s, row) => s + row.timeouts + (row.bare ? row.bare.timeouts : 0), 0) +
    (report.growth ? [ ...(report.growth.friends || []), ...(report.growth.search || []) ].reduce((s, p) => s + p.timeouts, 0) : 0);
  targets.push({
    target: 'no errors and no timeouts during any run',
    measured: `${errors} failed responses, ${timeouts} timeouts, ${report.serverErrors} ERROR lines in the server log`,
    met: errors === 0 && timeouts === 0 && report.serverErrors === 0,
  });
  if (report.memory && report.memory.length) {
    const max = Math.max(...report.memory.map(m => m.rssMb));
    targets.push({ target: 'resident memory per worker ≤ 200 MB at the end', measured: `max ${max} MB (${report.memory.map(m => m.rssMb).join(', ')})`, met: max <= 200 });
  }
  return targets;
}

/**
 * What went wrong in a run, speed aside: failed or timed-out requests, ERROR lines in the server's log,
 * messages lost, duplicated or refused, uploads that failed. Empty when nothing did.
 */
function runFailures(report) {
  const failures = [];
  const add = (what, n) => { if (n) failures.push(`${what}: ${n}`); };
  for (const row of report.rows) {
    add(`${row.label} c=${row.connections}: failed responses`, row.errors + (row.warmupErrors || 0));
    add(`${row.label} c=${row.connections}: timeouts`, row.timeouts);
    if (row.bare) add(`bare app before ${row.label}: failed responses + timeouts`, row.bare.errors + row.bare.timeouts);
  }
  for (const p of report.growth ? [ ...(report.growth.friends || []), ...(report.growth.search || []) ] : []) add('cost growth: failed responses + timeouts', p.errors + p.timeouts);
  add('ERROR lines in the server log', report.serverErrors);
  const m = report.messaging;
  if (m && m.totals) {
    for (const key of [ 'failedSends', 'lost', 'duplicated', 'misrouted', 'contentMismatch', 'unexpectedCloses' ]) add(`messaging ${key}`, m.totals[key]);
    if (m.serverLog) add('messaging: ERROR lines in the server log', m.serverLog.errorCount);
  }
  if (report.groups) {
    for (const g of report.groups.fanOut || []) {
      add(`groups ${g.members} members: lost deliveries`, g.lost);
      add(`groups ${g.members} members: duplicated deliveries`, g.duplicated);
      add(`groups ${g.members} members: sends not answered 200`, g.messages - g.answered);
    }
    if (report.groups.groupinfo) add('groups: groupinfo failed responses', report.groups.groupinfo.errors);
  }
  if (report.media) {
    for (const key of [ 'sequential', 'concurrent', 'concurrentLarge' ]) {
      const run = report.media[key];
      if (run) add(`media ${key}: uploads not answered 200`, run.uploads - run.ok);
    }
  }
  return failures;
}

/** Set by main(): stops the servers, drops the bench database, flushes the Redis db (for --time-limit and signals). */
let emergencyCleanup = null;

function abort(reason) {
  log(`${reason}: stopping the servers and dropping the bench database`);
  const cleanup = emergencyCleanup ? emergencyCleanup() : Promise.resolve();
  cleanup.catch(err => log(`cleanup failed: ${err.message}`)).finally(() => process.exit(1));
}

async function main() {
  const startedAt = Date.now();
  if (TIME_LIMIT_SECONDS > 0) setTimeout(() => abort(`time limit of ${TIME_LIMIT_SECONDS} s reached`), TIME_LIMIT_SECONDS * 1000).unref();
  for (const signal of [ 'SIGINT', 'SIGTERM' ]) process.once(signal, () => abort(`${signal} received`));
  const profile = profileFromEnv();
  const mode = QUICK ? 'quick' : 'full';
  const loadBefore = loadavg();
  log(`profile: ${profile.label}; mode: ${mode}${GROWTH ? ' + growth' : ''}${MAIN_ROWS ? '' : ' (messaging only)'}${MAIN_ROWS && MESSAGING ? ' + messaging' : ''}; load average ${loadBefore}`);
  fs.mkdirSync(DATA_DIR, { recursive: true });

  const commit = measuredCommit();
  await buildServer();
  const { hashPassword, passwordFingerprint } = requireBuilt('app/lib/password.js');
  const { runPendingMigrations } = requireBuilt('app/lib/migrator.js');

  // Reassigned by the messaging rows (a fresh server, same title): the finally stops whichever runs.
  const mainProfiled = PROFILE_ROWS.some(id => !SOCKET_ROWS.includes(id));
  const appEnv = mainProfiled ? cpuProfile.hookEnv(serverEnv(profile, BASE_PORT), { profileDir: cpuProfile.PROFILE_DIR }) : serverEnv(profile, BASE_PORT);
  let app = new EggServer({ name: 'eggchat', title: APP_TITLE, baseDir: BUILD_DIR, port: BASE_PORT, workers: WORKERS, env: appEnv, extraArgs: SERVER_ARGS });
  const bareEnv = { ...serverEnv(profile, BASE_PORT + 1) };
  const bare = new EggServer({ name: 'bare-egg', title: BARE_TITLE, baseDir: path.join(ROOT, 'bench', 'bare'), port: BASE_PORT + 1, workers: WORKERS, env: bareEnv });

  const report = { meta: {}, rows: [] };
  let sequelize;
  let databaseVersion;
  emergencyCleanup = async () => {
    await Promise.all([ app.stop(), bare.stop() ]);
    await db.dropDatabase(profile).catch(() => undefined);
    await flushRedis(profile).catch(() => undefined);
  };
  let redisVersion;
  try {
    await db.createDatabase(profile);
    redisVersion = await flushRedis(profile);
    sequelize = db.connect(profile);
    await db.tuneSqliteForLoad(sequelize);
    await runPendingMigrations(sequelize);
    databaseVersion = await db.serverVersion(sequelize);
    log(`database ${databaseVersion}${redisVersion ? `, Redis ${redisVersion}` : ''}: migrated`);

    const seeder = new Seeder(sequelize, { passwordHash: await hashPassword(PASSWORD) });
    log(`seeding ${GROWTH ? GROWTH_USERS[0].toLocaleString('en-US') : PLAN.users.toLocaleString('en-US')} users`);
    await seeder.addUsers(GROWTH ? GROWTH_USERS[0] : PLAN.users);
    const localDb = profile.mysql && [ '127.0.0.1', 'localhost', '::1' ].includes(profile.mysql.host);
    const localRedis = profile.redis && [ '127.0.0.1', 'localhost', '::1' ].includes(profile.redis.host);

    if (MAIN_ROWS) await mainRows({ app, bare, seeder, sequelize, report, localDb, localRedis, profile });

    if (MESSAGING) {
      const plan = messaging.messagingPlan(QUICK);
      const { ids, pairs } = messaging.messagingUsers(plan.sockets);
      log(`messaging: users ${ids[0]}..${ids[ids.length - 1]}, ${pairs.length} friend pairs, ${plan.rate} messages/s target; a fresh server`);
      await seeder.addUsers(Math.max(seeder.users, ids[ids.length - 1]));
      await messaging.seedPairs(seeder, pairs);
      await app.stop();
      const env = messaging.messagingServerEnv(serverEnv(profile, BASE_PORT));
      const tokens = await messaging.mintSessions({ sequelize, profile, ids, secret: env.JWT_SECRET, passwordHash: seeder.passwordHash, passwordFingerprint, env });
      app = new EggServer({ name: 'eggchat', title: APP_TITLE, baseDir: BUILD_DIR, port: BASE_PORT, workers: WORKERS, env, extraArgs: SERVER_ARGS });
      await app.start();
      if (wants('messaging')) {
        report.messaging = await messaging.runMessaging({
          app, sequelize, profile, tokens, ids, pairs, plan, localDb, localRedis, logDir: path.join(BUILD_DIR, 'logs'),
        });
      }
      if (wants('groups')) {
        report.groups = await groups.runGroups({ sequelize, port: BASE_PORT, tokens, ids, plan: groups.groupsPlan(QUICK), cursorFlushMs: Number(env.GROUP_CURSOR_FLUSH_MS || 5000) });
      }
      if (wants('media')) report.media = await media.runMedia({ app, port: BASE_PORT, tokens, ids, plan: media.mediaPlan(QUICK) });
    }

    report.meta = {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      mode: (QUICK ? 'quick' : 'full') + (LABEL ? `-${LABEL}` : ''),
      profile: profile.name,
      profileLabel: profile.label,
      machine: {
        cpu: os.cpus()[0].model.trim(), cores: os.cpus().length, memoryGb: Math.round(os.totalmem() / 2 ** 30),
        os: `${os.type()} ${os.release()}`, node: process.version,
      },
      database: databaseVersion,
      redis: redisVersion,
      workers: WORKERS,
      connections: CONNECTIONS,
      users: PLAN.users,
      durationSeconds: PLAN.duration,
      warmupSeconds: PLAN.warmup,
      bareSeconds: PLAN.bare,
      barePerRow: PLAN.barePerRow,
      autocannon: autocannonVersion,
      ws: require(require.resolve('ws/package.json', { paths: [ ROOT ] })).version,
      serverNodeOptions: process.env.BENCH_SERVER_NODE_OPTIONS || null,
      serverArgs: SERVER_ARGS.join(' ') || null,
      serverEnv: process.env.BENCH_SERVER_ENV || null,
      startEnv: Object.entries(startScriptDefaults()).map(([ name, value ]) => `${name}=${process.env[name] || value}`).join(' ') || null,
      loadBefore,
      commit,
    };
  } finally {
    if (KEEP) {
      log(`--keep: ${app.url}${MAIN_ROWS ? ` and ${bare.url}` : ''} still run; stop them with npx egg-scripts stop --title=${app.title}${MAIN_ROWS ? ` (and --title=${bare.title})` : ''}`);
    } else {
      log('stopping the servers and dropping the bench database');
      await Promise.all([ app.stop(), bare.stop() ]);
    }
    if (sequelize) await sequelize.close().catch(() => undefined);
    if (!KEEP) {
      await db.dropDatabase(profile).catch(err => log(`could not drop the bench database: ${err.message}`));
      await flushRedis(profile).catch(() => undefined);
    }
  }

  report.meta.loadAfter = loadavg();
  report.meta.elapsedSeconds = Math.round((Date.now() - startedAt) / 1000);
  report.targets = evaluateTargets(report);
  report.failures = runFailures(report);
  await publish(report, profile);
  log(`done in ${report.meta.elapsedSeconds} s; errors and timeouts: ${report.failures.length ? report.failures.join('; ') : 'none'}`);
  if (FAIL_ON_ERRORS && report.failures.length) {
    log('--fail-on-errors: the run had errors (see above)');
    process.exitCode = 1;
  }
}

/** The table's rows, the growth curves and the memory after them, on `app` and the bare app beside it. */
async function mainRows({ app, bare, seeder, sequelize, report, localDb, localRedis, profile }) {
  await Promise.all([ app.start(), bare.start() ]);
  const meter = new CpuMeter({
    workers: () => app.workerPids(),
    db: () => (localDb ? processesNamed([ 'mariadbd', 'mysqld' ]) : []),
    redis: () => (localRedis ? processesNamed([ 'redis-server' ]) : []),
  });
  const bareMeter = new CpuMeter({ workers: () => bare.workerPids() });
  // The `floor` row runs on the bare app and reaches MariaDB and Redis: all three are measured.
  const floorMeter = new CpuMeter({ ...meter.groups, workers: () => bare.workerPids() });
  const world = { tokens: {}, users: seeder.users, friendIds: {}, handlerApplications: [] };
  const growth = GROWTH ? { friends: [], search: [], explain: {} } : null;

  const searchGrowth = async users => {
    if (!growth) return;
    await db.analyze(sequelize);
    growth.explain[users] = await db.explainSearch(sequelize, username(Math.floor(users / 2)));
    world.users = users;
    for (const s of searchScenarios(world, CONNECTIONS)) {
      const result = await measure({ url: app.url, connections: s.connections, duration: PLAN.growthDuration, requests: s.requests }, 1, meter);
      await settle(app.url);
      growth.search.push({ users, kind: s.kind, ...result });
      log(`search growth ${users} users ${s.kind} c=${s.connections}: p50 ${result.p50} ms p99 ${result.p99} ms ${result.rps} req/s errors ${result.errors}`);
    }
  };

  if (growth) {
    Object.assign(world.tokens, await loginAll(app.url, [ ACTORS.searcher ]));
    await searchGrowth(GROWTH_USERS[0]);
    log(`seeding up to ${PLAN.users.toLocaleString('en-US')} users`);
    await seeder.addUsers(PLAN.users);
  }
  log('seeding friends and applications');
  await seeder.friends();
  await seeder.applications(PLAN.perHandler);
  await db.analyze(sequelize);
  world.users = seeder.users;
  world.friendIds = seeder.friendIds;
  world.handlerApplications = seeder.handlerApplications;
  report.explain = {
    ...await db.explainSearch(sequelize, username(54321)),
    friendList: await db.explainFriendList(sequelize, ACTORS.f2000),
    ...await db.explainApplyList(sequelize, ACTORS.inbox),
  };

  const actorIds = [ ...Object.values(ACTORS), ...WRITERS, ...HANDLERS ].filter(id => !world.tokens[id]);
  log(`logging in ${actorIds.length} actors through the API`);
  Object.assign(world.tokens, await loginAll(app.url, actorIds));

  // The admin console's rows: a viewer logged in through its form (bench/lib/admin.js).
  // Only when one of its rows runs (a failure there would otherwise stop a run of other rows).
  const adminRows = !ONLY.length || ONLY.some(id => id.startsWith('admin-'));
  const adminCookie = adminRows ? await adminLogin(app.url, await createBenchAdmin(sequelize)) : '';

  report.cold = await firstRequests(app.url, '/api/chat/goodfriendlist/1', world.tokens[ACTORS.f2000], 4);
  log(`first goodfriendlist(2,000) requests: ${report.cold.map(v => v.toFixed(1)).join(', ')} ms`);

  const bareRequests = [ get('/', undefined) ];
  const bareCache = {};
  const bareFor = async connections => {
    if (PLAN.barePerRow || !bareCache[connections]) {
      bareCache[connections] = await measure({ url: bare.url, connections, duration: PLAN.bare, requests: bareRequests }, 0.5, bareMeter);
    }
    return bareCache[connections];
  };

  const scenarios = mainScenarios(world, { connections: CONNECTIONS, floor: !!(profile.mysql && profile.redis) });
  // Before the login row, which stays last (see bench/lib/scenarios.js).
  if (adminRows) scenarios.splice(scenarios.length - 1, 0, ...adminScenarios(world, adminCookie, CONNECTIONS, prng(11)));
  for (const scenario of scenarios.filter(s => !ONLY.length || ONLY.includes(s.id))) {
    const bareResult = await bareFor(scenario.connections);
    // A profiled row: the workers' profilers run exactly while the meter does (after the warm-up).
    // (The `floor` row is served by the bare app: bench/bare/app/floor.js.)
    const server = scenario.onBare ? bare : app;
    const serverMeter = scenario.onBare ? floorMeter : meter;
    const profiling = PROFILE_ROWS.includes(scenario.id) && !scenario.onBare ? app.workerPids() : null;
    const rowMeter = profiling
      ? { start: () => { cpuProfile.profileSignal(profiling); meter.start(); }, stop: requests => meter.stop(requests) }
      : serverMeter;
    const result = await measure({ url: server.url, connections: scenario.connections, duration: PLAN.duration, requests: scenario.requests }, PLAN.warmup, rowMeter);
    const profiles = profiling ? await cpuProfile.collectProfiles(cpuProfile.PROFILE_DIR, profiling, scenario.id) : null;
    await settle(server.url);
    const row = {
      id: scenario.id, label: scenario.label, ...result,
      bare: { rps: bareResult.rps, p50: bareResult.p50, p99: bareResult.p99, errors: bareResult.errors, timeouts: bareResult.timeouts, cpuMsPerRequest: bareResult.cpuMsPerRequest },
    };
    if (profiles) row.cpuProfile = cpuProfile.perRequestProfile(profiles, result.requests);
    report.rows.push(row);
    log(`${scenario.label} c=${scenario.connections}: ${row.rps} req/s (bare ${row.bare.rps}), p50 ${row.p50} ms, p99 ${row.p99} ms, errors ${row.errors}${row.warmupErrors ? ` (+${row.warmupErrors} in warm-up)` : ''}, ${JSON.stringify(row.statusCodes)}, cpu ms/req ${JSON.stringify(row.cpuMsPerRequest)}`);
  }
  report.writeMix = world.writeMix;

  if (growth) {
    for (const { id, friends } of GROWTH_FRIENDS) {
      const result = await measure({ url: app.url, connections: 1, duration: PLAN.growthDuration, requests: [ get('/api/chat/goodfriendlist/1?limit=5000', world.tokens[id]) ] }, 1, meter);
      growth.friends.push({ friends, ...result });
      log(`goodfriendlist growth ${friends} friends: p50 ${result.p50} ms p99 ${result.p99} ms`);
    }
    growth.friendsFit = linearFit(growth.friends.map(p => [ p.friends, p.p50 ]));
    await searchGrowth(PLAN.users);
    const top = GROWTH_USERS[GROWTH_USERS.length - 1];
    log(`seeding up to ${top.toLocaleString('en-US')} users (no user_info rows beyond ${PLAN.users.toLocaleString('en-US')})`);
    await seeder.addUsers(top, { withInfo: false });
    await searchGrowth(top);
    report.growth = growth;
  }

  // Memory right after the last run, and again once the workers have been idle a few seconds.
  report.memory = app.workerMemory();
  await new Promise(resolve => setTimeout(resolve, 5000));
  report.memorySettled = app.workerMemory();
  report.serverErrors = app.errorLog(path.join(BUILD_DIR, 'logs')).length;
  // The messaging rows come next, on a fresh server: the bare app would only take memory and CPU.
  if (MESSAGING) await bare.stop();
}

/** Plots (full run), the table on the terminal, bench/results/<profile>-<mode>.json, docs/BENCHMARKS.md. */
async function publish(report, profile) {
  // Plots for the main runs only; labelled experiment runs keep their growth figures in the tables.
  if (LABEL) delete report.plots;
  if (report.growth && !LABEL) {
    // --no-docs keeps the plots out of docs/ too.
    const docs = WRITE_DOCS ? path.join(ROOT, 'docs') : path.join(DATA_DIR, 'plots');
    fs.mkdirSync(docs, { recursive: true });
    const suffix = (profile.name === 'mariadb-redis' ? '' : `-${profile.name}`) + (LABEL ? `-${LABEL}` : '');
    const fit = report.growth.friendsFit;
    const friendsMax = Math.max(...report.growth.friends.map(p => p.friends));
    const searchSeries = [];
    for (const kind of [ 'exact', 'prefix' ]) {
      const points = report.growth.search.filter(p => p.kind === kind && p.connections === 1);
      searchSeries.push({ name: `${kind} hit: p50`, points: points.map(p => [ p.users, p.p50 ]) });
      searchSeries.push({ name: `${kind} hit: p99`, points: points.map(p => [ p.users, p.p99 ]) });
    }
    report.plots = await renderPngs([
      {
        file: path.join(docs, `bench-goodfriendlist-growth${suffix}.png`),
        title: 'goodfriendlist latency by number of friends',
        subtitle: `${profile.label}; one client; ${report.meta.date}`,
        xLabel: 'friends', yLabel: 'latency (ms)',
        series: [
          { name: 'p50', points: report.growth.friends.map(p => [ p.friends, p.p50 ]) },
          { name: 'p99', points: report.growth.friends.map(p => [ p.friends, p.p99 ]) },
          { name: `fit: ${fit.intercept.toFixed(2)} ms + ${(fit.slope * 1000).toFixed(2)} ms / 1,000 friends`, dashed: true, color: '#888', points: [[ 0, fit.intercept ], [ friendsMax, fit.intercept + fit.slope * friendsMax ]] },
        ],
        xTicks: [ 0, ...report.growth.friends.map(p => p.friends) ],
      },
      {
        file: path.join(docs, `bench-search-growth${suffix}.png`),
        title: 'searchUser latency by number of users',
        subtitle: `${profile.label}; one client; ${report.meta.date}`,
        xLabel: 'users in the table (log scale)', yLabel: 'latency (ms)', xLog: true,
        series: searchSeries,
        xTicks: GROWTH_USERS,
      },
    ]);
  }

  if (report.rows.length) printTable(report.rows);
  if (report.messaging) printGrid(messaging.MESSAGING_HEADER, messaging.messagingRows(report.messaging));
  if (report.groups) printGrid(groups.GROUPS_HEADER, groups.groupsRows(report.groups));
  if (report.media) log(media.mediaMarkdown(report.media));
  for (const t of report.targets) console.log(`${t.met === null ? '  ·' : t.met ? ' ok' : 'MISS'}  ${t.target}: ${t.measured}`);

  const resultsDir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const resultFile = path.join(resultsDir, `${profile.name}-${report.meta.mode}.json`);
  fs.writeFileSync(resultFile, JSON.stringify(report, null, 2) + '\n');
  log(`wrote ${path.relative(ROOT, resultFile)}`);
  if (WRITE_DOCS) log(`wrote ${updateDocs(report, path.join(ROOT, 'docs', 'BENCHMARKS.md'))}`);
  if (PROFILE_ROWS.length && !argv.has('--no-docs')) publishProfiles(report, profile);
}

/** One section per profiled row in docs/BENCHMARKS.md (keyed by profile, row and label). */
function publishProfiles(report, profile) {
  const docsFile = path.join(ROOT, 'docs', 'BENCHMARKS.md');
  const label = process.env.BENCH_LABEL || 'latest';
  const context = { label, profileLabel: profile.label, date: report.meta.date, commit: report.meta.commit, loadBefore: report.meta.loadBefore };
  for (const row of report.rows.filter(r => r.cpuProfile)) {
    cpuProfile.updateProfileDocs(docsFile, `${profile.name}:${row.id}:${label}`, cpuProfile.profileMarkdown({ ...context, row }));
    log(`profile of ${row.id}: ${row.cpuProfile.busyUsPerRequest} µs of sampled JavaScript per request; files ${row.cpuProfile.files.join(', ')}`);
  }
  const target = report.messaging && report.messaging.cpuProfile;
  const step = report.messaging && (report.messaging.steps || []).find(s => s.phase === 'target');
  if (target && step) {
    const row = {
      id: 'messaging', label: 'sendmessage → socket delivery (target step)', connections: 'HTTP keep-alive',
      duration: step.seconds, requests: step.answered200, rps: step.achievedPerSecond, p99: step.e2e && step.e2e.p99, errors: step.failed ?? 'n/a',
      cpuMsPerRequest: step.cpuMsPerMessage, cpuProfile: cpuProfile.perRequestProfile(target, step.answered200),
    };
    cpuProfile.updateProfileDocs(docsFile, `${profile.name}:messaging:${label}`, cpuProfile.profileMarkdown({ ...context, row }));
  }
  if (report.explain && report.explain.applyList) log(`listapplyfriend plan: ${report.explain.applyList}; pending count: ${report.explain.applyCount}`);
}

/** --republish: plots, table and docs again from the stored JSON of this profile and mode (no measuring). */
async function republish() {
  const profile = profileFromEnv();
  const file = path.join(ROOT, 'bench', 'results', `${profile.name}-${(QUICK ? 'quick' : 'full') + (LABEL ? `-${LABEL}` : '')}.json`);
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  report.targets = evaluateTargets(report);
  await publish(report, profile);
}

(argv.has('--republish') ? republish() : main()).catch(err => {
  // SQL errors carry the whole statement: keep the message short.
  const text = String(err && err.stack || err);
  console.error(text.length > 3000 ? text.slice(0, 3000) + ' …' : text);
  if (err && err.parent && err.parent.sqlMessage) console.error(`SQL: ${err.parent.sqlMessage}`);
  process.exitCode = 1;
});
