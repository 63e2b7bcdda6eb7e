import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { app } from 'egg-mock/bootstrap';
import { Browser } from 'playwright-core';
import sharp from 'sharp';
import { assertFail, assertOk, post, registerUser } from '../helpers/api';
import { ADMIN_PASSWORD, createAdmin } from '../helpers/admin';
import { canvasPainted, loginInBrowser, openWatchedPage } from '../helpers/adminBrowser';
import { CHROMIUM_PATH, launchChromium } from '../helpers/swaggerUi';
import { connectReady, listenApp } from '../helpers/socket';
import { MSG } from '../../app/lib/messages';

/**
 * The admin console in headless Chromium against the app on a real port (sockets too): log in → the
 * dashboard's counts and a drawn chart → search a user → disable (its token answers 401, its socket
 * closes) → enable → the audit page lists both; and a nickname `<img src=x onerror=alert(1)>` shows as
 * text (no dialog). Screenshots go to docs/img/admin-*.png with UPDATE_DOCS_SCREENSHOT=1
 * (`npm run docs:screenshot`), to a temporary folder otherwise.
 */
const SHOTS = process.env.UPDATE_DOCS_SCREENSHOT === '1' ? path.join(__dirname, '../../docs/img') : fs.mkdtempSync(path.join(os.tmpdir(), 'eggchat-admin-'));
const XSS = '<img src=x onerror=alert(1)>';

