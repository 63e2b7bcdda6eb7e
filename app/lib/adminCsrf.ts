/**
 * CSRF on the admin console's forms that carry a file (issue 20: the user's avatar). egg-security reads the
 * token from the parsed body, and a multipart body is not parsed before the route (the upload streams, as
 * the chat's uploads do). So on these routes, for a multipart request only, the CSRF middleware steps
 * aside and the controller checks the same token with egg-security's own `ctx.assertCsrf()` on the form
 * fields sent before the file (`checkCsrfOnFields`), before any byte of the file is read and before any
 * write. Every other request to these routes (a urlencoded form) is checked by the middleware as usual.
 */

/** POST routes whose form may be multipart: the new-user form and the user's profile form. */
const MULTIPART_FORMS = [ /^\/admin\/users$/, /^\/admin\/users\/\d{1,10}\/profile$/ ];
const CHECKING = Symbol('adminCsrfChecking');

interface CsrfContext {
  method: string;
  path: string;
  is(...types: string[]): string | false | null;
}

/** True while the CSRF middleware must leave this request to its controller (config.security.csrf.match). */
export function csrfLeftToController(ctx: CsrfContext): boolean {
  return ctx.method === 'POST' && Boolean(ctx.is('multipart')) && MULTIPART_FORMS.some(route => route.test(ctx.path)) && !(ctx as any)[CHECKING];
}

/** egg-security's check (403 on a missing or forged token) on the multipart form's fields. */
export function checkCsrfOnFields(ctx: any, fields: Record<string, unknown>): void {
  ctx.request.body = fields;
  ctx[CHECKING] = true;
  try {
    ctx.assertCsrf();
  } finally {
    ctx[CHECKING] = false;
  }
}
