import { HttpError } from './HttpError';

/** Authenticated, but this caller may not use the route (403): a visitor outside its whitelist. */
export class ForbiddenError extends HttpError {
  constructor(message: string) {
    super(403, message);
  }
}
