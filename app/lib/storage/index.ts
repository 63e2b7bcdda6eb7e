import { MediaConfig } from '../../../config/config.default';
import { LocalStorage } from './local';
import { S3Storage, s3Configured } from './s3';
import { MediaStorage } from './types';

export { MediaStorage } from './types';
export { LocalStorage } from './local';
export { S3Storage, s3Configured, publicBase } from './s3';
export { storageFailure } from './failure';

// One instance per settings object: a test that swaps app.config.chat.media (mm) gets new drivers.
const locals = new WeakMap<object, LocalStorage>();
const remotes = new WeakMap<object, S3Storage>();

/** The local-disk driver (always available). */
export function localStorage(config: MediaConfig): LocalStorage {
  let storage = locals.get(config);
  if (!storage) {
    storage = new LocalStorage(config.localDir, config.urlPrefix);
    locals.set(config, storage);
  }
  return storage;
}

/** The object-storage driver, or null when S3_BUCKET is not set. */
export function objectStorage(config: MediaConfig): S3Storage | null {
  if (!s3Configured(config.s3)) return null;
  let storage = remotes.get(config.s3);
  if (!storage) {
    storage = new S3Storage(config.s3);
    remotes.set(config.s3, storage);
  }
  return storage;
}

/** The driver uploads go to by default (MEDIA_STORAGE): object storage only when chosen and configured. */
export function defaultStorage(config: MediaConfig): MediaStorage {
  return (config.driver === 's3' && objectStorage(config)) || localStorage(config);
}
