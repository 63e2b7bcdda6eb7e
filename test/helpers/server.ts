import { ChildProcess, spawn } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { recordToken } from './api';

/**
 * Real processes for the outage and graceful-stop tests: the app as an egg cluster (test/helpers/serve.ts),
 * a spare redis-server and a TCP proxy in front of MySQL that a test can cut and restore. Loopback only.
 */

const BASE_DIR = path.resolve(__dirname, '..', '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

export interface Reply {
  status: number;
  body: any;
  headers: http.IncomingHttpHeaders;
  /** Milliseconds from sending to the end of the response (or to the error). */
  ms: number;
  /** Set instead of status when no HTTP answer came: ECONNREFUSED, ECONNRESET, TIMEOUT, … */
  error?: string;
}

export interface CallOptions {
  body?: Record<string, unknown>;
  token?: string;
  timeoutMs?: number;
  /** A keep-alive agent to reuse connections with; without it every request has a connection of its own. */
  agent?: http.Agent;
}

/**
 * One request with a deadline: a hang shows as error 'TIMEOUT'. On a fresh connection (no keep-alive)
 * unless `options.agent` is given. Tokens found in answers are recorded for test/zz-logs.test.ts.
 */
export function call(port: number, method: string, urlPath: string, options: CallOptions = {}): Promise<Reply> {
  const started = Date.now();
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  return new Promise(resolve => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const done = (reply: Omit<Reply, 'ms'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...reply, ms: Date.now() - started });
    };
    const headers: http.OutgoingHttpHeaders = options.agent ? {} : { connection: 'close' };
    if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': payload.length });
    if (options.token) headers.token = options.token;
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers, agent: options.agent ?? false }, res => {
      const chunks: Buffer[] = [];
      res.on('data', chunk => chunks.push(chunk));
      res.on('error', (err: any) => done({ status: 0, body: undefined, headers: res.headers, error: err.code || err.message }));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: any = text;
        try { body = JSON.parse(text); } catch { /* not JSON: the assertion shows the text */ }
        recordToken(body?.data?.token);
        done({ status: res.statusCode || 0, body, headers: res.headers });
      });
    });
    timer = setTimeout(() => {
      req.destroy();
      done({ status: 0, body: undefined, headers: {}, error: 'TIMEOUT' });
    }, options.timeoutMs ?? 10_000);
    req.on('error', (err: any) => done({ status: 0, body: undefined, headers: {}, error: err.code || err.message }));
    req.end(payload);
  });
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise(resolve => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Signals the whole process group, then waits until nothing of it is left (SIGKILL after `graceMs`). */
async function killGroup(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  const pid = child.pid!;
  try { process.kill(-pid, signal); } catch { /* already gone */ }
  await waitForExit(child, graceMs);
  const deadline = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(50);
  if (groupAlive(pid) || (child.exitCode === null && child.signalCode === null)) {
    try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    await waitForExit(child, 2000);
    while (groupAlive(pid)) await sleep(50);
  }
}

export interface AppServer {
  port: number;
  /** The master's pid (also its process group). */
  pid: number;
  child: ChildProcess;
  /** stdout + stderr of the cluster so far (for failure messages). */
  output(): string;
  call(method: string, urlPath: string, options?: CallOptions): Promise<Reply>;
  /** SIGTERM to the master's group (what egg-scripts stop does), SIGKILL if it lingers; waits until all exited. */
  stop(): Promise<void>;
}

const live = new Set<AppServer>();
// A crashed test must not leave servers behind.
process.once('exit', () => {
  for (const server of live) {
    try { process.kill(-server.pid, 'SIGKILL'); } catch { /* gone */ }
  }
});

/**
 * Starts the app as a real egg cluster (master + agent + `workers` app workers) on a free port and
 * waits until GET /api/health answers (any status: a test may start it with a dependency down).
 * `env` is laid over the test process's environment; a value `undefined` removes the variable.
 */
export async function startServer(options: { env?: Record<string, string | undefined>; workers?: number; readyTimeoutMs?: number } = {}): Promise<AppServer> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    EGG_SERVER_ENV: 'unittest',
    EGG_TYPESCRIPT: 'true',
    PORT: String(port),
    HOST: '127.0.0.1',
    WORKERS: String(options.workers ?? 1),
    // Every request comes from 127.0.0.1: the throttles must not get in the way of the tests.
    LOGIN_FAIL_LIMIT_ACCOUNT: '100000',
    LOGIN_FAIL_LIMIT_IP: '100000',
    REGISTER_LIMIT_IP: '100000',
    APPLY_LIMIT_DAILY: '100000',
    EGG_APP_CLOSE_TIMEOUT: '5000',
    EGG_AGENT_CLOSE_TIMEOUT: '3000',
  };
  for (const [ key, value ] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const child = spawn(process.execPath, [ '-r', 'ts-node/register/transpile-only', path.join(BASE_DIR, 'test', 'helpers', 'serve.ts') ], {
    cwd: BASE_DIR,
    env,
    detached: true,
    stdio: [ 'ignore', 'pipe', 'pipe' ],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  const server: AppServer = {
    port,
    pid: child.pid!,
    child,
    output: () => output,
    call: (method, urlPath, callOptions) => call(port, method, urlPath, callOptions),
    stop: async () => {
      live.delete(server);
      await killGroup(child, 'SIGTERM', 15_000);
    },
  };
  live.add(server);

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      live.delete(server);
      throw new Error(`the server exited before answering (code ${child.exitCode}, signal ${child.signalCode}):\n${output.slice(-4000)}`);
    }
    const reply = await call(port, 'GET', '/api/health', { timeoutMs: 3000 });
    // One worker answers as soon as it listens, but the master counts the cluster started only once every
    // worker has: a worker that dies before that (a test's SIGKILL) makes the master exit, port and all.
    if (reply.status && (allWorkersStarted(output) || Date.now() > deadline)) return server;
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`the server did not answer /api/health within ${options.readyTimeoutMs ?? 60_000} ms:\n${output.slice(-4000)}`);
    }
    await sleep(200);
  }
}

