import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { call, Reply, sleep } from '../helpers/server';
import { PASSWORD, recordToken, uniqueName } from '../helpers/api';

/**
 * The ensemble `npm run cluster:up` started (scripts/cluster.sh): its ports and URLs from CLUSTER_DIR/env,
 * and the few operations the tests do on its processes (SQL on the replica, a Redis node killed and
 * restarted, an instance killed and restarted).
 */
export const CLUSTER_DIR = process.env.CLUSTER_DIR || '/tmp/eggchat-cluster';
export const ROOT = path.join(__dirname, '..', '..');

function readEnv(): Record<string, string> {
  const file = path.join(CLUSTER_DIR, 'env');
  if (!fs.existsSync(file)) throw new Error(`${file} missing: run npm run cluster:up first (or npm run test:cluster)`);
  const env: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line);
    if (match) env[match[1]] = match[2].replace(/^"|"$/g, '');
  }
  return env;
}

export const env = readEnv();
const portOf = (url: string) => Number(new URL(url).port);
export const A = portOf(env.APP_A_URL);
export const B = portOf(env.APP_B_URL);
export const NGINX = portOf(env.NGINX_URL);
export const REDIS_PORTS = env.REDIS_PORTS.split(' ').map(Number);

export interface Account { id: number; username: string; token: string }

export function ok(reply: Reply, what: string): any {
  assert.strictEqual(reply.status, 200, `${what}: ${reply.status} ${reply.error ?? ''} ${JSON.stringify(reply.body)}`);
  assert.strictEqual(reply.body?.msg, 'ok', `${what}: ${JSON.stringify(reply.body)}`);
  return reply.body.data;
}

export async function register(port: number, prefix = 'cl'): Promise<Account> {
  const username = uniqueName(prefix);
  const data = ok(await call(port, 'POST', '/api/regChat', { body: { username, password: PASSWORD } }), 'register');
  recordToken(data.token);
  return { id: data.id, username, token: data.token };
}

/** `target` accepts anyone (invite_confirm 0), then `me` adds them: friends both ways, made by `me`. */
export async function befriend(port: number, me: Account, target: Account, targetPort = port): Promise<void> {
  ok(await call(targetPort, 'POST', '/api/chat/updateUserinfo', { token: target.token, body: { fieldname: 'invite_confirm', fieldValue: 0 } }), 'invite_confirm 0');
  ok(await call(port, 'POST', '/api/chat/autoAddFriendAndAgree', { token: me.token, body: { friend_id: target.id } }), 'autoAddFriendAndAgree');
}

/** The user ids in someone's contact list (goodfriendlist). */
export async function friendIds(port: number, who: Account): Promise<number[]> {
  const data = ok(await call(port, 'GET', '/api/chat/goodfriendlist', { token: who.token }), 'goodfriendlist');
  const ids: number[] = [];
  for (const section of data.rows.newList) for (const friend of section.list) ids.push(Number(friend.friend_id));
  return [ ...new Set(ids) ];
}

/** Root SQL on the replica or the primary (over the data directory's socket, as the script set it up). */
export function sql(which: 'primary' | 'replica', statement: string): string {
  const socket = which === 'primary' ? env.DB_PRIMARY_SOCKET : env.DB_REPLICA_SOCKET;
  return execFileSync('mariadb', [ '--no-defaults', '-uroot', `--socket=${socket}`, '-N', '-e', statement ]).toString();
}

export function redisCli(port: number, ...args: string[]): string {
  return execFileSync('redis-cli', [ '-p', String(port), ...args ]).toString();
}

/** The port of the master holding `key`'s slot, as node `via` sees it (after a kill: ask a living node). */
export function masterOf(key: string, via = REDIS_PORTS[0]): number {
  const slot = Number(redisCli(via, 'cluster', 'keyslot', key).trim());
  for (const line of redisCli(via, 'cluster', 'nodes').split('\n')) {
    const fields = line.split(' ');
    if (!fields[2]?.includes('master') || fields[2].includes('fail')) continue;
    for (const range of fields.slice(8)) {
      const [ from, to = from ] = range.split('-').map(Number);
      if (slot >= from && slot <= to) return Number(fields[1].split(':')[1].split('@')[0]);
    }
  }
  throw new Error(`no master for slot ${slot}`);
}

