import * as assert from 'node:assert';
import { MockApplication as Application } from 'egg-mock';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { seedConsoleAdmin } = require('../../database/seeders/20261202000510-admin-console-owner');

export const ADMIN_PASSWORD = 'Console2026pass';

let counter = 0;
/** Creates a console account the way `npm run admin:create` does (the seeder's function). */
export async function createAdmin(app: Application, role: 'owner' | 'operator' | 'viewer', username = `adm_${role}_${process.pid % 1000}_${++counter}`) {
  return seedConsoleAdmin(app.model.getQueryInterface(), { username, password: ADMIN_PASSWORD, role }) as Promise<{ id: number; username: string; role: string }>;
}

/** The hidden CSRF field of a page's first form. */
export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  assert.ok(match, 'the page has no CSRF field');
  return match[1];
}

/**
 * A browser-like client of the console over egg-mock's server: keeps its cookies (the session cookie
 * is path /admin, like the browser would scope it) and reads the CSRF field of the last page.
 */
export class AdminClient {
  readonly cookies = new Map<string, string>();
  csrf = '';

  constructor(readonly app: Application) {}

  private keep(res: any) {
    for (const line of (res.headers['set-cookie'] || []) as string[]) {
      const [ pair ] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const match = typeof res.text === 'string' ? /name="_csrf" value="([^"]+)"/.exec(res.text) : null;
    if (match) this.csrf = match[1];
    return res;
  }

  get cookieHeader(): string {
    return [ ...this.cookies ].map(([ name, value ]) => `${name}=${value}`).join('; ');
  }

  get sessionId(): string | undefined {
    return this.cookies.get('EGGCHAT_ADMIN_SID');
  }

  async get(path: string, headers: Record<string, string> = {}) {
    const res = await this.app.httpRequest().get(path)
      .set({ Cookie: this.cookieHeader, ...headers })
      .redirects(0);
    return this.keep(res);
  }

  /** A form post with the page's CSRF token (`csrf: false` leaves it out, a string forges it). */
  async post(path: string, form: Record<string, string> = {}, options: { csrf?: boolean | string; headers?: Record<string, string> } = {}) {
    const body = { ...form };
    if (options.csrf !== false) body._csrf = typeof options.csrf === 'string' ? options.csrf : this.csrf;
    const res = await this.app.httpRequest().post(path)
      .type('form')
      .set({ Cookie: this.cookieHeader, ...options.headers })
      .send(body)
      .redirects(0);
    return this.keep(res);
  }

  /**
   * A multipart form post (the avatar forms): the fields first, the CSRF token first of all as the page's
   * hidden field is, then the file when given — in the page's order.
   */
  async postMultipart(path: string, form: Record<string, string> = {}, file?: { field?: string; bytes: Buffer; filename: string; contentType?: string },
    options: { csrf?: boolean | string } = {}) {
    let req = this.app.httpRequest().post(path)
      .set({ Cookie: this.cookieHeader })
      .redirects(0);
    if (options.csrf !== false) req = req.field('_csrf', typeof options.csrf === 'string' ? options.csrf : this.csrf);
    for (const [ name, value ] of Object.entries(form)) req = req.field(name, value);
    // The browser sends an empty file part when no file was chosen.
    req = file
      ? req.attach(file.field ?? 'avatarFile', file.bytes, { filename: file.filename, contentType: file.contentType ?? 'application/octet-stream' })
      : req.attach('avatarFile', Buffer.alloc(0), { filename: '', contentType: 'application/octet-stream' });
    return this.keep(await req);
  }

  /** The login page, then its form. Answers the form's response (302 to /admin on success). */
  async login(username: string, password = ADMIN_PASSWORD) {
    await this.get('/admin/login');
    return this.post('/admin/login', { username, password });
  }
}

/** A logged-in client of a new console account with that role. */
export async function adminSession(app: Application, role: 'owner' | 'operator' | 'viewer') {
  const admin = await createAdmin(app, role);
  const client = new AdminClient(app);
  const res = await client.login(admin.username);
  assert.strictEqual(res.status, 302, res.text);
  assert.strictEqual(res.headers.location, '/admin');
  await client.get('/admin');
  return { admin, client };
}
