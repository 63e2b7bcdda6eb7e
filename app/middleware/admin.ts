import { Context } from 'egg';
import { Sequelize } from 'sequelize';
import { AuthError, ForbiddenError, HttpError } from '../lib/errors';
import { ADMIN_MSG, MSG } from '../lib/messages';
import { AdminRole, findAdminById } from '../repository/adminUser';

const RANK: Record<AdminRole, number> = { viewer: 1, operator: 2, owner: 3 };

/** Script, style, images and form targets from this server only; never framed; nothing inline. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https: http:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export interface AdminGuardOptions {
  /** The least role that may use the route; none: the login page, its form and the assets. */
  role?: AdminRole;
  /** A write's name in the audit log (also for its refusals, app/middleware/errorHandler.ts). */
  action?: string;
}

/** Where a request outside the console's allowed addresses, or with the console off, goes: nowhere (404). */
export function adminReachable(ctx: Context): boolean {
  const { enabled, allowedIps } = ctx.app.config.admin;
  return enabled && (!allowedIps.length || allowedIps.includes(ctx.ip));
}

/**
 * Guards every /admin route: 404 when the console is off or the address is not allowed; the security
 * headers; then (with `role`) the server-side session — idle timeout by the store's TTL, absolute timeout
 * here, the admin row re-read on every request (a disabled admin is out at once) — and the role.
 * A chat token is never looked at: only the console's session cookie opens these routes.
 */
export default (options: AdminGuardOptions = {}) => Object.assign(async function admin(ctx: Context, next: () => Promise<any>) {
  if (!adminReachable(ctx)) throw new HttpError(404, MSG.notFound);
  ctx.set('Content-Security-Policy', CSP);
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('Cache-Control', 'no-store');
  ctx.state.adminAction = options.action;
  if (options.role) {
    const session = ctx.session as any;
    if (!session.adminId) throw new AuthError(ADMIN_MSG.loginRequired);
    if (Date.now() - Number(session.createdAt) > ctx.app.config.admin.absoluteSeconds * 1000) {
      ctx.session = null;
      throw new AuthError(ADMIN_MSG.sessionExpired);
    }
    const row = await findAdminById(ctx.model as unknown as Sequelize, Number(session.adminId));
    if (!row || row.status !== 1) {
      ctx.session = null;
      throw new AuthError(ADMIN_MSG.loginRequired);
    }
    ctx.state.admin = { id: row.id, username: row.username, role: row.role };
    if (RANK[row.role] < RANK[options.role]) throw new ForbiddenError(ADMIN_MSG.forbidden);
  }
  await next();
}, { adminAction: options.action });

/** The audit name of the write a route does (its guard's `action`), for a refusal before the guard ran (CSRF). */
function routeAction(ctx: Context): string | undefined {
  const layers: any[] = (ctx.app.router as any).match(ctx.path, ctx.method).pathAndMethod;
  for (const layer of layers) {
    const guard = (layer.stack as any[]).find(fn => typeof fn.adminAction === 'string');
    if (guard) return guard.adminAction;
  }
  return undefined;
}

/**
 * Who made a refused write attempt: the guard's admin, or — refused before the guard ran (the CSRF check
 * runs before the route) — the admin of the request's session, whatever the session's state (expired,
 * its account disabled since): the audit names who tried, it grants nothing. Null without a session.
 */
async function refusedBy(ctx: Context): Promise<{ id: number; username: string } | null> {
  const admin = ctx.state.admin as { id: number; username: string } | undefined;
  if (admin) return admin;
  let adminId: number;
  try {
    adminId = Number((ctx.session as any)?.adminId);
  } catch {
    return null;
  }
  if (!Number.isInteger(adminId) || adminId <= 0) return null;
  const row = await findAdminById(ctx.model as unknown as Sequelize, adminId);
  return row ? { id: row.id, username: row.username } : null;
}

export function isAdminPath(path: string): boolean {
  return path === '/admin' || path.startsWith('/admin/');
}

/**
 * An error on a console route (called by errorHandler, the one error mapper): a page, not JSON (false: not
 * a console route, errorHandler answers the JSON). A GET
 * without a session goes to the login page; a refused login shows the form again; a refused write is
 * recorded in the audit log. The message is escaped by the template like everything else.
 */
export async function renderAdminError(ctx: Context, error: HttpError): Promise<boolean> {
  // A path no console route serves (e.g. an unreadable body sent there): the API's JSON answer, as elsewhere.
  if (!(ctx.app.router as any).match(ctx.path, ctx.method).route) return false;
  if (!adminReachable(ctx)) {
    // The console is off or this address is not allowed: the API's own 404 whatever went wrong (the CSRF
    // check runs before the route), nothing about a console.
    ctx.status = 404;
    ctx.body = { msg: 'fail', data: MSG.notFound };
    return true;
  }
  if (ctx.method === 'POST' && ctx.path !== '/admin/login') {
    const id = /^\/admin\/(users|admins|askanswers)\/(\d{1,10})\//.exec(ctx.path);
    const admin = await refusedBy(ctx).catch(() => null);
    await ctx.service.adminAudit.refused({
      adminId: admin?.id ?? null, adminUsername: admin?.username ?? '', action: ctx.state.adminAction || routeAction(ctx) || `POST ${ctx.path}`.slice(0, 40),
      targetType: id ? id[1].slice(0, -1) : '', targetId: id ? Number(id[2]) : null, status: error.status, reason: error.message, ip: ctx.ip,
    });
  }
  if (error.status === 401 && ctx.method === 'GET') {
    ctx.redirect('/admin/login');
    return true;
  }
  ctx.status = error.status;
  for (const [ name, value ] of Object.entries(error.headers)) ctx.set(name, value);
  ctx.set('Content-Security-Policy', CSP);
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Cache-Control', 'no-store');
  const view = ctx.path === '/admin/login' && ctx.method === 'POST' ? 'admin/login.nj' : 'admin/error.nj';
  // `__` given here too: a refusal before egg-i18n's middleware ran (the CSRF check) has none in ctx.locals.
  const gettext = (key: string, ...args: unknown[]) => (ctx as any).__(key, ...args);
  ctx.body = await ctx.renderView(view, { error: error.message, status: error.status, __: gettext });
  ctx.type = 'html';
  ctx.status = error.status;
  return true;
}
