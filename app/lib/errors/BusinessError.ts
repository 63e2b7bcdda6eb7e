import { HttpError } from './HttpError';

/** A business rule refused the request (400). */
export class BusinessError extends HttpError {
  constructor(message: string) {
    super(400, message);
  }
}
