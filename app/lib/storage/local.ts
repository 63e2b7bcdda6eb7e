import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { MediaStorage } from './types';
import { storageFailure } from './failure';

/** Files under one folder of the local disk, served back by GET `<urlPrefix>/<key>` (app/service/media.ts). */
export class LocalStorage implements MediaStorage {
  readonly driver = 'local' as const;

  constructor(readonly root: string, readonly urlPrefix: string) {}

  /** The absolute path of a key, refusing anything that would leave the root. */
  pathOf(key: string): string {
    const full = path.resolve(this.root, key);
    if (!full.startsWith(this.root + path.sep)) throw new Error(`key outside the storage root: ${key}`);
    return full;
  }

  async putFile(key: string, file: string): Promise<void> {
    const target = this.pathOf(key);
    try {
      await fs.promises.mkdir(path.dirname(target), { recursive: true });
      try {
        // Same file system (the default: the temporary folder is inside the root): atomic.
        await fs.promises.link(file, target);
        return;
      } catch (err: any) {
        if (err?.code !== 'EXDEV' && err?.code !== 'EPERM') throw err;
      }
      // Another file system: copy beside the target, then rename (readers never see half a file).
      const partial = `${target}.${randomBytes(6).toString('hex')}.part`;
      try {
        await pipeline(fs.createReadStream(file), fs.createWriteStream(partial, { flags: 'wx' }));
        await fs.promises.rename(partial, target);
      } catch (err) {
        await fs.promises.rm(partial, { force: true });
        throw err;
      }
    } catch (err) {
      throw storageFailure(err);
    }
  }

  async fetchToFile(key: string, file: string): Promise<boolean> {
    try {
      await fs.promises.copyFile(this.pathOf(key), file);
      return true;
    } catch (err: any) {
      if (err?.code === 'ENOENT') return false;
      throw storageFailure(err);
    }
  }

  urlOf(key: string): string {
    return `${this.urlPrefix}/${key}`;
  }

  keyOfUrl(url: string): string | null {
    let pathname = url;
    if (!url.startsWith('/')) {
      try {
        const parsed = new URL(url);
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
        // Only the path counts: the host is whatever the client calls this server; it is never fetched.
        pathname = parsed.pathname;
      } catch {
        return null;
      }
    } else if (url.startsWith('//')) {
      return null;
    }
    pathname = pathname.split(/[?#]/)[0];
    if (!pathname.startsWith(this.urlPrefix + '/')) return null;
    try {
      return decodeURIComponent(pathname.slice(this.urlPrefix.length + 1));
    } catch {
      return null;
    }
  }

  async remove(key: string): Promise<void> {
    await fs.promises.rm(this.pathOf(key), { force: true });
  }
}
