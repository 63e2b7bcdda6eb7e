import { app } from 'egg-mock/bootstrap';
import { AppServer, databaseEnv, startServer } from './server';
import { PASSWORD, recordToken, uniqueName } from './api';
import { assertOkReply } from './outage';
import { ChatClient } from './socket';

/** Shared by the delivery tests that run real server processes (test/outage/*Delivery.test.ts). */

export interface Account { id: number; username: string; token: string }

/** A server process on the suite's databases, with the send throttle out of the way. */
export function deliveryServerEnv(): Record<string, string | undefined> {
  return { ...databaseEnv(app.config.sequelize), REDIS_URL: process.env.REDIS_URL, SEND_LIMIT_10S: '100000' };
}

/** An account registered through the real route of `server` (its token recorded for the log scan). */
export async function registerOn(server: AppServer, prefix: string): Promise<Account> {
  const username = uniqueName(prefix);
  const data = assertOkReply(await server.call('POST', '/api/regChat', { body: { username, password: PASSWORD } }), 'register');
  recordToken(data.token);
  return { id: data.id, username, token: data.token };
}

/**
 * The processes and sockets a test starts, stopped after each test (the servers' output printed when it
 * failed). Call inside a `describe`.
 */
export function processHarness() {
  const servers: AppServer[] = [];
  const clients: Array<{ stop(): void } | ChatClient> = [];

  afterEach(async function() {
    for (const client of clients.splice(0)) (client as any).stop ? (client as any).stop() : (client as ChatClient).ws.terminate();
    if (this.currentTest?.state === 'failed') {
      // eslint-disable-next-line no-console
      for (const server of servers) console.log(server.output().slice(-3000));
    }
    for (const server of servers.splice(0)) await server.stop();
  });

  return {
    clients,
    /** A server process on the suite's databases, stopped after the test. */
    async start(options: { workers: number; env?: Record<string, string | undefined> }): Promise<AppServer> {
      const server = await startServer({ ...options, env: { ...deliveryServerEnv(), ...options.env } });
      servers.push(server);
      return server;
    },
    servers,
  };
}
