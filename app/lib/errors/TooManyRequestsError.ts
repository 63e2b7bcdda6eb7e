import { HttpError } from './HttpError';
import { MSG } from '../messages';

/** A throttle refused the request (429) and says when to retry. */
export class TooManyRequestsError extends HttpError {
  constructor(retryAfterSeconds: number, message: string = MSG.tooManyAttempts) {
    super(429, message, { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
}
