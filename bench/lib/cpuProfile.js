'use strict';
/**
 * CPU profiles of the eggchat workers' JavaScript threads, taken by bench/lib/serverHook.js on SIGURG
 * (V8's sampling profiler through node:inspector, 500 µs interval), and what they say:
 *
 *   - `npm run bench -- --profile=<row>[,<row>…]` (bench/run.js): a profile of both workers during the
 *     measured seconds of each of these rows, summarised as self time per request by function and by
 *     area (package / app file), written to the JSON and to a section of docs/BENCHMARKS.md;
 *   - `BENCH_CPU_PROFILE=1` or `--profile=messaging` (bench/lib/messaging.js): the idle window and the
 *     target step of the messaging rows.
 *
 * The profiler costs the workers CPU too (a few percent at this interval): a profiled run's CPU per
 * request is read beside the unprofiled runs', not mixed with them.
 */
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, DATA_DIR } = require('./profile');
const { sleep, round } = require('./util');

const PROFILE_DIR = path.join(DATA_DIR, 'profiles');
const SERVER_HOOK = path.join(__dirname, 'serverHook.js');
const GC_DIR = path.join(DATA_DIR, 'gc');

/**
 * The environment that loads serverHook.js into the server's processes (NODE_OPTIONS --require): the
 * GC-and-memory signal always, the CPU profiler and the heap snapshots when their directory is given
 * (each emptied first).
 */
function hookEnv(baseEnv, { profileDir = null, snapshotDir = null, stallDir = null } = {}) {
  fs.mkdirSync(GC_DIR, { recursive: true });
  for (const dir of [ profileDir, snapshotDir, stallDir ].filter(Boolean)) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
  }
  return {
    ...baseEnv,
    NODE_OPTIONS: [ baseEnv.NODE_OPTIONS, `--require=${SERVER_HOOK}` ].filter(Boolean).join(' '),
    BENCH_GC_DIR: GC_DIR,
    ...(profileDir ? { BENCH_CPU_PROFILE_DIR: profileDir } : {}),
    ...(snapshotDir ? { BENCH_HEAP_SNAPSHOT_DIR: snapshotDir } : {}),
    ...(stallDir ? { BENCH_STALL_DIR: stallDir } : {}),
  };
}

/** Where a URL of a CPU profile belongs: the app's file, a package, Node's internals. */
function area(url) {
  if (!url) return null;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const app = /\.data\/build\/(.+)$/.exec(url);
  if (app) return app[1];
  if (url.startsWith('node:')) return 'node internals';
  return url.replace(/^file:\/\//, '');
}

/**
 * Self time of a .cpuprofile by function and by area (package / app file), in ms and as a share of the
 * busy time (everything but "(idle)").
 */
function summarizeProfile(profile, n = 15) {
  const total = (profile.endTime - profile.startTime) / 1000;
  const perHit = total / (profile.samples.length || 1);
  const byFunction = new Map();
  const byArea = new Map();
  let idle = 0;
  for (const node of profile.nodes) {
    if (!node.hitCount) continue;
    const ms = node.hitCount * perHit;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += ms;
      continue;
    }
    const where = area(url) || functionName;
    const key = `${functionName || '(anonymous)'} ${url ? `${where}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(key, (byFunction.get(key) || 0) + ms);
    byArea.set(where, (byArea.get(where) || 0) + ms);
  }
  const busy = total - idle;
  const top = map => [ ...map.entries() ].sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([ name, ms ]) => ({ name, ms: round(ms, 0), share: round(ms / busy, 3) }));
  return { totalMs: round(total, 0), busyMs: round(busy, 0), functions: top(byFunction), areas: top(byArea) };
}

/** Starts (or, the second time, stops and writes) the profiler of each process. */
function profileSignal(pids) {
  for (const pid of pids) process.kill(pid, 'SIGURG');
}

/** Stops the workers' profilers, keeps their files as <pid>-<name>.cpuprofile and answers their summaries. */
async function collectProfiles(dir, pids, name) {
  profileSignal(pids);
  const deadline = Date.now() + 30_000;
  while (pids.some(pid => !fs.existsSync(path.join(dir, `${pid}.cpuprofile`))) && Date.now() < deadline) await sleep(200);
  await sleep(500);
  return pids.map(pid => {
    const written = path.join(dir, `${pid}.cpuprofile`);
    if (!fs.existsSync(written)) return { pid, missing: true };
    const file = path.join(dir, `${pid}-${name}.cpuprofile`);
    fs.renameSync(written, file);
    return { pid, file: path.relative(ROOT, file), ...summarizeProfile(JSON.parse(fs.readFileSync(file, 'utf8'))) };
  });
}

