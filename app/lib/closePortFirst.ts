/**
 * Preloaded into the egg master (package.json `eggScriptsConfig.require`; test/helpers/serve.ts): on a stop
 * signal the master closes the port before any worker stops, and without resetting a connection.
 *
 * Why: in Node's cluster the master owns the listening socket and hands each accepted connection to a
 * worker. Left to itself it closes the socket when the last worker has stopped listening, and closing a
 * listening socket resets every connection still in the kernel's accept queue: under load, requests that
 * were sent were answered with ECONNRESET. No worker can prevent that (Node 20 has no reusePort).
 *
 * How, in the master, before egg's own handler stops the workers:
 * 1. the socket's backlog is set to 0: the kernel keeps at most one connection waiting and drops further
 *    SYNs without an answer (a dropped SYN is retried by the client after a second);
 * 2. the master stops taking connections for STOP_PORT_HOLD_MS (it blocks: its event loop does nothing
 *    else useful at that point; the workers go on answering what they have). Clients that get their
 *    answer meanwhile and connect again are held at the door by the full queue;
 * 3. the master takes what is queued, hands it to a worker as usual, and closes the socket right after.
 *    A client retrying its SYN finds the port closed: ECONNREFUSED, a refusal before anything was sent.
 *
 * Relies on Node's round-robin handle (the default scheduling policy on Linux): the master's net.Server
 * gives its listening handle to the cluster, which replaces the handle's connection callback.
 */
import cluster = require('node:cluster');
// The real module object (not an import namespace copy): the cluster looks createServer up on it.
import net = require('node:net');
import * as path from 'node:path';

const STOP_SIGNALS: NodeJS.Signals[] = [ 'SIGTERM', 'SIGINT', 'SIGQUIT' ];

interface TcpHandle {
  fd: number;
  onconnection: unknown;
  listen(backlog: number): number;
  close(): void;
}

interface SeenListener {
  server: net.Server;
  handle: TcpHandle;
  /** The connection callback net.Server installed; the cluster swaps in its own when it takes the handle. */
  ownCallback: unknown;
}

function holdMs(): number {
  const value = Number(process.env.STOP_PORT_HOLD_MS ?? 250);
  return Number.isInteger(value) && value >= 0 ? value : 250;
}

/** Listening handles the cluster has taken over from their net.Server, still open. */
function clusterPorts(seen: SeenListener[]): TcpHandle[] {
  return seen
    .filter(({ server, handle, ownCallback }) => (server as any)._handle === null && handle.onconnection !== ownCallback && handle.fd >= 0)
    .map(({ handle }) => handle);
}

function closeWithoutResets(ports: TcpHandle[], ms: number) {
  for (const port of ports) port.listen(0);
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  // The signal arrives in the poll phase; the next poll phase accepts what is queued and hands it to the
  // workers (libuv accepts until the queue is empty); the check phase after it closes the port.
  setImmediate(() => setImmediate(() => {
    for (const port of ports) port.close();
  }));
}

export function install() {
  // The preload reaches every process of the cluster; only the master forks workers. egg's agent is a
  // primary too, forked by the master: its signals are left as they are.
  const agent = path.basename(process.argv[1] ?? '') === 'agent_worker.js';
  if (!(cluster as any).isPrimary || agent || (global as any).__eggchatClosePortFirst) return;
  (global as any).__eggchatClosePortFirst = true;

  const seen: SeenListener[] = [];
  const createServer = net.createServer;
  // The cluster creates its server through the `net` module's export; the listener added here runs before
  // the cluster's own, while the server still holds its handle.
  (net as any).createServer = function(this: unknown, ...args: unknown[]) {
    const server: net.Server = (createServer as any).apply(this, args);
    server.once('listening', () => {
      const handle = (server as any)._handle as TcpHandle | null;
      if (handle && typeof handle.listen === 'function') seen.push({ server, handle, ownCallback: handle.onconnection });
    });
    return server;
  };

  let stopping = false;
  const onStop = () => {
    if (stopping) return;
    stopping = true;
    const ports = clusterPorts(seen);
    if (ports.length) closeWithoutResets(ports, holdMs());
  };
  // Registered before egg-cluster's handlers (this file is preloaded), so it runs first.
  for (const signal of STOP_SIGNALS) process.on(signal, onStop);
}

install();
