import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as http from 'node:http';
import { execFileSync } from 'node:child_process';
import { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { app, mock } from 'egg-mock/bootstrap';
import { resetDatabase } from '../../../helpers/db';
import { TestUser, assertFail, assertOk, post, registerUser } from '../../../helpers/api';
import { registerVisitor } from '../../../helpers/visitor';
import { TestS3, deadS3Settings, fetchBytes, startS3 } from '../../../helpers/s3';
import { MSG } from '../../../../app/lib/messages';
import { filesUnder } from '../../../helpers/files';

const DIY = '/api/chat/uploadStreamSingleToServerDiy';

/** A PCM WAV file of `samples` bytes of sound. */
function wav(samples: number, fill = 3): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + samples, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(8000, 28);
  header.writeUInt16LE(1, 32);
  header.writeUInt16LE(8, 34);
  header.write('data', 36);
  header.writeUInt32LE(samples, 40);
  return Buffer.concat([ header, Buffer.alloc(samples, fill) ]);
}

interface Fixtures { png: Buffer; jpegWithGps: Buffer; wav: Buffer; mp3: Buffer; mp4: Buffer }

async function makeFixtures(work: string): Promise<Fixtures> {
  const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 10, b: 30 } } }).png().toBuffer();
  const jpegWithGps = await sharp({ create: { width: 80, height: 60, channels: 3, background: { r: 10, g: 120, b: 200 } } })
    .jpeg()
    .withExif({ IFD0: { Copyright: 'secret-owner' }, IFD3: { GPSLatitudeRef: 'N', GPSLongitudeRef: 'E' } })
    .toBuffer();
  const mp3File = path.join(work, 'voice.mp3');
  const mp4File = path.join(work, 'clip.mp4');
  execFileSync('ffmpeg', [ '-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'libmp3lame', mp3File ]);
  execFileSync('ffmpeg', [ '-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=duration=1:size=320x240:rate=10', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', mp4File ]);
  return { png, jpegWithGps, wav: wav(20000), mp3: fs.readFileSync(mp3File), mp4: fs.readFileSync(mp4File) };
}

function upload(token: string | undefined, dir: string, bytes: Buffer, filename: string, options: { field?: string; contentType?: string } = {}) {
  return post(app, `${DIY}/${dir}`, token).attach(options.field ?? 'file', bytes, { filename, contentType: options.contentType ?? 'application/octet-stream' });
}

function getServed(url: string) {
  return app.httpRequest().get(url).buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
}

/** POST a multipart body of `total` bytes over a real socket, slowly; resolves with the answer and the bytes sent by then. */
async function streamingUpload(server: http.Server, token: string, urlPath: string, head: Buffer, total: number): Promise<{ status: number; body: any; sentWhenAnswered: number; error?: string }> {
  const port = (server.address() as AddressInfo).port;
  const boundary = '----eggchatboundary';
  const preamble = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\nContent-Type: video/mp4\r\n\r\n`);
  const closing = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = http.request({
      host: '127.0.0.1', port, method: 'POST', path: urlPath,
      headers: { token, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': preamble.length + total + closing.length },
    }, res => {
      answered = true;
      const sentWhenAnswered = sent;
      const chunks: Buffer[] = [];
      res.on('data', chunk => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || 'null'), sentWhenAnswered }));
    });
    // The server answers and closes the connection while we are still sending: the answer or the write error
    // (EPIPE / ECONNRESET) may reach us first. Either way it stopped us early.
    req.on('error', (err: any) => {
      if (answered) return;
      answered = true;
      if (err?.code === 'EPIPE' || err?.code === 'ECONNRESET') resolve({ status: 0, body: null, sentWhenAnswered: sent, error: err.code });
      else reject(err);
    });
    const write = async () => {
      req.write(preamble);
      req.write(head);
      sent = head.length;
      const chunk = Buffer.alloc(64 * 1024, 1);
      while (sent < total && !answered) {
        const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
        sent += piece.length;
        if (!req.write(piece)) await new Promise(r => req.once('drain', r));
        await new Promise(r => setImmediate(r));
        if (req.destroyed) return;
      }
      if (!answered) req.end(closing);
    };
    write().catch(() => undefined);
  });
}

describe('test/app/controller/chat/media.test.ts', () => {
  let work: string;
  let fx: Fixtures;
  let me: TestUser;
  let other: TestUser;
  const localDir = () => app.config.chat.media.localDir;

  before(async () => {
    await resetDatabase(app);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'eggchat-media-'));
    fx = await makeFixtures(work);
    me = await registerUser(app);
    other = await registerUser(app);
  });
  afterEach(() => mock.restore());
  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(app.config.chat.media.localDir, { recursive: true, force: true });
  });

  describe('POST /api/chat/uploadStreamSingleToServerDiy/:dir', () => {
    it('a PNG: 200 with the original\'s url shape and a thumbnail; served back with the same pixels, its type, nosniff, long cache', async () => {
      const data = assertOk(await upload(me.token, 'chatImgs', fx.png, 'photo.png', { contentType: 'image/png' }));
      assert.match(data.url, /^\/public\/uploads\/Diy\/chatImgs\/\d{8}\/\d{13}_[0-9a-f]{24}\.png$/);
      assert.match(data.thumbnail, /_thumb\.jpg$/);
      const served = await getServed(data.url);
      assert.strictEqual(served.status, 200);
      assert.strictEqual(served.headers['content-type'], 'image/png');
      assert.strictEqual(served.headers['x-content-type-options'], 'nosniff');
      assert.match(served.headers['cache-control'], /max-age=31536000/);
      const [ sent, got ] = await Promise.all([ sharp(fx.png).raw().toBuffer(), sharp(served.body).raw().toBuffer() ]);
      assert.ok(sent.equals(got), 'same pixels');
      const thumb = await getServed(data.thumbnail);
      assert.strictEqual(thumb.status, 200);
      assert.strictEqual(thumb.headers['content-type'], 'image/jpeg');
      assert.strictEqual((await sharp(thumb.body).metadata()).format, 'jpeg');
    });

    it('a JPEG loses its EXIF (GPS, copyright) and keeps its size', async () => {
      assert.ok((await sharp(fx.jpegWithGps).metadata()).exif, 'the fixture carries EXIF');
      const data = assertOk(await upload(me.token, 'avatars', fx.jpegWithGps, 'me.jpg', { contentType: 'image/jpeg' }));
      const served = await getServed(data.url);
      const meta = await sharp(served.body).metadata();
      assert.strictEqual(meta.exif, undefined);
      assert.strictEqual(meta.width, 80);
      assert.strictEqual(meta.height, 60);
      assert.strictEqual(served.body.includes(Buffer.from('secret-owner')), false);
    });

    it('voice (WAV, MP3) and video (MP4) come back byte-identical, with their types; a video answers byte ranges', async () => {
      for (const [ bytes, name, type ] of [[ fx.wav, 'a.wav', 'audio/wav' ], [ fx.mp3, 'b.mp3', 'audio/mpeg' ], [ fx.mp4, 'c.mp4', 'video/mp4' ]] as Array<[ Buffer, string, string ]>) {
        const data = assertOk(await upload(me.token, type.startsWith('video') ? 'chatVideos' : 'chatAudios', bytes, name));
        assert.strictEqual(data.thumbnail, null);
        const served = await getServed(data.url);
        assert.strictEqual(served.status, 200);
        assert.strictEqual(served.headers['content-type'], type);
        assert.ok(served.body.equals(bytes), `${name} byte-identical`);
        if (type === 'video/mp4') {
          const part = await getServed(data.url).set('Range', 'bytes=10-19');
          assert.strictEqual(part.status, 206);
          assert.strictEqual(part.headers['content-range'], `bytes 10-19/${bytes.length}`);
          assert.ok(part.body.equals(bytes.subarray(10, 20)));
        }
      }
    });

    it('a visitor may upload (the original\'s visitor whitelist)', async () => {
      const visitor = await registerVisitor(app);
      assertOk(await upload(visitor.token, 'chatImgs', fx.png, 'v.png'));
    });

    it('401 without or with a bad token, and nothing is stored', async () => {
      const before = filesUnder(localDir());
      assertFail(await upload(undefined, 'chatImgs', fx.png, 'x.png'), 401, MSG.authMissing);
      assertFail(await upload('not-a-token', 'chatImgs', fx.png, 'x.png'), 401, MSG.authInvalid);
      assert.deepStrictEqual(filesUnder(localDir()), before);
    });

    it('422: a folder off the allow-list (traversal, absolute, unknown), no file, the wrong field', async () => {
      const before = filesUnder(localDir());
      for (const dir of [ '..', '..%2F..%2Fetc', '%2Fetc', 'app', 'chatImgs%2F..%2F..' ]) {
        const res = await upload(me.token, dir, fx.png, 'x.png');
        assert.ok([ 404, 422 ].includes(res.status), `${dir}: ${res.status}`);
        assert.strictEqual(res.body.msg, 'fail');
        if (res.status === 422) assert.match(res.body.data, /^上传目录 的值/);
      }
      assertFail(await post(app, `${DIY}/chatImgs`, me.token).send({ file: 'abc' }), 422, '文件不能为空');
      assertFail(await post(app, `${DIY}/chatImgs`, me.token).field('name', 'x'), 422, '文件不能为空');
      assertFail(await upload(me.token, 'chatImgs', fx.png, 'x.png', { field: 'img' }), 422, '文件不能为空');
      assert.deepStrictEqual(filesUnder(localDir()), before);
    });

    it('400 for a file disguised by its name and type (HTML, SVG, a script, a zip), 422 for an empty file, and a video in an image-only folder', async () => {
      const before = filesUnder(localDir());
      const disguised: Array<[ Buffer, string ]> = [
        [ Buffer.from('<!DOCTYPE html><html><script>alert(document.cookie)</script></html>'), 'cat.png' ],
        [ Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'cat.jpg' ],
        [ Buffer.from('#!/bin/sh\nrm -rf /\n'), 'clip.mp4' ],
        [ Buffer.concat([ Buffer.from('PK\u0003\u0004'), Buffer.alloc(5000) ]), 'song.mp3' ],
      ];
      for (const [ bytes, name ] of disguised) {
        assertFail(await upload(me.token, 'chatImgs', bytes, name, { contentType: 'image/png' }), 400, MSG.mediaKindRefused);
      }
      assertFail(await upload(me.token, 'avatars', fx.mp4, 'face.png', { contentType: 'image/png' }), 400, MSG.mediaKindNotForDir);
      assertFail(await upload(me.token, 'chatImgs', Buffer.alloc(0), 'empty.png', { contentType: 'image/png' }), 422, '文件不能为空');
      assert.deepStrictEqual(filesUnder(localDir()), before);
    });

    it('413 for a file over its kind\'s cap: cut off while streaming (long before the body ends), nothing left on disk', async () => {
      const settings = app.config.chat.media;
      mock(app.config.chat, 'media', { ...settings, maxBytes: { ...settings.maxBytes, video: 256 * 1024 } });
      const before = filesUnder(localDir());
      const server = http.createServer(app.callback()).listen(0, '127.0.0.1');
      await new Promise(resolve => server.once('listening', resolve));
      try {
        const total = 32 * 1024 * 1024;
        const answer = await streamingUpload(server, me.token, `${DIY}/chatVideos`, fx.mp4.subarray(0, 4100), total);
        if (!answer.error) {
          assert.strictEqual(answer.status, 413);
          assert.deepStrictEqual(answer.body, { msg: 'fail', data: MSG.mediaTooLarge });
        }
        assert.ok(answer.sentWhenAnswered < total / 4, `answered after ${answer.sentWhenAnswered} of ${total} bytes`);
      } finally {
        server.close();
      }
      // Just over the cap (the whole body fits the socket buffers, so the answer is read): the contract's 413.
      assertFail(await upload(me.token, 'chatVideos', Buffer.concat([ fx.mp4, Buffer.alloc(256 * 1024) ]), 'v.mp4'), 413, MSG.mediaTooLarge);
      // Under the cap still works: an image's cap is not the video's.
      assertOk(await upload(me.token, 'chatImgs', fx.png, 'ok.png'));
      const after = filesUnder(localDir()).filter(file => !before.includes(file));
      assert.strictEqual(after.length, 2, `only the PNG and its thumbnail: ${after}`);
      assert.deepStrictEqual(filesUnder(settings.tmpDir), []);
    });

    it('concurrent uploads each get their own name and come back intact', async () => {
      const images = await Promise.all(Array.from({ length: 8 }, (_, i) =>
        sharp({ create: { width: 16 + i, height: 16, channels: 3, background: { r: i * 20, g: 0, b: 0 } } }).png().toBuffer()));
      const answers = await Promise.all(images.map((bytes, i) => upload(i % 2 ? me.token : other.token, 'chatImgs', bytes, `p${i}.png`)));
      const urls = answers.map(res => assertOk(res).url);
      assert.strictEqual(new Set(urls).size, urls.length);
      for (const [ i, url ] of urls.entries()) {
        const served = await getServed(url);
        assert.strictEqual((await sharp(served.body).metadata()).width, 16 + i);
      }
      assert.deepStrictEqual(filesUnder(app.config.chat.media.tmpDir), []);
    });

    it('disk full: 507, nothing half-written left (a 1 MB file system)', async function() {
      const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'eggchat-full-'));
      try {
        execFileSync('mount', [ '-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint ], { stdio: 'ignore' });
      } catch {
        fs.rmSync(mountPoint, { recursive: true, force: true });
        return this.skip(); // not root: no way to make a small file system here
      }
      try {
        const settings = app.config.chat.media;
        mock(app.config.chat, 'media', { ...settings, localDir: mountPoint, tmpDir: path.join(mountPoint, '.tmp') });
        const res = await upload(me.token, 'chatAudios', wav(600 * 1024), 'long.wav');
        assertFail(res, 507, MSG.mediaStorageFull);
        assert.deepStrictEqual(filesUnder(mountPoint), []);
        // A file that fits still goes through.
        assertOk(await upload(me.token, 'chatAudios', fx.wav, 'short.wav'));
      } finally {
        execFileSync('umount', [ mountPoint ]);
        fs.rmSync(mountPoint, { recursive: true, force: true });
      }
    });

    it('429 past the per-minute rate and past the daily quota, with Retry-After', async () => {
      const settings = app.config.chat.media;
      const user = await registerUser(app);
      mock(app.config.chat, 'media', { ...settings, perMinute: { limit: 2, windowSeconds: 60 } });
      assertOk(await upload(user.token, 'chatImgs', fx.png, '1.png'));
      assertOk(await upload(user.token, 'chatImgs', fx.png, '2.png'));
      const refused = await upload(user.token, 'chatImgs', fx.png, '3.png');
      assertFail(refused, 429, MSG.mediaUploadTooFrequent);
      assert.ok(Number(refused.headers['retry-after']) >= 1);
      mock.restore();
      const quota = await registerUser(app);
      mock(app.config.chat, 'media', { ...settings, perDay: { limit: 1, windowSeconds: 86400 } });
      assertOk(await upload(quota.token, 'chatImgs', fx.png, '1.png'));
      assertFail(await upload(quota.token, 'chatImgs', fx.png, '2.png'), 429, MSG.mediaQuotaReached);
    });
  });

  describe('GET /public/uploads/Diy/:dir/:date/:name', () => {
    it('HEAD answers the headers only; a range past the end is 416', async () => {
      const { url } = assertOk(await upload(me.token, 'chatAudios', fx.wav, 'a.wav'));
      const head = await app.httpRequest().head(url);
      assert.strictEqual(head.status, 200);
      assert.strictEqual(head.headers['content-type'], 'audio/wav');
      assert.strictEqual(Number(head.headers['content-length']), fx.wav.length);
      const past = await app.httpRequest().get(url).set('Range', `bytes=${fx.wav.length + 10}-`);
      assert.strictEqual(past.status, 416);
      assert.strictEqual(past.headers['content-range'], `bytes */${fx.wav.length}`);
      const tail = await getServed(url).set('Range', 'bytes=-4');
      assert.strictEqual(tail.status, 206);
      assert.ok(tail.body.equals(fx.wav.subarray(fx.wav.length - 4)));
    });

    it('404 for anything but a stored file of ours; never HTML', async () => {
      for (const url of [ '/public/uploads/Diy/chatImgs/20260101/1767225600000_0123456789abcdef01234567.png',
        '/public/uploads/Diy/chatImgs/20260101/evil.html', '/public/uploads/Diy/..%2F..%2Fpackage.json/20260101/x.png',
        '/public/uploads/Diy/secret/20260101/1767225600000_0123456789abcdef01234567.png' ]) {
        const res = await app.httpRequest().get(url);
        assert.strictEqual(res.status, 404, url);
        assert.deepStrictEqual(res.body, { msg: 'fail', data: MSG.notFound });
      }
    });
  });

  describe('POST /api/chat/uploadAliyun', () => {
    let s3: TestS3;
    before(async () => { s3 = await startS3(); });
    after(() => s3.stop());

    it('400 with a clear message when no object storage is configured', async () => {
      assertFail(await post(app, '/api/chat/uploadAliyun', me.token).attach('img', fx.png, 'x.png'), 400, MSG.mediaObjectStorageMissing);
    });

    it('to the object storage: the original\'s answer (url, path, image_class_id, create_time), the object byte-identical', async () => {
      mock(app.config.chat, 'media', { ...app.config.chat.media, s3: s3.settings });
      const res = await post(app, '/api/chat/uploadAliyun', me.token).field('imageClassId', '3').attach('img', fx.mp3, 'voice.mp3');
      const [ item ] = assertOk(res);
      assert.match(item.path, /^images\/\d{8}\/\d{13}_[0-9a-f]{24}\.mp3$/);
      assert.strictEqual(item.url, `${s3.endpoint}/${s3.bucket}/${item.path}`);
      assert.strictEqual(item.image_class_id, 3);
      assert.ok(Math.abs(item.create_time - Date.now() / 1000) < 60);
      const stored = await fetchBytes(item.url);
      assert.strictEqual(stored.headers['content-type'], 'audio/mpeg');
      assert.ok(stored.body.equals(fx.mp3));
      // An image gets its metadata stripped and a thumbnail there too.
      const [ image ] = assertOk(await post(app, '/api/chat/uploadAliyun', me.token).attach('img', fx.jpegWithGps, 'x.jpg'));
      assert.strictEqual((await sharp((await fetchBytes(image.url)).body).metadata()).exif, undefined);
      assert.strictEqual((await fetchBytes(image.thumbnail)).status, 200);
    });

    it('MEDIA_STORAGE=s3: uploadStreamSingleToServerDiy stores there too (absolute URL)', async () => {
      mock(app.config.chat, 'media', { ...app.config.chat.media, driver: 's3', s3: s3.settings });
      const data = assertOk(await upload(me.token, 'chatVideos', fx.mp4, 'c.mp4'));
      assert.match(data.url, new RegExp(`^${s3.endpoint}/${s3.bucket}/chatVideos/\\d{8}/`));
      assert.ok((await fetchBytes(data.url)).body.equals(fx.mp4));
    });

    it('401, 422 (class id, missing file), and 503 while the object storage is down (nothing kept locally)', async () => {
      mock(app.config.chat, 'media', { ...app.config.chat.media, s3: s3.settings });
      assertFail(await post(app, '/api/chat/uploadAliyun').attach('img', fx.png, 'x.png'), 401, MSG.authMissing);
      assertFail(await post(app, '/api/chat/uploadAliyun', me.token).field('imageClassId', 'abc').attach('img', fx.png, 'x.png'), 422, '图片分类id 必须是整数');
      assertFail(await post(app, '/api/chat/uploadAliyun', me.token).attach('file', fx.png, 'x.png'), 422, '文件不能为空');
      mock.restore();
      mock(app.config.chat, 'media', { ...app.config.chat.media, s3: await deadS3Settings() });
      const before = filesUnder(localDir());
      assertFail(await post(app, '/api/chat/uploadAliyun', me.token).attach('img', fx.png, 'x.png'), 503, MSG.mediaObjectStorageDown);
      assert.deepStrictEqual(filesUnder(localDir()), before);
    });
  });

  describe('POST /api/chat/getVideoScreenshot', () => {
    it('a frame of my uploaded video: base64 and a stored cover of the asked width and format (the client sends an absolute URL)', async () => {
      const { url } = assertOk(await upload(me.token, 'chatVideos', fx.mp4, 'c.mp4'));
      const data = assertOk(await post(app, '/api/chat/getVideoScreenshot', me.token).send({ videoUrl: `http://192.168.1.10:7001${url}`, time: 20, width: 260, format: 'png' }));
      assert.strictEqual(data.format, 'png');
      assert.strictEqual(data.time, 20);
      assert.strictEqual(data.width, 260);
      assert.match(data.base64, /^data:image\/png;base64,/);
      assert.match(data.url, /^\/public\/uploads\/Diy\/VideoScreenshot\/\d{8}\/\d{13}_[0-9a-f]{24}\.png$/);
      const cover = await getServed(data.url);
      assert.strictEqual(cover.headers['content-type'], 'image/png');
      assert.ok(cover.body.equals(Buffer.from(data.base64.split(',')[1], 'base64')));
      assert.strictEqual((await sharp(cover.body).metadata()).width, 260);
      // jpg, a time past the end (the first frame instead), defaults for the rest.
      const jpg = assertOk(await post(app, '/api/chat/getVideoScreenshot', me.token).type('form').send({ videoUrl: url, time: 999999, format: 'jpg' }));
      assert.match(jpg.base64, /^data:image\/jpeg;base64,/);
      assert.strictEqual((await sharp(Buffer.from(jpg.base64.split(',')[1], 'base64')).metadata()).width, 260);
    });

    it('never another user\'s video, an image, or a URL that is not ours (nothing is fetched)', async () => {
      const { url } = assertOk(await upload(me.token, 'chatVideos', fx.mp4, 'c.mp4'));
      const image = assertOk(await upload(me.token, 'chatImgs', fx.png, 'p.png')).url;
      const refused = [
        [ other.token, url ], [ me.token, image ], [ me.token, 'http://169.254.169.254/latest/meta-data/x.mp4' ],
        [ me.token, 'file:///etc/passwd' ], [ me.token, `${url}/../../../../package.json` ],
        [ me.token, '/public/uploads/Diy/chatVideos/20260101/1767225600000_0123456789abcdef01234567.mp4' ],
      ];
      for (const [ token, videoUrl ] of refused) {
        assertFail(await post(app, '/api/chat/getVideoScreenshot', token).send({ videoUrl }), 400, MSG.mediaVideoMissing);
      }
    });

    it('a video on the object storage: the cover goes there too', async () => {
      const s3 = await startS3();
      try {
        mock(app.config.chat, 'media', { ...app.config.chat.media, s3: s3.settings });
        const [ item ] = assertOk(await post(app, '/api/chat/uploadAliyun', me.token).attach('img', fx.mp4, 'c.mp4'));
        const data = assertOk(await post(app, '/api/chat/getVideoScreenshot', me.token).send({ videoUrl: item.url, width: 100 }));
        assert.ok(data.url.startsWith(`${s3.endpoint}/${s3.bucket}/VideoScreenshot/`));
        const cover = await fetchBytes(data.url);
        assert.strictEqual((await sharp(cover.body).metadata()).width, 100);
      } finally {
        await s3.stop();
      }
    });

    it('503 when ffmpeg is missing (the upload itself is unaffected)', async () => {
      const { url } = assertOk(await upload(me.token, 'chatVideos', fx.mp4, 'c.mp4'));
      mock(app.config.chat, 'media', { ...app.config.chat.media, ffmpegPath: path.join(work, 'no-such-ffmpeg') });
      assertFail(await post(app, '/api/chat/getVideoScreenshot', me.token).send({ videoUrl: url }), 503, MSG.mediaCoverUnavailable);
      assert.deepStrictEqual(filesUnder(app.config.chat.media.tmpDir), []);
    });

    it('401 and 422', async () => {
      assertFail(await post(app, '/api/chat/getVideoScreenshot').send({ videoUrl: '/x.mp4' }), 401, MSG.authMissing);
      assertFail(await post(app, '/api/chat/getVideoScreenshot', me.token).send({}), 422, '视频地址不能为空');
      assertFail(await post(app, '/api/chat/getVideoScreenshot', me.token).send({ videoUrl: '/x.mp4', width: 5000 }), 422, '截图宽度 必须小于或等于 3840');
      assertFail(await post(app, '/api/chat/getVideoScreenshot', me.token).send({ videoUrl: '/x.mp4', time: -1 }), 422, '截图时间 必须大于或等于 0');
      const res = await post(app, '/api/chat/getVideoScreenshot', me.token).send({ videoUrl: '/x.mp4', format: 'gif' });
      assertFail(res, 422);
      assert.match(res.body.data, /^截图格式 的值/);
    });
  });
});
