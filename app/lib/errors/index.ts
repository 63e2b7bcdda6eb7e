export { HttpError } from './HttpError';
export { BusinessError } from './BusinessError';
export { AuthError } from './AuthError';
export { ValidationError } from './ValidationError';
export { TooManyRequestsError } from './TooManyRequestsError';
export { ForbiddenError } from './ForbiddenError';
export { ServiceUnavailableError } from './ServiceUnavailableError';
export { StorageError, PayloadTooLargeError } from './StorageError';