describe('test/admin/console.browser.test.ts', function() {
  this.timeout(120_000);
  let browser: Browser | undefined;
  let listening: { port: number; close(): Promise<void> } | undefined;
  let baseUrl = '';

  before(async function() {
    if (!fs.existsSync(CHROMIUM_PATH)) {
      // eslint-disable-next-line no-console
      console.log(`      SKIPPED: no Chromium at ${CHROMIUM_PATH} (install it with: apt-get install -y chromium, or set CHROMIUM_PATH)`);
      this.skip();
    }
    listening = await listenApp(app);
    baseUrl = `http://127.0.0.1:${listening.port}`;
    browser = await launchChromium();
  });

  after(async () => {
    if (browser) await browser.close();
    if (listening) await listening.close();
  });

  it('log in → dashboard → search → disable (401, socket closed) → enable → audit; nothing foreign, no dialog', async () => {
    const admin = await createAdmin(app, 'operator');
    const user = await registerUser(app);
    assertOk(await post(app, '/api/chat/updateUserinfo', user.token).send({ fieldname: 'nickname', fieldValue: XSS }));
    const socket = await connectReady(listening!.port, user.token);
    const watched = await openWatchedPage(browser!, baseUrl);
    const { page } = watched;
    try {
      await loginInBrowser(page, baseUrl, admin.username, ADMIN_PASSWORD);
      const users = Number(await page.textContent('#count-users'));
      const [{ n }] = await app.model.query("SELECT COUNT(*) AS n FROM `user` WHERE is_deleted = 0 AND role <> 'visitor'", { type: 'SELECT' }) as any[];
      assert.strictEqual(users, Number(n));
      await page.waitForSelector('#chart-registrations[data-drawn="7"]', { timeout: 15_000 });
      await page.waitForSelector('#chart-messages[data-drawn="168"]', { timeout: 15_000 });
      assert.ok(await canvasPainted(page, '#chart-registrations') > 100, 'the registrations chart is painted');
      await page.screenshot({ path: path.join(SHOTS, 'admin-dashboard.png'), fullPage: true });

      await page.click('#nav-users');
      await page.fill('#search-q', user.username);
      await Promise.all([ page.waitForURL(/\/admin\/users\?q=/), page.click('#search-submit') ]);
      const rows = page.locator('#users tbody tr');
      assert.strictEqual(await rows.count(), 1);
      assert.ok((await rows.first().innerText()).includes(XSS), 'the nickname shows as text');
      assert.strictEqual(await page.locator('#users img[src="x"]').count(), 0, 'no element made of it');
      await page.screenshot({ path: path.join(SHOTS, 'admin-users.png'), fullPage: true });

      await Promise.all([ page.waitForURL(`${baseUrl}/admin/users/${user.id}`), page.click('#users a.user-link') ]);
      await Promise.all([ page.waitForURL(`${baseUrl}/admin/users/${user.id}`), page.click('#disable') ]);
      assert.strictEqual((await page.textContent('#detail-status'))!.trim(), '禁用');
      const code = await Promise.race([ socket.closed, new Promise(resolve => setTimeout(() => resolve('still open'), 1000)) ]);
      assert.notStrictEqual(code, 'still open', 'the socket closed within a second');
      assertFail(await post(app, '/api/chat/getUserSetInfo', user.token), 401, MSG.authUserDisabled);

      await Promise.all([ page.waitForURL(`${baseUrl}/admin/users/${user.id}`), page.click('#enable') ]);
      assert.strictEqual((await page.textContent('#detail-status'))!.trim(), '启用');

      await page.click('#nav-audit');
      await page.waitForSelector('#audit');
      const actions = await page.locator('#audit td.action').allInnerTexts();
      assert.ok(actions.includes('user.disable') && actions.includes('user.enable'), actions.join(','));
      assert.ok(actions.indexOf('user.enable') < actions.indexOf('user.disable'), 'newest first');

      assert.deepStrictEqual(watched.dialogs, [], 'no dialog fired');
      assert.deepStrictEqual(watched.pageErrors, []);
      assert.deepStrictEqual(watched.foreignRequests, [], 'no CDN: everything from this server');
      assert.deepStrictEqual(watched.cspViolations, [], 'nothing the policy had to block');
    } finally {
      socket.ws.terminate();
      await watched.close();
    }
  });

  it('auto-answers: list → search → edit → the change shows; a new user with an avatar file, another by the edit form: the image shows', async () => {
    const admin = await createAdmin(app, 'operator');
    const owner = await registerUser(app);
    const ask = `营业时间_${owner.id}`;
    const created = assertOk(await post(app, '/api/chat/askanswer/create', owner.token).send({ type: 'single', create_userId: owner.id, ask, answer: '9 点到 18 点' }));
    const entryId = Number(created.id);
    const red = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 10, b: 30 } } }).png().toBuffer();
    const blue = await sharp({ create: { width: 40, height: 40, channels: 3, background: { r: 10, g: 20, b: 220 } } }).png().toBuffer();
    const watched = await openWatchedPage(browser!, baseUrl);
    const { page } = watched;
    try {
      await loginInBrowser(page, baseUrl, admin.username, ADMIN_PASSWORD);
      await page.click('#nav-askanswers');
      await page.waitForSelector('#askanswers');
      await page.fill('#ask-q', ask);
      await Promise.all([ page.waitForURL(/\/admin\/askanswers\?q=/), page.click('#ask-search-submit') ]);
      const hits = page.locator('#askanswers a.ask-link');
      assert.deepStrictEqual(await hits.allInnerTexts(), [ String(entryId) ]);
      await Promise.all([ page.waitForURL(`${baseUrl}/admin/askanswers/${entryId}`), hits.first().click() ]);
      await page.fill('textarea[name="answer"]', '周末 10 点到 16 点 <b>照常</b>');
      await Promise.all([ page.waitForURL(`${baseUrl}/admin/askanswers/${entryId}`), page.click('#ask-save') ]);
      assert.strictEqual(await page.textContent('#answer-text'), '周末 10 点到 16 点 <b>照常</b>');
      const [ row ] = await app.model.query('SELECT answer FROM askanswer WHERE id = ?', { replacements: [ entryId ], type: 'SELECT' }) as any[];
      assert.strictEqual(row.answer, '周末 10 点到 16 点 <b>照常</b>');

      // A new user with an avatar file (the form's file field, multipart), then another through the edit form.
      const username = `ava_${process.pid % 1000}_${Date.now() % 100000}`;
      await page.click('#nav-users');
      await Promise.all([ page.waitForURL(`${baseUrl}/admin/users/new`), page.click('#new-user-link') ]);
      await page.fill('#new-user input[name="username"]', username);
      await page.fill('#new-user input[name="password"]', 'secret999');
      await page.setInputFiles('#new-avatar-file', { name: 'red.png', mimeType: 'image/png', buffer: red });
      await Promise.all([ page.waitForURL(/\/admin\/users\/\d+$/), page.click('#new-user button[type="submit"]') ]);
      assert.strictEqual(await page.textContent('#detail-username'), username);
      const shown = async () => page.$eval('#detail-avatar', async (img: any) => {
        if (!img.complete) await new Promise(resolve => img.addEventListener('load', resolve, { once: true }));
        return { src: img.getAttribute('src'), width: img.naturalWidth, height: img.naturalHeight };
      });
      const first = await shown();
      assert.match(first.src, /^\/public\/uploads\/Diy\/avatars\/\d{8}\/\d{13}_[0-9a-f]{24}\.png$/);
      assert.deepStrictEqual([ first.width, first.height ], [ 64, 48 ], 'the stored image is loaded and drawn');

      await page.setInputFiles('#avatar-file', { name: 'blue.png', mimeType: 'image/png', buffer: blue });
      await Promise.all([ page.waitForURL(/\/admin\/users\/\d+$/), page.click('#profile-form button[type="submit"]') ]);
      const second = await shown();
      assert.notStrictEqual(second.src, first.src);
      assert.deepStrictEqual([ second.width, second.height ], [ 40, 40 ]);
      // The edit form without a file (the browser's empty file part) keeps the stored avatar.
      await page.fill('#profile-form input[name="nickname"]', '改了昵称');
      await Promise.all([ page.waitForURL(/\/admin\/users\/\d+$/), page.click('#profile-form button[type="submit"]') ]);
      assert.strictEqual((await shown()).src, second.src);

      assert.deepStrictEqual(watched.dialogs, []);
      assert.deepStrictEqual(watched.pageErrors, []);
      assert.deepStrictEqual(watched.foreignRequests, []);
      assert.deepStrictEqual(watched.cspViolations, [], 'the forms and the image stay inside the policy');
    } finally {
      await watched.close();
    }
  });

  it('English by the browser language, and the switch back to Chinese', async () => {
    const admin = await createAdmin(app, 'viewer');
    const watched = await openWatchedPage(browser!, baseUrl, 'en-US');
    try {
      await loginInBrowser(watched.page, baseUrl, admin.username, ADMIN_PASSWORD);
      assert.strictEqual(await watched.page.textContent('h1'), 'Dashboard');
      await watched.page.click('text=中文');
      assert.strictEqual(await watched.page.textContent('h1'), '仪表盘');
    } finally {
      await watched.close();
    }
  });
});
