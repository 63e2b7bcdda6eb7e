import * as assert from 'node:assert';
import * as http from 'node:http';
import { app } from 'egg-mock/bootstrap';
import { AppServer, Reply, databaseEnv, startServer } from '../helpers/server';
import { PASSWORD, uniqueName } from '../helpers/api';

/**
 * `egg-scripts stop` sends SIGTERM to the master. Under load, a request a worker has taken must be answered
 * normally (no 5xx from a worker closing its pools under it), and no request the server took may be cut
 * by a connection reset: connections made after the stop are refused at the door (ECONNREFUSED, or a reset
 * of a connection no worker ever read), the master closes the port first without resetting what waits in
 * its accept queue (app/lib/closePortFirst.ts), and the
 * workers close keep-alive connections only between requests (app/lib/gracefulClose.ts). The registrations
 * double-check that no answer was lost: every account created must have had its 200 answer (and that a
 * request sent after the stop and reset at the closed port was never carried out).
 *
 * Two kinds of clients: one connection per request (every request goes through the port) and keep-alive
 * connections (requests go on arriving on connections the workers already hold).
 */

const TOTAL = 210;
const CONCURRENCY = 10;
/** SIGTERM goes to the master after this many answers. */
const STOP_AFTER = 60;
/** A request sent this long before the stop had reached a worker: it must be answered. */
const SETTLED_MS = 20;

interface Sent extends Reply { kind: 'health' | 'search' | 'register'; username?: string; sentAt: number; endedAt: number }

