import type { Server } from 'node:http';
import * as net from 'node:net';

/** The listener stops at the first pause this long in the connections handed to this worker… */
const LULL_MS = 20;
/** …or, under load without such a pause, right after the first connection it takes past this time. */
const HANDOVER_MS = 250;
/** How often keep-alive connections left idle are looked for while draining. */
const SWEEP_MS = 50;
/**
 * While draining, a keep-alive connection is closed only once it has been idle this long. A client busy on
 * it sends its next request within a moment, gets its answer with `Connection: close`, and the connection
 * ends cleanly; closing it in that moment instead would meet the request on its way (a reset).
 */
const KEEP_ALIVE_GRACE_MS = 1000;

interface Activity {
  /** Requests of this connection not yet answered. */
  busy: number;
  /** When it was accepted or last finished answering. */
  since: number;
}

const trackedConnections = new WeakMap<Server, Map<net.Socket, Activity>>();

/**
 * Keeps, for every connection of `server`, whether it has a request running and since when it has been idle,
 * for drainServer. Call once, when the server is created (app.ts).
 */
export function trackConnections(server: Server) {
  if (trackedConnections.has(server)) return;
  const connections = new Map<net.Socket, Activity>();
  trackedConnections.set(server, connections);
  server.on('connection', (socket: net.Socket) => {
    connections.set(socket, { busy: 0, since: Date.now() });
    socket.once('close', () => connections.delete(socket));
  });
  server.on('request', (req, res) => {
    const activity = connections.get(req.socket);
    if (!activity) return;
    activity.busy++;
    res.once('close', () => {
      activity.busy--;
      activity.since = Date.now();
    });
  });
}

/** Ends the connections idle for `graceMs` or more (all idle ones for a server that is not tracked). */
function closeIdle(server: Server, graceMs: number) {
  const connections = trackedConnections.get(server);
  if (!connections) return server.closeIdleConnections();
  const now = Date.now();
  for (const [ socket, activity ] of connections) {
    if (activity.busy === 0 && now - activity.since >= graceMs) socket.destroy();
  }
}

/**
 * Stops `server` listening; resolves when it has stopped.
 *
 * When to stop matters in an egg cluster: the master accepts the connections and hands them to the
 * workers one at a time. When the last worker stops listening, the master closes the port and resets
 * whatever it still holds: connections queued for a busy worker, and one on its way to a worker that
 * stopped meanwhile (the worker sends it back; nobody is left to take it). With app/lib/closePortFirst.ts
 * loaded the master closes the port itself first, handing out what was queued just before; without it
 * (a master started some other way) the port closes with the last worker. Either way the listener stops
 * once the master has had nothing for this worker for a while, checked after the event loop has read what
 * the master sent (setImmediate runs after the poll phase), or, under steady load, right after taking a
 * connection: the master reads that acknowledgement just before the close.
 */
function stopListening(server: Server, handoverMs: number): Promise<void> {
  return new Promise(resolve => {
    const started = Date.now();
    let lastConnection = started;
    let stopped = false;
    let lull: NodeJS.Timeout | undefined;
    let fallback: NodeJS.Timeout | undefined;
    const stop = () => {
      stopped = true;
      clearTimeout(lull);
      clearTimeout(fallback);
      server.removeListener('connection', onConnection);
      // http's close() also ends every keep-alive connection idle right now, including one whose client is
      // sending its next request at this moment. With the connections tracked, only the listener stops here
      // and the idle ones are ended by closeIdle after their grace.
      if (trackedConnections.has(server)) net.Server.prototype.close.call(server);
      else server.close();
      resolve();
    };
    // A timer that fires a little before LULL_MS by Date.now() (it counts from the event loop's cached time)
    // does not stop the listener: under steady load the next connection past HANDOVER_MS does. Re-arming it
    // instead was tried and reset connections the master still had on their way (gracefulStop.test.ts).
    const stopAfterLull = () => setImmediate(() => {
      if (!stopped && Date.now() - lastConnection >= LULL_MS) stop();
    });
    function onConnection() {
      lastConnection = Date.now();
      clearTimeout(lull);
      if (lastConnection - started >= handoverMs) return stop();
      lull = setTimeout(stopAfterLull, LULL_MS);
    }
    if (handoverMs <= 0) return stop();
    server.on('connection', onConnection);
    lull = setTimeout(stopAfterLull, LULL_MS);
    // The lull check compares Date.now() with the last connection, and the timer counts from the event
    // loop's cached time: it often fires a millisecond "early" and then does not stop. Under load the next
    // connection past `handoverMs` stops the listener; with none coming, this does (without it the drain
    // never began and the worker waited for the master's kill).
    fallback = setTimeout(() => setImmediate(() => { if (!stopped) stop(); }), handoverMs * 2);
  });
}

/**
 * On SIGTERM (egg-scripts stop) egg closes the worker's pools and exits at once: requests in flight, and
 * connections the master was still handing to this worker, were reset. This stops the worker's listener
 * (the port itself is closed by the master: later connections are refused), lets every connection it has
 * finish its request (answered with `Connection: close`), ends keep-alive connections once idle for a
 * grace (KEEP_ALIVE_GRACE_MS; needs trackConnections), and only then lets the pools close. Gives up after
 * `timeoutMs` (keep it below EGG_APP_CLOSE_TIMEOUT, 5 s by default, after which the master kills the
 * worker) and cuts what is left.
 */
export async function drainServer(server: Server | undefined | null, timeoutMs: number): Promise<void> {
  if (!server || !server.listening) return;
  const deadline = Date.now() + timeoutMs;
  // Answers from now on close their connection instead of keeping it for another request.
  server.on('request', (_req, res) => { res.shouldKeepAlive = false; });
  // 'close' comes when the listener has stopped and the last connection has ended.
  let drained = false;
  const closed = new Promise<void>(resolve => server.once('close', () => {
    drained = true;
    resolve();
  }));
  await stopListening(server, Math.min(HANDOVER_MS, timeoutMs / 4));
  // A keep-alive answer to a request that began before the stop leaves its connection open for the next
  // one; left alone it would hold the drain until the deadline.
  const graceMs = Math.min(KEEP_ALIVE_GRACE_MS, timeoutMs / 3);
  const sweeper = setInterval(() => closeIdle(server, graceMs), SWEEP_MS);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([ closed, new Promise<void>(resolve => { timer = setTimeout(resolve, Math.max(0, deadline - Date.now())); }) ]);
  clearInterval(sweeper);
  clearTimeout(timer);
  // Past the deadline, whatever is left (a request still running, a client that sends nothing) is cut
  // now rather than by the process exit.
  if (!drained) server.closeAllConnections();
}
