import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, Browser } from 'playwright-core';

/** Chromium of the Debian package (`apt-get install -y chromium`); CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [ '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run' ];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

export interface TryItOutResult {
  /** The status Swagger UI shows for the live response. */
  status: string;
  /** The response body as Swagger UI shows it (pretty-printed JSON). */
  body: string;
  /** URLs the page requested outside the server under test (must stay empty: no CDN). */
  foreignRequests: string[];
  /** Errors thrown by the page's scripts. */
  pageErrors: string[];
  /** Errors Swagger UI reports about the document (parse or resolver errors). */
  specErrors: string;
}

/**
 * Opens `${baseUrl}/docs`, expands POST /api/regChat, presses "Try it out", fills the form body with
 * `username`/`password`, presses "Execute" and reads the live response. Saves a PNG of the operation,
 * from its header to the live response, to `screenshotFile`.
 */
export async function tryRegisterInSwaggerUi(browser: Browser, baseUrl: string, username: string, password: string, screenshotFile: string): Promise<TryItOutResult> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, locale: 'zh-CN' });
  const page = await context.newPage();
  const origin = new URL(baseUrl).origin;
  const foreignRequests: string[] = [];
  const pageErrors: string[] = [];
  page.on('request', request => {
    if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) foreignRequests.push(request.url());
  });
  page.on('pageerror', error => pageErrors.push(String(error)));
  try {
    await page.goto(`${baseUrl}/docs`, { waitUntil: 'load' });
    const operation = page.locator('#operations-Accounts-register');
    await operation.waitFor({ state: 'visible', timeout: 30_000 });
    const errors = page.locator('.swagger-ui .errors-wrapper');
    const specErrors = (await errors.count()) ? await errors.first().innerText() : '';
    await operation.locator('.opblock-summary-control').click();
    await operation.locator('button.try-out__btn').click();

    // The form-urlencoded body (the first media type, what the uni-app client sends): one input per field.
    const body = operation.locator('.opblock-section-request-body');
    await body.locator('tr[data-property-name="username"] input').fill(username);
    await body.locator('tr[data-property-name="password"] input').fill(password);
    await operation.locator('button.execute').click();

    const live = operation.locator('.live-responses-table');
    const status = live.locator('.response .response-col_status').first();
    await status.waitFor({ state: 'visible', timeout: 30_000 });
    const responseBody = live.locator('.response-col_description pre').first();
    await responseBody.waitFor({ state: 'visible', timeout: 30_000 });
    const result = {
      status: (await status.innerText()).trim(),
      body: await responseBody.innerText(),
      foreignRequests,
      pageErrors,
      specErrors,
    };

    // From the operation's header down to the end of the live response (the documented responses follow).
    await page.mouse.move(0, 0);
    const pageBox = (el: Element) => {
      const r = el.getBoundingClientRect();
      return { x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height };
    };
    const top = await operation.evaluate(pageBox);
    const bottom = await live.evaluate(pageBox);
    fs.mkdirSync(path.dirname(screenshotFile), { recursive: true });
    await page.screenshot({
      path: screenshotFile,
      fullPage: true,
      clip: { x: Math.max(0, top.x - 10), y: Math.max(0, top.y - 10), width: top.width + 20, height: bottom.y + bottom.height - top.y + 20 },
    });
    return result;
  } finally {
    await context.close();
  }
}

/**
 * Opens `${baseUrl}/docs`, enters `token` under Authorize → tokenHeader (apiKey, header `token`), then
 * runs POST /api/chat/logout with "Try it out" and returns what Swagger UI shows.
 */
export async function tryLogoutInSwaggerUi(browser: Browser, baseUrl: string, token: string): Promise<{ status: string; body: string; sentToken: string | undefined }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  let sentToken: string | undefined;
  page.on('request', request => {
    if (request.url().endsWith('/api/chat/logout')) sentToken = request.headers().token;
  });
  try {
    await page.goto(`${baseUrl}/docs`, { waitUntil: 'load' });
    await page.locator('.scheme-container button.authorize').click();
    const modal = page.locator('.dialog-ux .modal-ux');
    const apiKey = modal.locator('.auth-container').filter({ hasText: 'tokenHeader' });
    await apiKey.locator('input').fill(token);
    await apiKey.locator('button.authorize').click();
    await modal.locator('button.close-modal').click();

    const operation = page.locator('#operations-Accounts-logout');
    await operation.locator('.opblock-summary-control').click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('button.execute').click();
    const live = operation.locator('.live-responses-table');
    const status = live.locator('.response .response-col_status').first();
    await status.waitFor({ state: 'visible', timeout: 30_000 });
    const body = live.locator('.response-col_description pre').first();
    await body.waitFor({ state: 'visible', timeout: 30_000 });
    return { status: (await status.innerText()).trim(), body: await body.innerText(), sentToken };
  } finally {
    await context.close();
  }
}
