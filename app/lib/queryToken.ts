import { Context } from 'egg';

/**
 * For GET /api/chat/groupQrcode/:id only (API.md §5): the client uses that URL as an image source and
 * cannot set headers, so `?token=` is accepted there. The token moves to the `token` header the auth
 * middleware reads (a header given as well wins) and leaves the URL before anything can log it: egg's
 * context logger prints `ctx.url` on every line a request logs.
 */
export default function queryToken() {
  return async function queryToken(ctx: Context, next: () => Promise<any>) {
    if (/(^|&)token=/.test(ctx.querystring)) {
      const params = new URLSearchParams(ctx.querystring);
      const token = params.get('token');
      if (token && !ctx.get('token') && !ctx.get('authorization')) ctx.request.headers.token = token;
      params.delete('token');
      ctx.querystring = params.toString();
      ctx.originalUrl = ctx.request.originalUrl = ctx.url;
    }
    await next();
  };
}
