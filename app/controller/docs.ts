import { Controller } from 'egg';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Swagger UI at /docs: our own small page (docs/swagger-ui/), the swagger-ui-dist files from
 * node_modules (no CDN) and the OpenAPI document docs/openapi.yaml. Off in production unless
 * DOCS_ENABLED=1 (config.chat.docsEnabled); when off, every /docs URL answers the normal 404 JSON.
 */

const SWAGGER_UI_DIST = path.dirname(require.resolve('swagger-ui-dist/package.json'));

interface Asset {
  /** Where the file lives: inside node_modules/swagger-ui-dist ('dist') or the project's docs/ folder. */
  root: 'dist' | 'docs';
  file: string;
  type: string;
  /** Files of an installed package never change while the server runs: cache them in memory. */
  immutable: boolean;
}

/**
 * The only names /docs/:file serves. The URL never becomes a path: anything else ('../package.json',
 * '%2e%2e%2f…', '__proto__', a source map) is not in this map and answers 404.
 */
const ASSETS = new Map<string, Asset>([
  [ 'swagger-ui.css', { root: 'dist', file: 'swagger-ui.css', type: 'text/css; charset=utf-8', immutable: true }],
  [ 'swagger-ui-bundle.js', { root: 'dist', file: 'swagger-ui-bundle.js', type: 'application/javascript; charset=utf-8', immutable: true }],
  [ 'swagger-ui-standalone-preset.js', { root: 'dist', file: 'swagger-ui-standalone-preset.js', type: 'application/javascript; charset=utf-8', immutable: true }],
  [ 'swagger-initializer.js', { root: 'docs', file: 'swagger-ui/swagger-initializer.js', type: 'application/javascript; charset=utf-8', immutable: false }],
  [ 'openapi.yaml', { root: 'docs', file: 'openapi.yaml', type: 'application/yaml; charset=utf-8', immutable: false }],
]);

const INDEX: Asset = { root: 'docs', file: 'swagger-ui/index.html', type: 'text/html; charset=utf-8', immutable: false };

const cache = new Map<string, Buffer>();

export default class DocsController extends Controller {
  /** GET /docs — the Swagger UI page. */
  async index() {
    await this.send(INDEX);
  }

  /** GET /docs/:file — a whitelisted asset or the OpenAPI document. */
  async asset() {
    const asset = ASSETS.get(String(this.ctx.params.file));
    if (asset) await this.send(asset);
  }

  /** Leaves the response untouched (→ the error handler's 404 JSON) while the docs are disabled. */
  private async send(asset: Asset) {
    const { ctx } = this;
    if (!this.config.chat.docsEnabled) return;
    const absolute = asset.root === 'dist'
      ? path.join(SWAGGER_UI_DIST, asset.file)
      : path.join(this.app.baseDir, 'docs', asset.file);
    let body = asset.immutable ? cache.get(absolute) : undefined;
    if (!body) {
      body = await fs.readFile(absolute);
      if (asset.immutable) cache.set(absolute, body);
    }
    ctx.status = 200;
    ctx.type = asset.type;
    ctx.set('Cache-Control', asset.immutable ? 'public, max-age=86400' : 'no-cache');
    ctx.body = body;
  }
}
