import { randomBytes } from 'node:crypto';

/** What an upload may be. The kind is decided from the file's first bytes (file-type), never its name. */
export type MediaKind = 'image' | 'voice' | 'video';

export interface MediaFormat { ext: string; kind: MediaKind; contentType: string }

/**
 * The allow-list: file-type's extension → what is stored and the Content-Type it is served with. Nothing
 * else is accepted (no SVG, no HTML, no archive): a served file can never run as a page's script.
 */
export const FORMATS: Readonly<Record<string, MediaFormat>> = {
  jpg: { ext: 'jpg', kind: 'image', contentType: 'image/jpeg' },
  png: { ext: 'png', kind: 'image', contentType: 'image/png' },
  gif: { ext: 'gif', kind: 'image', contentType: 'image/gif' },
  webp: { ext: 'webp', kind: 'image', contentType: 'image/webp' },
  mp3: { ext: 'mp3', kind: 'voice', contentType: 'audio/mpeg' },
  m4a: { ext: 'm4a', kind: 'voice', contentType: 'audio/mp4' },
  aac: { ext: 'aac', kind: 'voice', contentType: 'audio/aac' },
  wav: { ext: 'wav', kind: 'voice', contentType: 'audio/wav' },
  amr: { ext: 'amr', kind: 'voice', contentType: 'audio/amr' },
  mp4: { ext: 'mp4', kind: 'video', contentType: 'video/mp4' },
  mov: { ext: 'mov', kind: 'video', contentType: 'video/quicktime' },
  webm: { ext: 'webm', kind: 'video', contentType: 'video/webm' },
};

/** Thumbnails and video covers are written by the server itself, in these formats. */
export const GENERATED: Readonly<Record<string, MediaFormat>> = {
  jpg: FORMATS.jpg,
  png: FORMATS.png,
};

/**
 * The `:dir` allow-list of uploadStreamSingleToServerDiy: the folders the client uses, and which kinds each
 * takes. The chat folders take every kind (the client sends a video to `chatImgs` when only images are set
 * to go to this server); the avatar folders take images only.
 */
export const UPLOAD_DIRS: Readonly<Record<string, readonly MediaKind[]>> = {
  chatImgs: [ 'image', 'voice', 'video' ],
  chatVideos: [ 'image', 'voice', 'video' ],
  chatAudios: [ 'image', 'voice', 'video' ],
  chatVoices: [ 'image', 'voice', 'video' ],
  chatFiles: [ 'image', 'voice', 'video' ],
  avatars: [ 'image' ],
  groupAvatars: [ 'image' ],
};

/** The folder of video covers (written by getVideoScreenshot, never by an upload). */
export const COVER_DIR = 'VideoScreenshot';

/** Every folder a stored key may start with (the served route accepts nothing else). */
export const SERVED_DIRS: readonly string[] = [ ...Object.keys(UPLOAD_DIRS), COVER_DIR ];

/** The server-generated file names: `<ms>_<24 hex>[_thumb].<ext>` — nothing of the client's name survives. */
export const STORED_NAME = /^\d{13}_[0-9a-f]{24}(?:_thumb)?\.([a-z0-9]{2,4})$/;
const DATE = /^\d{8}$/;

/** `yyyymmdd` of now in the server's local calendar, as the original's folders. */
export function datePath(now = new Date()): string {
  return `${now.getFullYear()}${String(now.getMonth() + 1).padStart(2, '0')}${String(now.getDate()).padStart(2, '0')}`;
}

/** A fresh key `<folder>/<yyyymmdd>/<ms>_<random>.<ext>`. */
export function newKey(folder: string, ext: string, now = new Date()): string {
  return `${folder}/${datePath(now)}/${now.getTime()}_${randomBytes(12).toString('hex')}.${ext}`;
}

/** The thumbnail's key beside an image's key. */
export function thumbnailKey(key: string): string {
  return key.replace(/\.[a-z0-9]+$/, '_thumb.jpg');
}

/**
 * The format of a key this server could have written (folder, date and name all well-formed), or null:
 * anything else — traversal, an absolute path, an unknown extension — is not ours.
 */
export function formatOfKey(key: string, folders: readonly string[] = SERVED_DIRS): MediaFormat | null {
  const parts = key.split('/');
  if (parts.length !== 3) return null;
  const [ folder, date, name ] = parts;
  if (!folders.includes(folder) || !DATE.test(date)) return null;
  const match = STORED_NAME.exec(name);
  if (!match) return null;
  return FORMATS[match[1]] ?? null;
}
