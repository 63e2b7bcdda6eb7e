import * as fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Transform, Readable } from 'node:stream';
import type * as S3Sdk from '@aws-sdk/client-s3';
import { MediaConfig } from '../../../config/config.default';
import { StorageError } from '../errors';
import { MSG } from '../messages';
import { MediaStorage } from './types';
import { lazyModule } from '../lazyModule';

// Loaded when object storage is configured and first used (lib/lazyModule.ts), not in every worker at start.
// The constructor needs it at once (a synchronous require); every other use is through the client.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const sdk = lazyModule(() => require('@aws-sdk/client-s3') as typeof S3Sdk);

export type S3Settings = MediaConfig['s3'];

/** True when object storage is configured (a bucket is named). */
export function s3Configured(settings: S3Settings): boolean {
  return !!settings.bucket;
}

/** The URL prefix objects are reachable at: S3_PUBLIC_URL, or the endpoint's own bucket URL. */
export function publicBase(settings: S3Settings): string {
  if (settings.publicUrl) return settings.publicUrl;
  const endpoint = (settings.endpoint || `https://s3.${settings.region}.amazonaws.com`).replace(/\/+$/, '');
  if (settings.forcePathStyle) return `${endpoint}/${settings.bucket}`;
  return endpoint.replace('://', `://${settings.bucket}.`);
}

/**
 * S3-compatible object storage through the AWS SDK v3 client. Any failure of the storage itself (down,
 * timing out, refusing our credentials) is a 503 `对象存储暂不可用`: the upload is not kept anywhere.
 */
export class S3Storage implements MediaStorage {
  readonly driver = 's3' as const;
  readonly client: S3Sdk.S3Client;
  private readonly base: string;

  constructor(readonly settings: S3Settings) {
    this.client = new (sdk().S3Client)({
      endpoint: settings.endpoint || undefined,
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      credentials: settings.accessKeyId ? { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } : undefined,
      maxAttempts: 2,
      // Plain PUTs with a Content-Length: what every S3-compatible server (OSS, MinIO) understands; the
      // SDK's default streaming checksums (aws-chunked bodies) are not.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: Math.min(settings.timeoutMs, 3000), requestTimeout: settings.timeoutMs },
    });
    this.base = publicBase(settings);
  }

  async putFile(key: string, file: string, contentType: string): Promise<void> {
    try {
      const { size } = await fs.promises.stat(file);
      await this.client.send(new (sdk().PutObjectCommand)({
        Bucket: this.settings.bucket,
        Key: key,
        Body: fs.createReadStream(file),
        ContentLength: size,
        ContentType: contentType,
        ContentDisposition: 'inline',
        CacheControl: 'public, max-age=31536000, immutable',
      }));
    } catch (err) {
      throw new StorageError(503, MSG.mediaObjectStorageDown, err);
    }
  }

  async fetchToFile(key: string, file: string, maxBytes: number): Promise<boolean> {
    let body: Readable;
    try {
      const answer = await this.client.send(new (sdk().GetObjectCommand)({ Bucket: this.settings.bucket, Key: key }));
      if (Number(answer.ContentLength ?? 0) > maxBytes) return false;
      body = answer.Body as Readable;
    } catch (err: any) {
      if (err?.name === 'NoSuchKey' || err?.$metadata?.httpStatusCode === 404) return false;
      throw new StorageError(503, MSG.mediaObjectStorageDown, err);
    }
    let seen = 0;
    const cap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        done(seen > maxBytes ? new Error('object larger than announced') : null, chunk);
      },
    });
    try {
      await pipeline(body, cap, fs.createWriteStream(file));
      return true;
    } catch (err) {
      throw new StorageError(503, MSG.mediaObjectStorageDown, err);
    }
  }

  urlOf(key: string): string {
    return `${this.base}/${key}`;
  }

  keyOfUrl(url: string): string | null {
    const prefix = this.base + '/';
    if (!url.startsWith(prefix)) return null;
    try {
      return decodeURIComponent(url.slice(prefix.length).split(/[?#]/)[0]);
    } catch {
      return null;
    }
  }

  async remove(key: string): Promise<void> {
    try {
      await this.client.send(new (sdk().DeleteObjectCommand)({ Bucket: this.settings.bucket, Key: key }));
    } catch (err) {
      throw new StorageError(503, MSG.mediaObjectStorageDown, err);
    }
  }
}
