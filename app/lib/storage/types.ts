/**
 * Where uploaded files live. Two drivers: the local disk (default) and S3-compatible object storage
 * (AWS S3, Aliyun OSS, MinIO). Keys are made by the server (app/lib/media.ts), never by a client.
 */
export interface MediaStorage {
  readonly driver: 'local' | 's3';
  /**
   * Moves a finished local file (the caller's temporary file, fully written and checked) to `key`.
   * Either the object exists complete afterwards or nothing does; the temporary file is left to the caller.
   */
  putFile(key: string, file: string, contentType: string): Promise<void>;
  /** Copies the object to a local file (at most `maxBytes`); false when there is no such object. */
  fetchToFile(key: string, file: string, maxBytes: number): Promise<boolean>;
  /** The URL the client gets for `key`. */
  urlOf(key: string): string;
  /** The key a URL of this storage points at (not checked for existence), or null when it is not ours. */
  keyOfUrl(url: string): string | null;
  remove(key: string): Promise<void>;
}