/** egg-cluster's master says this once all app workers have started. */
function allWorkersStarted(output: string): boolean {
  return output.includes('[master] egg started on');
}

/** Retries `attempt` until it returns a truthy value or `ms` pass; answers the last value. */
export async function eventually<T>(ms: number, attempt: () => Promise<T>, pauseMs = 200): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await attempt();
    if (value || Date.now() > deadline) return value;
    await sleep(pauseMs);
  }
}

// ---------------------------------------------------------------------------------------------------
// A spare redis-server

export interface RedisProcess {
  port: number;
  child: ChildProcess;
  /** Stops the process (SIGKILL: an outage, not a clean shutdown); its data is gone. */
  kill(): Promise<void>;
}

async function redisPing(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', chunk => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) finish(answer.startsWith('+PONG'));
    });
  });
}

/** Sends one command to a Redis server over a raw connection and answers the first reply line. */
export function redisCommand(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(2000, () => {
      socket.destroy();
      reject(new Error(`redis ${args[0]}: no answer`));
    });
    socket.on('error', reject);
    socket.on('connect', () => socket.write(`*${args.length}\r\n${args.map(a => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
    socket.on('data', chunk => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) {
        socket.destroy();
        resolve(answer.split('\r\n')[0]);
      }
    });
  });
}

/** Starts `redis-server` on `port` (a free one by default) without persistence; resolves when it answers PING. */
export async function startRedis(port?: number): Promise<RedisProcess> {
  const chosen = port ?? await freePort();
  const child = spawn('redis-server', [ '--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no' ], {
    stdio: 'ignore',
  });
  const failed = new Promise<never>((_, reject) => child.once('error', reject));
  const ready = (async () => {
    const deadline = Date.now() + 10_000;
    while (!await redisPing(chosen)) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} (port ${chosen} taken?)`);
      if (Date.now() > deadline) throw new Error('redis-server did not answer PING within 10 s');
      await sleep(50);
    }
  })();
  await Promise.race([ ready, failed ]);
  return {
    port: chosen,
    child,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await waitForExit(child, 5000);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// A TCP proxy in front of MySQL

export interface TcpProxy {
  port: number;
  /** Resets every proxied connection and stops listening: new connections are refused. */
  cut(): Promise<void>;
  /**
   * A black hole: every byte in either direction is held back, new connections are accepted and never
   * answered (a peer that hangs, or a network that drops packets, rather than one that refuses).
   */
  stall(): void;
  /** Ends a cut or a stall (held connections are reset) and proxies again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let stalled = false;
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = net.createServer(client => {
    track(client);
    if (stalled) return;
    const upstream = net.connect(targetPort, targetHost);
    track(upstream);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    client.on('data', chunk => { if (!stalled) upstream.write(chunk); });
    upstream.on('data', chunk => { if (!stalled) client.write(chunk); });
  });
  const listen = (port: number) => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  const resetAll = () => {
    for (const socket of sockets) socket.resetAndDestroy ? socket.resetAndDestroy() : socket.destroy();
  };
  const cut = async () => {
    const closed = new Promise<void>(resolve => (server.listening ? server.close(() => resolve()) : resolve()));
    resetAll();
    await closed;
  };
  return {
    port,
    cut,
    stall: () => { stalled = true; },
    restore: async () => {
      if (stalled) {
        stalled = false;
        resetAll();
      }
      if (!server.listening) await listen(port);
    },
    close: async () => {
      stalled = false;
      await cut();
    },
  };
}

/**
 * The environment that points a server process at the same database as the test process's app
 * (app.config.sequelize), optionally through `via` (the MySQL proxy). Never hard-codes credentials.
 */
export function databaseEnv(sequelize: any, via?: { host: string; port: number }): Record<string, string | undefined> {
  if (sequelize.dialect === 'mysql') {
    const user = encodeURIComponent(sequelize.username || '');
    const password = sequelize.password ? `:${encodeURIComponent(sequelize.password)}` : '';
    const host = via?.host ?? sequelize.host;
    const port = via?.port ?? sequelize.port ?? 3306;
    return {
      DATABASE_URL: `mysql://${user}${password}@${host}:${port}/${encodeURIComponent(sequelize.database)}`,
      SQLITE_FILE: undefined,
      // The test process's app applied the migrations already.
      DB_AUTO_MIGRATE: '0',
    };
  }
  return { DATABASE_URL: undefined, SQLITE_FILE: sequelize.storage, DB_AUTO_MIGRATE: '0' };
}
