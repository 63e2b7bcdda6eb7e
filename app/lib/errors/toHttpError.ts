import { HttpError } from './HttpError';
import { ADMIN_MSG, MSG } from '../messages';

const UNAVAILABLE_NAMES = new Set([
  // Sequelize
  'SequelizeConnectionError', 'SequelizeConnectionRefusedError', 'SequelizeConnectionTimedOutError',
  'SequelizeConnectionAcquireTimeoutError', 'SequelizeHostNotFoundError', 'SequelizeHostNotReachableError',
  'SequelizeAccessDeniedError', 'SequelizeInvalidConnectionError',
  // ioredis
  'MaxRetriesPerRequestError',
  // ioredis Redis Cluster: every node refused, or the slots could not be refreshed (a failover under way).
  'ClusterAllFailedError',
]);
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'PROTOCOL_CONNECTION_LOST',
  // mysql2: a query past its deadline (app/lib/mysqlTuning.ts).
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'SQLITE_BUSY', 'SQLITE_LOCKED', 'ER_LOCK_WAIT_TIMEOUT', 'ER_LOCK_DEADLOCK',
]);

function codeOf(err: any): string | undefined {
  return err?.code ?? err?.parent?.code ?? err?.original?.code;
}

/** True when the error means "a dependency is down or busy", not "this request is wrong". */
export function isUnavailable(err: any): boolean {
  if (!err) return false;
  if (UNAVAILABLE_NAMES.has(err.name)) return true;
  const code = codeOf(err);
  if (code && UNAVAILABLE_CODES.has(code)) return true;
  const message = String(err.message || '');
  if (/Connection is closed|Stream isn't writeable|connect ETIMEDOUT|Reached the max retries|Command timed out|Connection in subscriber mode/.test(message)) return true;
  return isClusterTransient(message);
}

/**
 * Redis Cluster while a master fails over (its replica promoted): the slot's node is gone, moves, or
 * refuses for a few seconds (docs/SCALING.md). A 503 the client retries, never a 500.
 */
function isClusterTransient(message: string): boolean {
  return /^(?:CLUSTERDOWN|TRYAGAIN|MOVED|ASK|MASTERDOWN|READONLY|LOADING)\b|Too many Cluster redirections|Cluster isn't ready|Failed to refresh slots cache|None of startup nodes is available/.test(message);
}

/**
 * zlib's own errors when a compressed request body does not decode under its `Content-Encoding`
 * (gzip/deflate: `Z_DATA_ERROR`, `Z_BUF_ERROR` for a truncated stream…; br: `ERR__ERROR_FORMAT_…`,
 * `ERR_BROTLI_…`). They carry a numeric errno and a code, but no `type` like raw-body's errors.
 */
export function isBodyDecodeError(err: any): boolean {
  const code = err?.code;
  if (typeof code !== 'string' || typeof err?.errno !== 'number') return false;
  return /^Z_[A-Z_]+$/.test(code) || /^ERR_(?:_ERROR|BROTLI)/.test(code);
}

/** Maps any thrown value to the status and message the client sees. */
export function toHttpError(err: any): HttpError {
  if (err instanceof HttpError) return err;
  if (isUnavailable(err)) return new HttpError(503, MSG.unavailable);
  const status = Number(err?.status || err?.statusCode);
  if (status === 413) return new HttpError(413, MSG.bodyTooLarge);
  if (status === 415) return new HttpError(415, MSG.badBody);
  if (status >= 400 && status < 500) {
    // The body parser's own errors (raw-body / co-body types are 'entity.*', 'request.*', …), and a
    // compressed body whose bytes do not decode (the parser gives zlib's error status 400, no type).
    if (typeof err?.type === 'string' || err?.body !== undefined || isBodyDecodeError(err)) return new HttpError(400, MSG.badBody);
    // egg-security's CSRF check (the admin console's forms and writes only, config.security.csrf.match).
    if (status === 403 && /csrf/i.test(String(err?.message))) return new HttpError(403, ADMIN_MSG.csrfInvalid);
    // Any other refusal by the framework itself (egg-security's path-traversal guard, a method no
    // route serves): there is no such resource for this request.
    return new HttpError(404, MSG.notFound);
  }
  return new HttpError(500, MSG.internal);
}
