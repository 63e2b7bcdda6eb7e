import { HttpError } from './HttpError';
import { MSG } from '../messages';

/** The database or Redis cannot be reached (503); the request changed nothing. */
export class ServiceUnavailableError extends HttpError {
  constructor(readonly causeError?: unknown) {
    super(503, MSG.unavailable);
  }
}
