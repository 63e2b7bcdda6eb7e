import { Controller } from 'egg';
import { choice, integer, text } from '../../lib/validation/rules';
import { BusinessError } from '../../lib/errors';
import { MSG } from '../../lib/messages';
import { UPLOAD_DIRS } from '../../lib/media';
import { defaultStorage, objectStorage } from '../../lib/storage';

const dirRules = { dir: choice('上传目录', Object.keys(UPLOAD_DIRS)) };
const classRules = { imageClassId: integer('图片分类id', { min: 0, required: false, default: 0 }) };
const coverRules = {
  videoUrl: text('视频地址', { max: 1000 }),
  time: integer('截图时间', { min: 0, max: 86_400_000, required: false, default: 20 }),
  width: integer('截图宽度', { min: 1, max: 3840, required: false, default: 260 }),
  format: choice('截图格式', [ 'png', 'jpg', 'jpeg' ], { required: false }),
};

/** Uploads (local disk or object storage), video covers and the local driver's files (issue 14). */
export default class MediaController extends Controller {
  /** POST /api/chat/uploadStreamSingleToServerDiy/:dir — multipart field `file`. */
  async uploadStreamSingleToServerDiy() {
    const { ctx } = this;
    const { dir } = ctx.validateInput(dirRules, ctx.params);
    const settings = this.app.config.chat.media;
    const uploaded = await ctx.service.media.receive(ctx.me.id, {
      storage: defaultStorage(settings), folder: dir, field: 'file', kinds: UPLOAD_DIRS[dir],
    });
    // `thumbnail`: a JPEG thumbnail for an image, null for voice and video.
    ctx.ok({ url: uploaded.url, thumbnail: uploaded.thumbnail ?? null });
  }

  /** POST /api/chat/uploadAliyun — multipart field `img` (and `imageClassId`), to the object storage. */
  async uploadAliyun() {
    const { ctx } = this;
    const settings = this.app.config.chat.media;
    const storage = objectStorage(settings);
    if (!storage) throw new BusinessError(MSG.mediaObjectStorageMissing);
    let imageClassId = 0;
    const uploaded = await ctx.service.media.receive(ctx.me.id, {
      storage, folder: settings.s3.prefix, field: 'img', kinds: [ 'image', 'voice', 'video' ],
      // The class id travels as a form field before the file (the client), or in the query string:
      // checked before the file is read.
      checkFields: fields => {
        imageClassId = ctx.validateInput(classRules, { ...ctx.query, ...fields }).imageClassId;
      },
    });
    ctx.ok([{
      url: uploaded.url,
      path: uploaded.key,
      image_class_id: imageClassId,
      create_time: Math.floor(Date.now() / 1000),
      thumbnail: uploaded.thumbnail ?? null,
    }]);
  }

  /** POST /api/chat/getVideoScreenshot — a frame of a video this server stored for the caller. */
  async getVideoScreenshot() {
    const { ctx } = this;
    const input = ctx.validateInput(coverRules, ctx.request.body);
    const format = input.format === 'jpg' || input.format === 'jpeg' ? 'jpg' : 'png';
    ctx.ok(await ctx.service.mediaCover.cover(ctx.me.id, { videoUrl: input.videoUrl, time: input.time, width: input.width, format }));
  }

  /** GET /public/uploads/Diy/:dir/:date/:name — a stored file (local driver). */
  async served() {
    const { ctx } = this;
    // Anything but a well-formed key of this server is a 404 (app/lib/media.ts formatOfKey).
    const { dir, date, name } = ctx.params;
    await ctx.service.media.serve(String(dir), String(date), String(name));
  }
}
