import { Context } from 'egg';
import { Rules, validateInput, withQueryShape } from '../lib/validation/rules';

// The bytes JSON.stringify puts around `data` in the contract's success body.
const OK_PREFIX = Buffer.from('{"msg":"ok","data":');
const OK_SUFFIX = Buffer.from('}');

export default {
  /**
   * Validates with the declared rules and returns only the declared fields (see lib/validation). A field
   * taken from the query string that was repeated or bracketed there is refused (withQueryShape).
   */
  validateInput<R extends Rules>(this: Context, rules: R, input: unknown) {
    return validateInput(this.app.validator as any, rules, withQueryShape(rules, input, this.querystring, this.query, this.params));
  },

  /** The contract's success body. */
  ok(this: Context, data: unknown) {
    this.status = 200;
    this.body = { msg: 'ok', data };
  },

  /** The contract's success body around `dataJson`, a value already serialized (a cached list). */
  okJson(this: Context, dataJson: Buffer) {
    this.status = 200;
    this.type = 'json';
    this.body = Buffer.concat([ OK_PREFIX, dataJson, OK_SUFFIX ]);
  },

  /** The authenticated caller, set by the auth middleware. */
  get me(): AuthenticatedUser {
    const auth = (this as unknown as Context).state.auth as AuthenticatedUser | undefined;
    if (!auth) throw new Error('ctx.me read on a route without the auth middleware');
    return auth;
  },
};

export interface AuthenticatedUser {
  id: number;
  uuid: string;
  role: string;
  nickname: string;
  sid: string;
}
