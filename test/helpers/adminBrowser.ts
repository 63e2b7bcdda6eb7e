import { Browser, Page } from 'playwright-core';

/** A console page in Chromium that records what must never happen: dialogs (XSS), script errors, foreign scripts or styles. */
export interface WatchedPage {
  page: Page;
  dialogs: string[];
  pageErrors: string[];
  foreignRequests: string[];
  cspViolations: string[];
  close(): Promise<void>;
}

export async function openWatchedPage(browser: Browser, baseUrl: string, locale = 'zh-CN'): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, locale });
  const page = await context.newPage();
  const origin = new URL(baseUrl).origin;
  const watched: WatchedPage = { page, dialogs: [], pageErrors: [], foreignRequests: [], cspViolations: [], close: () => context.close() };
  page.on('dialog', dialog => {
    watched.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', error => watched.pageErrors.push(String(error)));
  page.on('console', message => {
    if (/Content Security Policy/i.test(message.text())) watched.cspViolations.push(message.text());
  });
  // Users' avatars are their own addresses (images only, CSP img-src); scripts, styles, fonts must be this server's.
  page.on('request', request => {
    if (request.resourceType() === 'image') return;
    if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) watched.foreignRequests.push(request.url());
  });
  return watched;
}

/** Logs in through the form; resolves on the dashboard. */
export async function loginInBrowser(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/admin/login`, { waitUntil: 'load' });
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await Promise.all([ page.waitForURL(`${baseUrl}/admin`), page.click('#login-form button[type="submit"]') ]);
}

/** Whether a canvas has painted pixels (a chart was drawn, not only created). */
export function canvasPainted(page: Page, selector: string): Promise<number> {
  return page.$eval(selector, (canvas: any) => {
    const context = canvas.getContext('2d');
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
    return painted;
  });
}
