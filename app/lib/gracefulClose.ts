import type { Server } from 'node:http';

/** The listener stops at the first pause this long in the connections handed to this worker… */
const LULL_MS = 20;
/** …or, under load without such a pause, right after the first connection it takes past this time. */
const HANDOVER_MS = 250;
/** How often keep-alive connections left idle are looked for while draining. */
const SWEEP_MS = 50;

/**
 * Stops `server` listening; resolves when it has stopped.
 *
 * When to stop matters in an egg cluster: the master accepts the connections and hands them to the
 * workers one at a time. When the last worker stops listening, the master closes the port and resets
 * whatever it still holds: connections queued for a busy worker, and one on its way to a worker that
 * stopped meanwhile (the worker sends it back; nobody is left to take it). So the listener stops once
 * the master has had nothing for this worker for a while, and it is checked after the event loop has
 * read what the master sent (setImmediate runs after the poll phase). Under steady load it stops right
 * after taking a connection: the master reads that acknowledgement just before the close.
 * This makes such resets rare, not impossible: a connection that reaches the master (or the kernel's
 * accept queue) while the master has yet to read the last worker's close is still reset, since Node's
 * cluster closes the port and its queue in one step and lets no worker stop the port first.
 */
function stopListening(server: Server, handoverMs: number): Promise<void> {
  return new Promise(resolve => {
    const started = Date.now();
    let lastConnection = started;
    let stopped = false;
    let lull: NodeJS.Timeout | undefined;
    const stop = () => {
      stopped = true;
      clearTimeout(lull);
      server.removeListener('connection', onConnection);
      // http's close() also ends the keep-alive connections idle right now. A connection just accepted
      // counts as busy until its first request is done (Node 20), so it is not cut.
      server.close();
      resolve();
    };
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
  });
}

/**
 * On SIGTERM (egg-scripts stop) egg closes the worker's pools and exits at once: requests in flight, and
 * connections the master was still handing to this worker, were reset. This stops the worker's listener
 * (once every worker has stopped, the port is closed and later connections are refused), lets every
 * connection it has finish its request, and only then lets the pools close. Gives up after `timeoutMs`
 * (keep it below EGG_APP_CLOSE_TIMEOUT, 5 s by default, after which the master kills the worker) and cuts
 * what is left.
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
  const sweeper = setInterval(() => server.closeIdleConnections(), SWEEP_MS);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([ closed, new Promise<void>(resolve => { timer = setTimeout(resolve, Math.max(0, deadline - Date.now())); }) ]);
  clearInterval(sweeper);
  clearTimeout(timer);
  // Past the deadline, whatever is left (a request still running, a client that sends nothing) is cut
  // now rather than by the process exit.
  if (!drained) server.closeAllConnections();
}
