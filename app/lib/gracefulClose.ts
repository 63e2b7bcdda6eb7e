import type { Server } from 'node:http';

/**
 * On SIGTERM (egg-scripts stop) egg closes the worker's pools and exits at once: requests in flight, and
 * connections the master was still handing to this worker, were reset. Closing the HTTP server first
 * stops this worker from receiving connections (the master refuses new ones once every worker has
 * closed) and lets the requests it has finish; only then do the pools close. Gives up after `timeoutMs`
 * (keep it below EGG_APP_CLOSE_TIMEOUT, 5 s by default, after which the master kills the worker).
 */
export async function drainServer(server: Server | undefined | null, timeoutMs: number): Promise<void> {
  if (!server || !server.listening) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    new Promise<void>(resolve => server.close(() => resolve())),
    new Promise<void>(resolve => { timer = setTimeout(resolve, timeoutMs); }),
  ]);
  if (timer) clearTimeout(timer);
  // Whatever is left (a client that keeps its connection open) is cut now rather than by process exit.
  server.closeAllConnections?.();
}
