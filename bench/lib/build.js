'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, DATA_DIR } = require('./profile');
const { log, run } = require('./util');

// BENCH_BUILD_DIR: measure a server built elsewhere (another checkout, an A/B variant) instead of building
// this tree; the directory must hold the compiled app plus package.json and database/.
const PREBUILT = process.env.BENCH_BUILD_DIR ? path.resolve(process.env.BENCH_BUILD_DIR) : null;
const BUILD_DIR = PREBUILT || path.join(DATA_DIR, 'build');
// Files besides the compiled code that the server reads at run time (tsc emits only .js).
const RUNTIME_ASSETS = [ 'app/view', 'app/public', 'config/locale' ];

/**
 * The production build (`npm run tsc` = `ets && tsc`), written to bench/.data/build instead of beside the
 * sources: the compiled server is the same, and no .js ever appears in app/ or config/ (where it would
 * break `egg-bin test` for anyone working in the tree while the bench runs). The build directory gets the
 * files the server reads at run time besides its code: package.json, database/ (config, migrations) and
 * RUNTIME_ASSETS (the admin console's templates and static files, the locale files).
 */
async function buildServer() {
  const startedAt = Date.now();
  if (PREBUILT) {
    if (!fs.existsSync(path.join(PREBUILT, 'app', 'router.js'))) throw new Error(`BENCH_BUILD_DIR=${PREBUILT} holds no compiled app`);
    fs.rmSync(path.join(PREBUILT, 'logs'), { recursive: true, force: true });
    log(`using the server already built in ${PREBUILT}`);
    return PREBUILT;
  }
  await run(process.execPath, [ require.resolve('egg-ts-helper/dist/bin.js', { paths: [ ROOT ] }) ], { cwd: ROOT, allowFailure: true });
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ ROOT ] });
  const result = await run(process.execPath, [ tsc, '-p', path.join(ROOT, 'bench', 'tsconfig.build.json') ], { cwd: ROOT, allowFailure: true });
  const entry = path.join(BUILD_DIR, 'app', 'router.js');
  if (!fs.existsSync(entry)) throw new Error(`tsc produced no server in ${BUILD_DIR}:\n${result.output}`);
  if (result.code !== 0) {
    // tsc still emitted; type errors come from work in progress elsewhere in the tree, not from the bench.
    log(`warning: tsc reported type errors (the build was emitted anyway):\n${result.output.split('\n').slice(0, 20).join('\n')}`);
    if (process.env.BENCH_STRICT_BUILD === '1') throw new Error('type errors (BENCH_STRICT_BUILD=1)');
  }
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(BUILD_DIR, 'package.json'));
  // Logs of earlier runs would count in this run's "no errors" check.
  fs.rmSync(path.join(BUILD_DIR, 'logs'), { recursive: true, force: true });
  fs.rmSync(path.join(BUILD_DIR, 'run'), { recursive: true, force: true });
  fs.rmSync(path.join(BUILD_DIR, 'database'), { recursive: true, force: true });
  fs.cpSync(path.join(ROOT, 'database'), path.join(BUILD_DIR, 'database'), { recursive: true });
  // What the server reads beside its code: the console's templates and static files, the locale files.
  for (const dir of RUNTIME_ASSETS) {
    fs.rmSync(path.join(BUILD_DIR, dir), { recursive: true, force: true });
    if (fs.existsSync(path.join(ROOT, dir))) fs.cpSync(path.join(ROOT, dir), path.join(BUILD_DIR, dir), { recursive: true });
  }
  log(`built the server into ${path.relative(ROOT, BUILD_DIR)} in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  return BUILD_DIR;
}

/** Compiled modules of the server, for the bench's own use (password hashing, migrations). */
function requireBuilt(relative) {
  return require(path.join(BUILD_DIR, relative));
}

module.exports = { BUILD_DIR, buildServer, requireBuilt };
