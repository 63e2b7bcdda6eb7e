import { HttpError } from './HttpError';

/** Input failed a declared validation rule (422); the message names the field by its Chinese label. */
export class ValidationError extends HttpError {
  constructor(message: string) {
    super(422, message);
  }
}
