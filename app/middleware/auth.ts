import { Context } from 'egg';
import { AuthError, ForbiddenError } from '../lib/errors';
import { MSG } from '../lib/messages';

/** Reads the token from the `token` header (or `Authorization: Bearer`), never from the URL. */
function tokenFrom(ctx: Context): string | undefined {
  const header = ctx.get('token');
  if (header) return header.trim();
  const authorization = ctx.get('authorization');
  const match = /^Bearer\s+(.+)$/i.exec(authorization);
  return match ? match[1].trim() : undefined;
}

export interface AuthOptions {
  /**
   * Whether a visitor token (role 'visitor') may call the route: the original's visitor whitelist is
   * declared route by route in app/router.ts. Default: registered users only.
   */
  visitors?: boolean;
}

/** Guards /api/chat/*: sets ctx.state.auth (read it as ctx.me) or answers 401 (403 for a visitor off its whitelist). */
export default (options: AuthOptions = {}) => async function auth(ctx: Context, next: () => Promise<any>) {
  const token = tokenFrom(ctx);
  if (!token) throw new AuthError(MSG.authMissing);
  const me = await ctx.service.token.authenticate(token);
  if (me.role === 'visitor' && !options.visitors) throw new ForbiddenError(MSG.visitorForbidden);
  ctx.state.auth = me;
  await next();
};
