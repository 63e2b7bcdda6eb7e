import { HttpError } from './HttpError';

/** The storage is full (507) or unreachable (503); nothing of the upload was kept. */
export class StorageError extends HttpError {
  constructor(status: 507 | 503, message: string, readonly causeError?: unknown) {
    super(status, message);
  }
}

/** The upload is larger than its kind's cap (413); it was cut off and nothing was kept. */
export class PayloadTooLargeError extends HttpError {
  constructor(message: string) {
    super(413, message);
  }
}