describe('test/outage/gracefulStop.test.ts', function() {
  this.timeout(120_000);

  let server: AppServer | undefined;

  before(() => app.ready());

  afterEach(async () => {
    if (server) await server.stop();
    server = undefined;
  });

  /** A cluster of two workers; afterEach makes sure it is gone. */
  async function startCluster(): Promise<AppServer> {
    server = await startServer({ workers: 2, env: databaseEnv(app.config.sequelize) });
    return server;
  }

  for (const keepAlive of [ false, true ]) {
    const clients = keepAlive ? 'keep-alive connections' : 'a new connection per request';
    it(`SIGTERM to the master mid-load (${clients}): requests in flight are answered, later ones refused at the door, none cut; the cluster exits`, async () => {
      const s = await startCluster();
      const me = uniqueName('grace');
      const reg = await s.call('POST', '/api/regChat', { body: { username: me, password: PASSWORD } });
      assert.strictEqual(reg.status, 200, JSON.stringify(reg.body));
      const token = reg.body.data.token as string;
      const prefix = `gs${Date.now() % 1e8}x`;

      const sent: Sent[] = [];
      let stopSentAt = 0;
      let exitedAt = 0;
      let next = 0;
      s.child.once('exit', () => { exitedAt = Date.now(); });

      const client = async (agent: http.Agent | undefined) => {
        while (next < TOTAL) {
          const i = next++;
          const sentAt = Date.now();
          let reply: Reply;
          let username: string | undefined;
          const kind = ([ 'health', 'search', 'register' ] as const)[i % 3];
          if (kind === 'health') {
            reply = await s.call('GET', '/api/health', { timeoutMs: 15_000, agent });
          } else if (kind === 'search') {
            reply = await s.call('POST', '/api/chat/searchUser', { token, body: { keyword: me }, timeoutMs: 15_000, agent });
          } else {
            username = `${prefix}${i}`;
            reply = await s.call('POST', '/api/regChat', { body: { username, password: PASSWORD }, timeoutMs: 15_000, agent });
          }
          sent.push({ ...reply, kind, username, sentAt, endedAt: Date.now() });
          if (sent.length === STOP_AFTER && !stopSentAt) {
            stopSentAt = Date.now();
            process.kill(s.pid, 'SIGTERM');
          }
        }
      };
      // One connection per client at a time, reused while the server keeps it open.
      const agents = Array.from({ length: CONCURRENCY }, () => (keepAlive ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : undefined));
      await Promise.all(agents.map(client));
      for (const agent of agents) agent?.destroy();
      const deadline = Date.now() + 20_000;
      while (!exitedAt && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100));

      const summary: Record<string, number> = {};
      for (const r of sent) summary[`${r.kind}:${r.error ?? r.status}`] = (summary[`${r.kind}:${r.error ?? r.status}`] ?? 0) + 1;
      // Every request that did not get a 200, with when it was sent and ended relative to the stop signal.
      const odd = sent.filter(r => r.status !== 200 && r.error !== 'ECONNREFUSED').map(r => `${r.kind} ${r.error ?? r.status} sent ${r.sentAt - stopSentAt} ms, ended ${r.endedAt - stopSentAt} ms`);
      const detail = `${JSON.stringify(summary)}\n${odd.join('\n')}\n${s.output().slice(-3000)}`;
      assert.ok(stopSentAt, 'the stop signal was sent');
      assert.strictEqual(sent.length, TOTAL);

      // Every answer is a normal one: nothing failed because the worker was closing its pools.
      for (const r of sent.filter(x => !x.error)) {
        assert.strictEqual(r.status, 200, `${r.kind} answered ${r.status} ${JSON.stringify(r.body)}: ${detail}`);
        assert.strictEqual(r.body.msg, 'ok');
      }
      // A request either got its answer or, sent after the stop, met a closed door: none failed before the
      // stop, none hung. Refused, mostly; a reset is allowed here and nowhere else: while the master holds
      // the port shut (app/lib/closePortFirst.ts) the kernel may complete the handshake of a connection
      // that then waits past the accept queue, and closing the port resets it — before any worker read a
      // byte of it (the registrations below show no request answered this way was carried out).
      for (const r of sent.filter(x => x.error)) {
        assert.ok(r.error === 'ECONNREFUSED' || r.error === 'ECONNRESET', `a ${r.kind} sent ${r.sentAt - stopSentAt} ms after the stop failed: ${r.error}: ${detail}`);
        assert.ok(r.sentAt >= stopSentAt, `a ${r.kind} sent before the stop got ${r.error}: ${detail}`);
      }
      // Requests in flight when the stop began were answered, not cut: the workers drain before closing.
      const inFlight = sent.filter(r => r.sentAt <= stopSentAt - SETTLED_MS && r.endedAt >= stopSentAt);
      for (const r of inFlight) assert.strictEqual(r.status, 200, `a ${r.kind} in flight at the stop got ${r.error ?? r.status}: ${detail}`);
      assert.ok(sent.some(r => r.status === 200 && r.endedAt > stopSentAt), `nothing was answered after the stop signal: ${detail}`);
      assert.ok(sent.some(r => r.error === 'ECONNREFUSED'), `no request was refused: the load did not outlast the stop: ${detail}`);
      // No answer was lost: every account that exists got its 200.
      const registered = sent.filter(r => r.kind === 'register');
      const created = await app.model.User.findAll({ where: { username: registered.map(r => r.username!) }, attributes: [ 'username' ], raw: true });
      const answered = new Set(registered.filter(r => r.status === 200).map(r => r.username));
      assert.deepStrictEqual(created.map(u => u.username).sort(), [ ...answered ].sort(), `accounts created without their answer: ${detail}`);
      // The cluster goes away by itself.
      assert.ok(exitedAt, `the master did not exit within 20 s of SIGTERM: ${detail}`);
      const lastAnswer = Math.max(...sent.filter(r => r.status === 200).map(r => r.endedAt)) - stopSentAt;
      // eslint-disable-next-line no-console
      console.log(`      ${JSON.stringify(summary)}; in flight at the stop: ${inFlight.length}; last answer ${lastAnswer} ms, master exited ${exitedAt - stopSentAt} ms after SIGTERM`);
    });
  }
});