/**
 * The workers' profiles of one row merged: self time per request (µs) by function and by area, over
 * all workers, from the profile files themselves (the per-worker summaries keep only their top lines).
 */
function perRequestProfile(profiles, requests, n = 12) {
  const byFunction = new Map();
  const byArea = new Map();
  let busy = 0;
  for (const p of profiles.filter(x => !x.missing)) {
    const summary = summarizeProfile(JSON.parse(fs.readFileSync(path.join(ROOT, p.file), 'utf8')), Infinity);
    busy += summary.busyMs;
    for (const [ map, list ] of [[ byFunction, summary.functions ], [ byArea, summary.areas ]]) {
      for (const { name, ms } of list) map.set(name, (map.get(name) || 0) + ms);
    }
  }
  const top = map => [ ...map.entries() ].sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([ name, ms ]) => ({ name, usPerRequest: round((ms * 1000) / requests, 1), share: round(ms / busy, 3) }));
  return {
    files: profiles.map(p => p.file || `(missing: ${p.pid})`),
    requests,
    busyUsPerRequest: round((busy * 1000) / requests, 1),
    functions: top(byFunction),
    areas: top(byArea),
  };
}

const cell = text => String(text).replace(/\|/g, '\\|');

/** The markdown of one profiled row: its CPU figures and the top functions and areas per request. */
function profileMarkdown({ label, profileLabel, date, commit, loadBefore, row }) {
  const p = row.cpuProfile;
  const cpu = row.cpuMsPerRequest || {};
  const lines = [];
  lines.push(`#### ${row.label} — ${label}, ${profileLabel}, ${date}`);
  lines.push('');
  lines.push(`Server built from ${commit || 'n/a'}; load average before the run ${loadBefore}; ${row.connections} connections, ${row.duration} s measured, ` +
    `${row.requests.toLocaleString('en-US')} requests (${row.rps} req/s, p99 ${row.p99} ms, ${row.errors} errors). CPU per request, profiler running: ` +
    `workers ${cpu.workers} ms, database ${cpu.db ?? 'n/a'} ms, Redis ${cpu.redis ?? 'n/a'} ms; bare app ${row.bare && row.bare.cpuMsPerRequest ? row.bare.cpuMsPerRequest.workers : 'n/a'} ms in the same run. ` +
    `Sampled JavaScript busy time: ${p.busyUsPerRequest} µs per request (the rest of the workers' CPU is GC threads, libuv, the kernel).`);
  lines.push('');
  lines.push('| self time by function | µs/req | share | | by area | µs/req | share |');
  lines.push('| --- | ---: | ---: | --- | --- | ---: | ---: |');
  for (let i = 0; i < Math.max(p.functions.length, p.areas.length); i++) {
    const f = p.functions[i];
    const a = p.areas[i];
    lines.push(`| ${f ? `\`${cell(f.name)}\` | ${f.usPerRequest} | ${(f.share * 100).toFixed(1)} %` : ' | | '} | | ${a ? `${cell(a.name)} | ${a.usPerRequest} | ${(a.share * 100).toFixed(1)} %` : ' | | '} |`);
  }
  return lines.join('\n');
}

/**
 * Writes (or replaces) the section of a profiled row in docs/BENCHMARKS.md, keyed by database profile,
 * row and label (BENCH_LABEL, e.g. "before" / "after"), under the `<!-- bench:profiles -->` anchor.
 */
function updateProfileDocs(docsFile, key, markdown) {
  const start = `<!-- profile:${key}:start -->`;
  const end = `<!-- profile:${key}:end -->`;
  const block = `${start}\n${markdown}\n${end}`;
  let text = fs.readFileSync(docsFile, 'utf8');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from !== -1 && to > from) {
    text = text.slice(0, from) + block + text.slice(to + end.length);
  } else {
    const anchor = '<!-- bench:profiles -->';
    text = text.includes(anchor) ? text.replace(anchor, `${anchor}\n\n${block}`) : `${text.trimEnd()}\n\n${block}\n`;
  }
  fs.writeFileSync(docsFile, text);
  return path.relative(ROOT, docsFile);
}

module.exports = { PROFILE_DIR, GC_DIR, hookEnv, area, summarizeProfile, profileSignal, collectProfiles, perRequestProfile, profileMarkdown, updateProfileDocs };