function pidFrom(file: string): number {
  return Number(fs.readFileSync(file, 'utf8').trim());
}

/** SIGSTOP / SIGCONT to the replica's mariadbd: it stops answering without closing its connections. */
export function pauseReplica(paused: boolean): void {
  const pidFile = path.join(path.dirname(env.DB_REPLICA_SOCKET), 'mysqld.pid');
  process.kill(pidFrom(pidFile), paused ? 'SIGSTOP' : 'SIGCONT');
}

export function killRedis(port: number): void {
  process.kill(pidFrom(path.join(CLUSTER_DIR, `redis-${port}`, 'redis.pid')), 'SIGKILL');
}

/** Starts killed nodes again with the script's settings: they rejoin the cluster (a master whose slots were
 *  taken over as a replica), then waits until every node says the cluster is ok. */
export async function restartRedis(...ports: number[]): Promise<void> {
  for (const port of ports) {
    const dir = path.join(CLUSTER_DIR, `redis-${port}`);
    execFileSync('redis-server', [ '--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'yes', '--dir', dir,
      '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000',
      '--appendonly', 'yes', '--save', '', '--pidfile', path.join(dir, 'redis.pid'), '--logfile', path.join(dir, 'redis.log') ]);
  }
  await waitUntil(30_000, () => {
    try {
      return REDIS_PORTS.every(p => /cluster_state:ok/.test(redisCli(p, 'cluster', 'info')));
    } catch {
      return false; // a node not listening yet
    }
  }, 'cluster_state ok everywhere');
  // A node that came back as a replica can take over only once it is in sync (a later test may kill its master).
  await waitUntil(30_000, () => ports.every(port => {
    const replication = redisCli(port, 'info', 'replication');
    return /role:master/.test(replication) || /master_link_status:up/.test(replication);
  }), 'restarted replicas in sync');
}

/** Waits until every replica of the master on `port` has its replication link up (it could take over). */
export async function replicasInSync(port: number): Promise<void> {
  const id = redisCli(port, 'cluster', 'myid').trim();
  await waitUntil(30_000, () => {
    const replicas = redisCli(port, 'cluster', 'replicas', id).trim().split('\n')
      .filter(Boolean)
      .map(line => Number(line.split(' ')[1].split(':')[1].split('@')[0]));
    return replicas.length > 0 && replicas.every(replica => /master_link_status:up/.test(redisCli(replica, 'info', 'replication')));
  }, `the replicas of :${port} in sync`);
}

/** SIGKILL to an instance's whole process group (master, agent, worker). */
export function killInstance(name: 'a' | 'b' | 'c'): void {
  process.kill(-pidFrom(path.join(CLUSTER_DIR, `app-${name}.pid`)), 'SIGKILL');
}

/**
 * Starts an instance (again) with the script's settings, resolving once it answers; `extraEnv` overrides the
 * env file's (APP_EXTRA_ENV). Asynchronous: this process keeps running meanwhile (partition.cluster.ts's
 * proxies forward the new instance's traffic).
 */
export async function restartInstance(name: 'a' | 'b' | 'c', port: number, extraEnv: Record<string, string> = {}): Promise<void> {
  const APP_EXTRA_ENV = Object.entries(extraEnv).map(([ key, value ]) => `${key}=${value}`).join(' ');
  await promisify(execFile)('bash', [ path.join(ROOT, 'scripts', 'cluster.sh'), 'start-app', name, String(port) ], { env: { ...process.env, CLUSTER_DIR, APP_EXTRA_ENV } });
}

export async function waitUntil(ms: number, test: () => boolean | Promise<boolean>, what: string, pauseMs = 200): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(pauseMs);
  }
}
