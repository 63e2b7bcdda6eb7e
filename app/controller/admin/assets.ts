import { Controller } from 'egg';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { HttpError } from '../../lib/errors';
import { MSG } from '../../lib/messages';

// The console's scripts and styles, served by the app (no CDN): Chart.js from its npm package, and the
// console's own two files. The URL never becomes a path: only these names are served.
const CHART_DIST = path.dirname(require.resolve('chart.js'));
const OWN = path.join(__dirname, '../../public/admin');
const ASSETS = new Map<string, { file: string; type: string }>([
  [ 'chart.umd.min.js', { file: path.join(CHART_DIST, 'chart.umd.min.js'), type: 'application/javascript; charset=utf-8' }],
  [ 'admin.js', { file: path.join(OWN, 'admin.js'), type: 'application/javascript; charset=utf-8' }],
  [ 'admin.css', { file: path.join(OWN, 'admin.css'), type: 'text/css; charset=utf-8' }],
]);
const cache = new Map<string, Buffer>();

export default class AdminAssetsController extends Controller {
  /** GET /admin/assets/:file */
  async show() {
    const { ctx } = this;
    const asset = ASSETS.get(String(ctx.params.file));
    if (!asset) throw new HttpError(404, MSG.notFound);
    let body = cache.get(asset.file);
    if (!body) cache.set(asset.file, body = await fs.readFile(asset.file));
    ctx.set('Cache-Control', 'private, max-age=3600');
    ctx.type = asset.type;
    ctx.body = body;
  }
}
