import { StorageError } from '../errors';
import { MSG } from '../messages';

const FULL = new Set([ 'ENOSPC', 'EDQUOT', 'EFBIG' ]);

/** A storage error as the client sees it: 507 when the disk is full, 503 for anything else. */
export function storageFailure(err: any): StorageError {
  if (err instanceof StorageError) return err;
  if (FULL.has(err?.code)) return new StorageError(507, MSG.mediaStorageFull, err);
  return new StorageError(503, MSG.unavailable, err);
}
