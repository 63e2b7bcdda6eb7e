import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { resetDatabase } from '../../../helpers/db';
import { AdminClient, adminSession } from '../../../helpers/admin';
import { assertOk, post, registerUser } from '../../../helpers/api';
import { befriend } from '../chat/groupHelpers';

function decode(attribute: string): any {
  return JSON.parse(attribute.replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
}

describe('test/app/controller/admin/dashboard.test.ts', () => {
  before(() => resetDatabase(app));

  it('GET /admin: counts, and the two series (7 days, 168 hours) in a data- attribute for the charts', async () => {
    const [ a, b ] = [ await registerUser(app), await registerUser(app) ];
    await befriend(app, a, [ b ]);
    assertOk(await post(app, '/api/chat/socket/sendmessage', a.token).send({ sendto_id: b.id, chatType: 'single', type: 'text', data: 'hello' }));
    const { client } = await adminSession(app, 'viewer');
    const res = await client.get('/admin');
    assert.strictEqual(res.status, 200);
    assert.match(res.text, /id="count-users">2</);
    assert.match(res.text, /id="count-visitors">0</);
    assert.match(res.text, /id="count-messages">1</);
    const charts = decode(/data-charts="([^"]+)"/.exec(res.text)![1]);
    assert.strictEqual(charts.registrations.labels.length, 7);
    assert.strictEqual(charts.registrations.values[6], 2, 'both registered today');
    assert.strictEqual(charts.messages.values.length, 168);
    assert.strictEqual(charts.messages.values.reduce((x: number, y: number) => x + y, 0), 1);
    assert.match(res.text, /<script src="\/admin\/assets\/chart\.umd\.min\.js"><\/script>/);
  });

  it('GET /admin/assets/:file serves Chart.js and the console files from the app; nothing else', async () => {
    const client = new AdminClient(app);
    const chart = await client.get('/admin/assets/chart.umd.min.js');
    assert.strictEqual(chart.status, 200);
    assert.match(chart.headers['content-type'], /javascript/);
    assert.ok(String(chart.text || chart.body).length > 100000);
    assert.strictEqual((await client.get('/admin/assets/admin.css')).status, 200);
    for (const name of [ '..%2Fpackage.json', 'admin.js.map', '__proto__', 'chart.js' ]) {
      assert.strictEqual((await client.get(`/admin/assets/${name}`)).status, 404, name);
    }
  });
});
