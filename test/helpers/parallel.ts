import { MockApplication as Application } from 'egg-mock';
import * as http from 'node:http';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const mockHttpServer: (app: Application) => http.Server = require('egg-mock/lib/mock_http_server');

/**
 * Sends `count` requests at the same moment and answers their responses in order.
 *
 * egg-mock shares one http.Server between requests and supertest starts it for the first request
 * that finds it stopped — and closes it when that request ends, resetting the connections of the
 * other requests still in flight (ECONNRESET: a harness artefact, not a server answer). So the
 * server is kept listening for the whole burst.
 */
export async function inParallel<T>(app: Application, count: number, send: (index: number) => PromiseLike<T>): Promise<T[]> {
  const server = mockHttpServer(app);
  const started = !server.listening;
  if (started) await new Promise<void>(resolve => server.listen(0, resolve));
  try {
    return await Promise.all(Array.from({ length: count }, (_, index) => send(index)));
  } finally {
    if (started) await new Promise<void>(resolve => server.close(() => resolve()));
  }
}
