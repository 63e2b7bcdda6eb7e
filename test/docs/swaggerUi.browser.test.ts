import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { AddressInfo } from 'node:net';
import { app } from 'egg-mock/bootstrap';
import { Browser } from 'playwright-core';
import { assertFail, registerUser, post, uniqueName, PASSWORD } from '../helpers/api';
import { CHROMIUM_PATH, launchChromium, tryLogoutInSwaggerUi, tryRegisterInSwaggerUi } from '../helpers/swaggerUi';
import { MSG } from '../../app/lib/messages';

/**
 * Swagger UI in headless Chromium against a real HTTP server: POST /api/regChat → "Try it out" →
 * Execute must show 200 with "msg": "ok". The screenshot goes to docs/img/swagger-register.png with
 * UPDATE_DOCS_SCREENSHOT=1 (`npm run docs:screenshot`), to a temporary file otherwise, so that
 * `npm test` leaves the tracked PNG alone.
 */
const SCREENSHOT = process.env.UPDATE_DOCS_SCREENSHOT === '1'
  ? path.join(__dirname, '../../docs/img/swagger-register.png')
  : path.join(os.tmpdir(), `eggchat-swagger-register-${process.pid}.png`);

describe('test/docs/swaggerUi.browser.test.ts', function() {
  this.timeout(120_000);
  let server: http.Server | undefined;
  let browser: Browser | undefined;
  let baseUrl = '';

  before(async function() {
    if (!fs.existsSync(CHROMIUM_PATH)) {
      // eslint-disable-next-line no-console
      console.log(`      SKIPPED: no Chromium at ${CHROMIUM_PATH} (install it with: apt-get install -y chromium, or set CHROMIUM_PATH)`);
      this.skip();
    }
    await app.ready();
    server = http.createServer(app.callback());
    await new Promise<void>(resolve => server!.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  after(async () => {
    if (browser) await browser.close();
    if (server) await new Promise(resolve => server!.close(resolve));
  });

  it('registers a user through "Try it out" on POST /api/regChat and shows 200 "msg": "ok"', async () => {
    const username = uniqueName('swagger');
    const result = await tryRegisterInSwaggerUi(browser!, baseUrl, username, PASSWORD, SCREENSHOT);
    assert.deepStrictEqual(result.pageErrors, []);
    assert.strictEqual(result.specErrors, '', 'Swagger UI loaded /docs/openapi.yaml without errors');
    assert.deepStrictEqual(result.foreignRequests, [], 'everything comes from this server (no CDN)');
    assert.strictEqual(result.status, '200', result.body);
    assert.match(result.body, /"msg": "ok"/);
    assert.ok(result.body.includes(`"username": "${username}"`), result.body);
    assert.match(result.body, /"token": "[\w-]+\.[\w-]+\.[\w-]+"/);
    // The request really reached the server.
    assert.ok(await app.model.User.findOne({ where: { username } }));

    const png = fs.readFileSync(SCREENSHOT);
    assert.ok(png.subarray(0, 8).equals(Buffer.from([ 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a ])), 'a PNG');
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    assert.ok(width >= 800 && width <= 1400, `width ${width}`);
    assert.ok(height >= 400 && height <= 4000, `height ${height}`);
    assert.ok(png.length < 1_000_000, `${png.length} bytes`);
    if (process.env.UPDATE_DOCS_SCREENSHOT !== '1') fs.unlinkSync(SCREENSHOT);
  });

  it('sends the token entered under "Authorize" (apiKey header `token`) with "Try it out"', async () => {
    const user = await registerUser(app);
    const result = await tryLogoutInSwaggerUi(browser!, baseUrl, user.token);
    assert.strictEqual(result.sentToken, user.token);
    assert.strictEqual(result.status, '200', result.body);
    assert.match(result.body, /"data": true/);
    assertFail(await post(app, '/api/chat/logout', user.token), 401, MSG.authInvalid);
  });
});
