'use strict';
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { ROOT, DATA_DIR } = require('./profile');
const { log, run, sleep } = require('./util');

const EGG_SCRIPTS = require.resolve('egg-scripts/bin/egg-scripts.js', { paths: [ ROOT ] });
const EGG_FRAMEWORK = path.dirname(require.resolve('egg/package.json', { paths: [ ROOT ] }));

function portFree(port) {
  return new Promise(resolve => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => resolve(true));
  });
}

/** Pids of this title's egg processes (master, agent, workers) from /proc: nothing else is touched. */
function eggProcesses(title) {
  const marker = `"title":"${title}"`;
  const found = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline;
    try {
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (!cmdline.includes(marker)) continue;
    const role = cmdline.includes('app_worker.js') ? 'worker' : cmdline.includes('agent_worker.js') ? 'agent' : cmdline.includes('start-cluster') ? 'master' : null;
    if (role) found.push({ pid: Number(entry), role });
  }
  return found;
}

/** Resident memory of a process in MB: now (VmRSS) or its peak so far (VmHWM). */
function rssMb(pid, field = 'VmRSS') {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(status);
    return match ? Math.round(Number(match[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

const CLOCK_TICKS = (() => {
  try {
    const output = require('node:child_process').execFileSync('getconf', [ 'CLK_TCK' ]).toString();
    return Number(output.trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time the whole machine has spent busy (everything but idle and iowait), in ms. */
function machineBusyMs() {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const fields = line.trim().split(/\s+/).slice(1)
    .map(Number);
  const [ user, nice, system, , , irq, softirq, steal ] = fields;
  return ((user + nice + system + irq + softirq + (steal || 0)) * 1000) / CLOCK_TICKS;
}

/**
 * CPU time (user + system) a process has used so far, in ms; null once it is gone. `pid` may also be
 * `<pid>/task/<tid>`: one thread of it (see mainThread).
 */
function cpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** The JavaScript thread of a process, for CpuMeter (its other threads: libuv's pool, V8's GC and compiler). */
const mainThread = pid => `${pid}/task/${pid}`;

/** Pids of local processes by executable name (the database and Redis servers), read from /proc. */
function processesNamed(names) {
  const found = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (names.includes(fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim())) found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}

/**
 * CPU used by groups of processes between start() and stop(): the eggchat workers, the database server,
 * Redis, and the bench itself (autocannon). Per request it is far steadier than req/s on a shared machine.
 */
class CpuMeter {
  constructor(groups) {
    this.groups = groups;
  }

  start() {
    this.before = Object.fromEntries(Object.entries(this.groups).map(([ name, pids ]) => [ name, pids().map(pid => [ pid, cpuMs(pid) ]) ]));
    this.self = process.cpuUsage();
  }

  /** ms of CPU per request for each group. */
  stop(requests) {
    const perRequest = {};
    for (const [ name, samples ] of Object.entries(this.before)) {
      let used = 0;
      for (const [ pid, before ] of samples) {
        const after = cpuMs(pid);
        if (after !== null && before !== null) used += after - before;
      }
      perRequest[name] = requests ? Math.round((used / requests) * 1000) / 1000 : null;
    }
    const self = process.cpuUsage(this.self);
    perRequest.loadgen = requests ? Math.round(((self.user + self.system) / 1000 / requests) * 1000) / 1000 : null;
    return perRequest;
  }
}

class EggServer {
  /**
   * @param {object} options what to start
   * @param {string} options.name label in the bench's output
   * @param {string} options.title egg-scripts --title, also what stops it
   * @param {string} options.baseDir the app's directory
   * @param {number} options.port HTTP port
   * @param {number} options.workers app workers
   * @param {object} options.env environment of the server
   * @param {string[]} [options.extraArgs] more egg-scripts flags (an experiment, e.g. --no-sourcemap)
   */
  constructor({ name, title, baseDir, port, workers, env, extraArgs = [] }) {
    Object.assign(this, { name, title, baseDir, port, workers, env, extraArgs });
    this.logDir = path.join(DATA_DIR, 'logs', name);
    this.started = false;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    if (eggProcesses(this.title).length) {
      log(`${this.title} is still running from an earlier run: stopping it first`);
      await this.stop(true);
    }
    if (!await portFree(this.port)) throw new Error(`port ${this.port} is taken; set BENCH_PORT to another base port`);
    fs.mkdirSync(this.logDir, { recursive: true });
    const args = [
      EGG_SCRIPTS, 'start', '--daemon',
      `--title=${this.title}`,
      `--port=${this.port}`,
      `--workers=${this.workers}`,
      `--framework=${EGG_FRAMEWORK}`,
      `--stdout=${path.join(this.logDir, 'master-stdout.log')}`,
      `--stderr=${path.join(this.logDir, 'master-stderr.log')}`,
      '--timeout=120000',
      ...this.extraArgs,
      this.baseDir,
    ];
    const startedAt = Date.now();
    this.started = true;
    const result = await run(process.execPath, args, { cwd: ROOT, env: this.env, allowFailure: true });
    if (result.code !== 0) throw new Error(`${this.title} did not start:\n${result.output}`);
    log(`${this.name} started on ${this.url} (${this.workers} workers, ${((Date.now() - startedAt) / 1000).toFixed(1)} s)`);
  }

  async stop(force = false) {
    if (!this.started && !force) return;
    await run(process.execPath, [ EGG_SCRIPTS, 'stop', `--title=${this.title}` ], { cwd: ROOT, allowFailure: true });
    for (let i = 0; i < 20 && eggProcesses(this.title).length; i++) await sleep(250);
    this.started = false;
  }

  workerPids() {
    return eggProcesses(this.title).filter(p => p.role === 'worker').map(p => p.pid);
  }

  /** Resident memory of each app worker, in MB. */
  workerMemory() {
    return eggProcesses(this.title).filter(p => p.role === 'worker').map(p => ({ pid: p.pid, rssMb: rssMb(p.pid), peakRssMb: rssMb(p.pid, 'VmHWM') }));
  }

  /** Lines of the server's error log (ERROR entries), for the "no errors" check. */
  errorLog(baseLogDir) {
    const file = path.join(baseLogDir, 'common-error.log');
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, 'utf8').split('\n').filter(line => /\bERROR\b/.test(line));
  }
}

module.exports = { EggServer, CpuMeter, eggProcesses, processesNamed, rssMb, mainThread, machineBusyMs };
