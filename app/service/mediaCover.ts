import { Service } from 'egg';
import * as fs from 'node:fs';
import { spawn } from 'node:child_process';
import { BusinessError, HttpError } from '../lib/errors';
import { MSG } from '../lib/messages';
import { COVER_DIR, GENERATED, SERVED_DIRS, formatOfKey, newKey } from '../lib/media';
import { MediaStorage, localStorage, objectStorage } from '../lib/storage';
import { ownerKey } from './media';

/** A cover frame larger than this is not a cover (ffmpeg's output is capped). */
const MAX_FRAME_BYTES = 8 * 1024 * 1024;

export interface CoverRequest { videoUrl: string; time: number; width: number; format: 'png' | 'jpg' }

/**
 * getVideoScreenshot: a frame of a video THIS server stored for THIS user (the uploader, within
 * MEDIA_COVER_WINDOW_SECONDS). The URL is only parsed to find our key; nothing is ever fetched from it.
 */
export default class MediaCoverService extends Service {
  /** The storage and key a URL of ours points at, or null. */
  locate(videoUrl: string): { storage: MediaStorage; key: string } | null {
    const settings = this.app.config.chat.media;
    const remote = objectStorage(settings);
    const candidates: MediaStorage[] = remote ? [ remote, localStorage(settings) ] : [ localStorage(settings) ];
    for (const storage of candidates) {
      const key = storage.keyOfUrl(videoUrl);
      const folders = storage.driver === 's3' ? [ ...SERVED_DIRS, settings.s3.prefix ] : SERVED_DIRS;
      if (key && formatOfKey(key, folders)?.kind === 'video') return { storage, key };
    }
    return null;
  }

  async cover(userId: number, request: CoverRequest) {
    const { ctx } = this;
    const found = this.locate(request.videoUrl);
    if (!found) throw new BusinessError(MSG.mediaVideoMissing);
    const owner = await this.app.kvStore.get(ownerKey(found.storage.driver, found.key));
    if (owner !== String(userId)) throw new BusinessError(MSG.mediaVideoMissing);
    await ctx.service.media.countUpload(userId);

    const temps: string[] = [];
    try {
      const input = await ctx.service.media.tempFile('video');
      temps.push(input);
      const settings = this.app.config.chat.media;
      if (!await found.storage.fetchToFile(found.key, input, settings.maxBytes.video)) throw new BusinessError(MSG.mediaVideoMissing);
      let frame = await this.frame(input, request.time / 1000, request.width, request.format);
      // Past the video's end there is no frame: take the first one instead.
      if (frame.length === 0 && request.time > 0) frame = await this.frame(input, 0, request.width, request.format);
      if (frame.length === 0) throw new BusinessError(MSG.mediaCoverFailed);
      const format = GENERATED[request.format];
      const output = await ctx.service.media.tempFile(format.ext);
      temps.push(output);
      await fs.promises.writeFile(output, frame);
      const key = newKey(COVER_DIR, format.ext);
      await found.storage.putFile(key, output, format.contentType);
      return {
        base64: `data:${format.contentType};base64,${frame.toString('base64')}`,
        url: found.storage.urlOf(key),
        format: request.format,
        time: request.time,
        width: request.width,
      };
    } finally {
      await Promise.all(temps.map(temp => fs.promises.rm(temp, { force: true })));
    }
  }

  /** One frame at `seconds`, `width` px wide, as PNG or JPEG bytes (empty when there is none). */
  frame(input: string, seconds: number, width: number, format: 'png' | 'jpg'): Promise<Buffer> {
    const { ffmpegPath, ffmpegTimeoutMs } = this.app.config.chat.media;
    const args = [
      '-nostdin', '-hide_banner', '-loglevel', 'error',
      // A local file of ours only: no network protocol, whatever the container says.
      '-protocol_whitelist', 'file',
      '-ss', seconds.toFixed(3), '-i', input,
      '-frames:v', '1', '-vf', `scale=${width}:-2`,
      '-f', 'image2pipe', '-c:v', format === 'png' ? 'png' : 'mjpeg',
      'pipe:1',
    ];
    return new Promise((resolve, reject) => {
      const child = spawn(ffmpegPath, args, { stdio: [ 'ignore', 'pipe', 'pipe' ] });
      const chunks: Buffer[] = [];
      let bytes = 0;
      let stderr = '';
      let failed: Error | null = null;
      const timer = setTimeout(() => {
        failed = new BusinessError(MSG.mediaCoverFailed);
        child.kill('SIGKILL');
      }, ffmpegTimeoutMs);
      child.stdout.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_FRAME_BYTES) {
          failed = new BusinessError(MSG.mediaCoverFailed);
          child.kill('SIGKILL');
          return;
        }
        chunks.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        if (stderr.length < 2000) stderr += chunk.toString();
      });
      child.on('error', (err: any) => {
        clearTimeout(timer);
        this.ctx.logger.error('[media] ffmpeg could not start (%s): %s', ffmpegPath, err?.message);
        reject(new HttpError(503, MSG.mediaCoverUnavailable));
      });
      child.on('close', code => {
        clearTimeout(timer);
        if (failed) return reject(failed);
        if (code !== 0) {
          this.ctx.logger.warn('[media] ffmpeg exited with %s: %s', code, stderr.trim());
          return reject(new BusinessError(MSG.mediaCoverFailed));
        }
        resolve(Buffer.concat(chunks));
      });
    });
  }
}
