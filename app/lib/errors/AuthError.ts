import { HttpError } from './HttpError';

/** Authentication failed (401). */
export class AuthError extends HttpError {
  constructor(message: string) {
    super(401, message);
  }
}
