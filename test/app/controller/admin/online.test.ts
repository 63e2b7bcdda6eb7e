import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { AdminClient, adminSession } from '../../../helpers/admin';
import { registerUser } from '../../../helpers/api';
import { connectReady, listenApp } from '../../../helpers/socket';
import { eventually } from '../../../helpers/server';
import { processHarness } from '../../../helpers/processDelivery';

/** The dashboard's "online now" figure. */
async function onlineNow(client: AdminClient): Promise<number> {
  const res = await client.get('/admin');
  assert.strictEqual(res.status, 200);
  return Number(/id="count-online">(\d+)</.exec(res.text)![1]);
}

/**
 * "Online now" sums the sockets of every worker of every instance (socket/server.ts ONLINE_FAMILY): this
 * test process's app is one instance, a real 2-worker cluster on the same databases (and Redis, on the
 * production profile) the other. Embedded profile: the second cluster shares the SQLite file, as the
 * workers of one instance do.
 */
describe('test/app/controller/admin/online.test.ts', function() {
  this.timeout(120_000);
  const harness = processHarness();
  let close: () => Promise<void> = () => Promise.resolve();

  after(() => close());

  it('the dashboard counts the sockets of every worker and instance; a worker that dies stops counting within about a heartbeat', async () => {
    const listening = await listenApp(app);
    close = listening.close;
    const { client } = await adminSession(app, 'viewer');
    // Entries of earlier runs' killed processes expire by themselves: the figure before is the baseline.
    const baseline = await onlineNow(client);
    const users = [];
    for (let i = 0; i < 4; i++) users.push(await registerUser(app));

    const here = await connectReady(listening.port, users[0].token);
    harness.clients.push(here);
    const other = await harness.start({ workers: 2, env: { WS_HEARTBEAT_MS: '500' } });
    for (const user of users.slice(1)) harness.clients.push(await connectReady(other.port, user.token));

    // The answering worker holds one socket; the other instance's workers report theirs at their heartbeat.
    assert.strictEqual(app.chatSockets.size >= 1, true);
    const summed = await eventually(5000, async () => (await onlineNow(client)) === baseline + 4);
    assert.ok(summed, `online now ${await onlineNow(client)}, expected ${baseline + 4}`);

    // The other instance dies without a word (SIGKILL: no cleanup): its entries expire (1.5 heartbeats).
    const killedAt = Date.now();
    process.kill(-other.pid, 'SIGKILL');
    const dropped = await eventually(5000, async () => (await onlineNow(client)) === baseline + 1, 100);
    assert.ok(dropped, `online now ${await onlineNow(client)}, expected ${baseline + 1}`);
    assert.ok(Date.now() - killedAt < 2500, `dropped after ${Date.now() - killedAt} ms`);
  });

  it('a socket counts within a second, not at the next heartbeat; a worker that stops cleanly stops counting at once', async () => {
    const { client } = await adminSession(app, 'viewer');
    const user = await registerUser(app);
    // A heartbeat of a minute (entries live 90 s): only the report after a change and the stop can move the figure.
    const other = await harness.start({ workers: 1, env: { WS_HEARTBEAT_MS: '60000' } });
    const baseline = await onlineNow(client);
    harness.clients.push(await connectReady(other.port, user.token));
    const counted = await eventually(3000, async () => (await onlineNow(client)) === baseline + 1, 100);
    assert.ok(counted, `online now ${await onlineNow(client)}, expected ${baseline + 1}`);
    await other.stop();
    assert.strictEqual(await onlineNow(client), baseline);
  });
});
