import { Service } from 'egg';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
// file-type 21 is ESM-only: compiled CommonJS loads it through Node's require(esm) (Node >= 20.19, see
// package.json engines). The CommonJS 16.x line has an unfixed denial of service (CVE-2026-31808).
import { MediaConfig } from '../../config/config.default';
import { BusinessError, HttpError, PayloadTooLargeError, TooManyRequestsError, ValidationError } from '../lib/errors';
import { MSG } from '../lib/messages';
import { FORMATS, MediaFormat, MediaKind, formatOfKey, newKey, thumbnailKey } from '../lib/media';
import { LocalStorage, MediaStorage, localStorage, storageFailure } from '../lib/storage';
import { lazyModule } from '../lib/lazyModule';

/** Resolves once `stream` has closed (at once if it has), or after `ms` whatever happens. */
function closedOrAfter(stream: fs.WriteStream, ms: number): Promise<void> {
  if (stream.closed) return Promise.resolve();
  return new Promise(resolve => {
    const timer = setTimeout(resolve, ms);
    stream.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

// Loaded on the first upload (lib/lazyModule.ts): most workers' requests never touch an image.
const sharpModule = lazyModule(async () => {
  const { default: sharp } = await import('sharp');
  // No pixel cache between requests: memory stays flat under concurrent uploads.
  sharp.cache(false);
  return sharp;
});
const fileTypeModule = lazyModule(() => import('file-type'));

/** A decompression bomb guard: images over this many pixels are refused before they are decoded. */
const MAX_IMAGE_PIXELS = 40_000_000;
/** file-type reads at most this many bytes to decide. */
const SNIFF_BYTES = 4100;

export interface UploadTarget {
  storage: MediaStorage;
  /** The key's first folder (`chatImgs`, `images`, …). */
  folder: string;
  /** The multipart field the file must come in. */
  field: string;
  kinds: readonly MediaKind[];
  /** Checks the multipart fields sent before the file (throws to refuse before the file is read). */
  checkFields?: (fields: Record<string, unknown>) => void;
}

export interface Uploaded {
  key: string;
  url: string;
  thumbnail?: string;
  format: MediaFormat;
  size: number;
  /** The multipart fields sent before the file. */
  fields: Record<string, unknown>;
}

/** Temporary files older than this were left by a worker that died mid-upload: removed on the next upload. */
const STALE_TEMP_MS = 3600_000;
const swept = new Set<string>();

async function sweepStaleTemps(dir: string): Promise<void> {
  if (swept.has(dir)) return;
  swept.add(dir);
  const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
  const now = Date.now();
  await Promise.all(names.map(async name => {
    const file = path.join(dir, name);
    const stat = await fs.promises.stat(file).catch(() => null);
    if (stat?.isFile() && now - stat.mtimeMs > STALE_TEMP_MS) await fs.promises.rm(file, { force: true });
  }));
}

/** Where ownership of a video is kept for getVideoScreenshot (the uploader only, for a while). */
export function ownerKey(driver: string, key: string): string {
  return `media:owner:${driver}:${key}`;
}

/**
 * Reads the head of the upload to decide its format from the content (magic bytes), then counts bytes
 * against that kind's cap while the rest streams through: an oversized or disguised file is cut off at once.
 */
class Inspector extends Transform {
  format: MediaFormat | null = null;
  bytes = 0;
  private head: Buffer[] = [];
  private headBytes = 0;
  private cap = Infinity;

  constructor(private readonly decide: (head: Buffer) => Promise<MediaFormat>, private readonly capOf: (format: MediaFormat) => number) {
    super();
  }

  _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.format) {
      if (this.bytes > this.cap) return done(new PayloadTooLargeError(MSG.mediaTooLarge));
      return done(null, chunk);
    }
    this.head.push(chunk);
    this.headBytes += chunk.length;
    if (this.headBytes < SNIFF_BYTES) return done();
    this.settle().then(() => done(), done);
  }

  _flush(done: TransformCallback): void {
    if (this.format) return done();
    this.settle().then(() => done(), done);
  }

  private async settle(): Promise<void> {
    const head = Buffer.concat(this.head);
    this.head = [];
    this.format = await this.decide(head);
    this.cap = this.capOf(this.format);
    if (this.bytes > this.cap) throw new PayloadTooLargeError(MSG.mediaTooLarge);
    this.push(head);
  }
}

/** What went wrong while the upload streamed in, as the client sees it. */
function uploadFailure(err: any): HttpError {
  if (err instanceof HttpError) return err;
  if (Number(err?.status) === 413 || err?.name === 'MultipartFileTooLargeError' || err?.code === 'Request_fileSize_limit') {
    return new PayloadTooLargeError(MSG.mediaTooLarge);
  }
  if (typeof err?.code === 'string' && /^E[A-Z]+$/.test(err.code)) return storageFailure(err);
  // busboy: a malformed or truncated multipart body.
  return new HttpError(400, MSG.badBody);
}

/** sharp reports a full disk in its message only. */
function imageFailure(err: any): HttpError {
  if (/No space left|Disk quota/i.test(String(err?.message))) return storageFailure({ code: 'ENOSPC' });
  return new BusinessError(MSG.mediaKindRefused);
}

/** Uploads (stream → checked temporary file → storage), thumbnails and the local driver's served files. */
export default class MediaService extends Service {
  get settings(): MediaConfig {
    return this.app.config.chat.media;
  }

  /** The upload rate (per minute) and quota (per day) of one uploader (a user id, or `admin:<id>`): 429 past either. */
  async countUpload(userId: number | string): Promise<void> {
    const { perMinute, perDay } = this.settings;
    const minute = await this.app.kvStore.incr(`throttle:media:minute:${userId}`, perMinute.windowSeconds);
    if (minute.count > perMinute.limit) throw new TooManyRequestsError(minute.ttlMs / 1000, MSG.mediaUploadTooFrequent);
    const day = await this.app.kvStore.incr(`throttle:media:day:${userId}`, perDay.windowSeconds);
    if (day.count > perDay.limit) throw new TooManyRequestsError(day.ttlMs / 1000, MSG.mediaQuotaReached);
  }

  /** A fresh path in the temporary folder (created on first use). */
  async tempFile(suffix: string): Promise<string> {
    await fs.promises.mkdir(this.settings.tmpDir, { recursive: true });
    // Once per worker and folder: what a crashed worker left behind.
    await sweepStaleTemps(this.settings.tmpDir);
    return path.join(this.settings.tmpDir, `${randomBytes(12).toString('hex')}.${suffix}`);
  }

  /**
   * Receives the request's one file into `target`. Streams it to a temporary file while checking its
   * kind and size, strips image metadata and makes a thumbnail, then hands the finished file(s) to the
   * storage. On any failure nothing is left behind, and the connection is closed so an unread body is
   * not drained.
   */
  async receive(userId: number, target: UploadTarget): Promise<Uploaded> {
    return (await this.take(userId, target, false))!;
  }

  /**
   * As receive, for a form whose file may be left empty (the admin console's avatar): `checkFields` runs
   * on the fields sent before the file whether or not a file came, then null when none did (nothing
   * counted, nothing stored).
   */
  receiveOptional(uploader: string, target: UploadTarget): Promise<Uploaded | null> {
    return this.take(uploader, target, true);
  }

  /** Removes a stored upload and its thumbnail (a write that was to use it failed). */
  async discard(storage: MediaStorage, uploaded: Uploaded): Promise<void> {
    const keys = uploaded.thumbnail ? [ uploaded.key, thumbnailKey(uploaded.key) ] : [ uploaded.key ];
    await Promise.all(keys.map(key => storage.remove(key).catch(err => {
      this.ctx.logger.warn('[media] an unused upload could not be removed (%s): %s', key, err?.message);
    })));
  }

  private async take(userId: number | string, target: UploadTarget, optional: boolean): Promise<Uploaded | null> {
    const { ctx } = this;
    const temps: string[] = [];
    try {
      if (!optional) await this.countUpload(userId);
      if (!ctx.is('multipart')) throw new ValidationError('文件不能为空');
      const { maxBytes } = this.settings;
      const largest = Math.max(maxBytes.image, maxBytes.voice, maxBytes.video);
      let part: any;
      try {
        part = await ctx.getFileStream({
          requireFile: false,
          // The kind is checked from the content below, not from the name's extension.
          checkFile: () => null,
          limits: { fileSize: largest + 1, files: 1, fields: 10, fieldSize: 1024 },
        } as any);
      } catch (err) {
        throw uploadFailure(err);
      }
      const hasFile = Boolean(part?.filename);
      if ((!hasFile && !optional) || (hasFile && part.fieldname !== target.field)) throw new ValidationError('文件不能为空');
      target.checkFields?.(part.fields ?? {});
      if (!hasFile) {
        // The browser's empty file field (or none): nothing to read.
        part?.resume?.();
        return null;
      }
      if (optional) await this.countUpload(userId);
      const upload = await this.tempFile('upload');
      temps.push(upload);
      const inspector = new Inspector(async head => {
        if (head.length === 0) throw new ValidationError('文件不能为空');
        const detected = await (await fileTypeModule()).fileTypeFromBuffer(head);
        const format = detected && FORMATS[detected.ext];
        if (!format) throw new BusinessError(MSG.mediaKindRefused);
        if (!target.kinds.includes(format.kind)) throw new BusinessError(MSG.mediaKindNotForDir);
        return format;
      }, format => maxBytes[format.kind]);
      const sink = fs.createWriteStream(upload, { flags: 'wx' });
      try {
        await pipeline(part, inspector, sink);
      } catch (err) {
        // A refusal can come while the file is still being opened: wait for the stream to close, so that the
        // removal below finds the file (created after it, it would stay until the stale-temp sweep).
        await closedOrAfter(sink, 2000);
        throw uploadFailure(err);
      }
      const format = inspector.format!;
      const key = newKey(target.folder, format.ext);
      let file = upload;
      let thumbnail: string | undefined;
      if (format.kind === 'image') {
        file = await this.tempFile(format.ext);
        temps.push(file);
        const thumbFile = await this.tempFile('jpg');
        temps.push(thumbFile);
        await this.cleanImage(upload, file, format, thumbFile);
        await target.storage.putFile(key, file, format.contentType);
        try {
          await target.storage.putFile(thumbnailKey(key), thumbFile, FORMATS.jpg.contentType);
        } catch (err) {
          await target.storage.remove(key).catch(() => undefined);
          throw err;
        }
        thumbnail = target.storage.urlOf(thumbnailKey(key));
      } else {
        await target.storage.putFile(key, file, format.contentType);
      }
      if (format.kind === 'video') {
        await this.app.kvStore.set(ownerKey(target.storage.driver, key), String(userId), this.settings.coverWindowSeconds);
      }
      const { size } = await fs.promises.stat(file);
      return { key, url: target.storage.urlOf(key), thumbnail, format, size, fields: part.fields ?? {} };
    } catch (err) {
      ctx.set('Connection', 'close');
      throw err;
    } finally {
      await Promise.all(temps.map(temp => fs.promises.rm(temp, { force: true })));
    }
  }

  /**
   * Re-encodes an image without its metadata (EXIF, GPS, comments; the orientation applied to the pixels)
   * and writes a JPEG thumbnail `thumbnailWidth` wide.
   */
  async cleanImage(input: string, output: string, format: MediaFormat, thumbnail: string): Promise<void> {
    const options = { limitInputPixels: MAX_IMAGE_PIXELS, animated: format.ext === 'gif' || format.ext === 'webp' };
    try {
      let image = (await sharpModule())(input, options);
      // Orientation comes from EXIF, which is about to go: apply it first (single-frame images).
      if (format.ext === 'jpg') image = image.rotate();
      if (format.ext === 'jpg') image = image.jpeg({ quality: 90 });
      else if (format.ext === 'png') image = image.png();
      else if (format.ext === 'webp') image = image.webp({ quality: 90 });
      else image = image.gif();
      await image.toFile(output);
      await (await sharpModule())(output, { limitInputPixels: MAX_IMAGE_PIXELS })
        .resize({ width: this.settings.thumbnailWidth, withoutEnlargement: true })
        .flatten({ background: '#ffffff' })
        .jpeg({ quality: 80 })
        .toFile(thumbnail);
    } catch (err) {
      throw imageFailure(err);
    }
  }

  /**
   * GET <urlPrefix>/<dir>/<date>/<name>: a file of the local driver. Only well-formed keys of this
   * server; the Content-Type from the allow-list; `nosniff`; cached for a year (names never change);
   * a single byte range for video players.
   */
  async serve(dir: string, date: string, name: string): Promise<void> {
    const { ctx } = this;
    const key = `${dir}/${date}/${name}`;
    const format = formatOfKey(key);
    if (!format) throw new HttpError(404, MSG.notFound);
    const storage: LocalStorage = localStorage(this.settings);
    const file = storage.pathOf(key);
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(file);
    } catch {
      throw new HttpError(404, MSG.notFound);
    }
    if (!stat.isFile()) throw new HttpError(404, MSG.notFound);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
    ctx.set('Content-Security-Policy', "default-src 'none'; sandbox");
    ctx.set('Content-Disposition', 'inline');
    ctx.set('Accept-Ranges', 'bytes');
    ctx.set('Last-Modified', stat.mtime.toUTCString());
    ctx.type = format.contentType;
    let start = 0;
    let end = stat.size - 1;
    const range = /^bytes=(\d*)-(\d*)$/.exec(String(ctx.get('range') || '').trim());
    if (range && (range[1] || range[2])) {
      if (range[1]) {
        start = Number(range[1]);
        end = range[2] ? Math.min(Number(range[2]), end) : end;
      } else {
        start = Math.max(0, stat.size - Number(range[2]));
      }
      if (start > end || start >= stat.size) {
        ctx.set('Content-Range', `bytes */${stat.size}`);
        ctx.status = 416;
        ctx.body = '';
        return;
      }
      ctx.status = 206;
      ctx.set('Content-Range', `bytes ${start}-${end}/${stat.size}`);
    } else {
      ctx.status = 200;
    }
    // HEAD: the headers only (no file opened).
    ctx.body = ctx.method === 'HEAD' ? '' : fs.createReadStream(file, { start, end });
    ctx.length = end - start + 1;
  }
}

