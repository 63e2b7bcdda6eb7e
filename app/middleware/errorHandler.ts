import { Context } from 'egg';
import { randomUUID } from 'node:crypto';
import { HttpError } from '../lib/errors';
import { toHttpError } from '../lib/errors/toHttpError';
import { MSG } from '../lib/messages';
import { isAdminPath, renderAdminError } from './admin';

/** Only name, message and stack reach the log: SQL text and parameters may hold secrets. */
function loggable(err: any): Error {
  const safe = new Error(String(err?.message ?? err));
  safe.name = err?.name || 'Error';
  safe.stack = err?.stack ? String(err.stack) : safe.stack;
  return safe;
}

/**
 * The outermost middleware (see app.ts): every error, from any layer including the body parser,
 * becomes `{"msg":"fail","data":message}` with its status; 5xx are logged with the request id.
 */
export default () => async function errorHandler(ctx: Context, next: () => Promise<any>) {
  const requestId = randomUUID();
  ctx.set('X-Request-Id', requestId);
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      ctx.status = 404;
      ctx.body = { msg: 'fail', data: MSG.notFound };
    }
  } catch (err: any) {
    const httpError: HttpError = toHttpError(err);
    if (httpError.status >= 500) {
      ctx.logger.error('[request %s] %s %s failed with %d', requestId, ctx.method, ctx.path, httpError.status, loggable(err));
    }
    // The admin console's pages (issue 20) answer with a page, not JSON.
    if (isAdminPath(ctx.path)) {
      try {
        if (await renderAdminError(ctx, httpError)) return;
      } catch (renderErr: any) {
        ctx.logger.error('[request %s] the admin error page failed', requestId, loggable(renderErr));
      }
    }
    ctx.status = httpError.status;
    for (const [ name, value ] of Object.entries(httpError.headers)) ctx.set(name, value);
    ctx.body = { msg: 'fail', data: httpError.message };
  }
};
