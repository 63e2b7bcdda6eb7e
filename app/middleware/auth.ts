import { Context } from 'egg';
import { AuthError } from '../lib/errors';
import { MSG } from '../lib/messages';

/** Reads the token from the `token` header (or `Authorization: Bearer`), never from the URL. */
function tokenFrom(ctx: Context): string | undefined {
  const header = ctx.get('token');
  if (header) return header.trim();
  const authorization = ctx.get('authorization');
  const match = /^Bearer\s+(.+)$/i.exec(authorization);
  return match ? match[1].trim() : undefined;
}

/** Guards /api/chat/*: sets ctx.state.auth (read it as ctx.me) or answers 401. */
export default () => async function auth(ctx: Context, next: () => Promise<any>) {
  const token = tokenFrom(ctx);
  if (!token) throw new AuthError(MSG.authMissing);
  ctx.state.auth = await ctx.service.token.authenticate(token);
  await next();
};
