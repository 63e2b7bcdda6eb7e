// Entry point of a real server process for the outage and graceful-stop tests (see ./server.ts):
//   node -r ts-node/register/transpile-only test/helpers/serve.ts
// Everything comes from the environment: PORT, WORKERS, DATABASE_URL / SQLITE_FILE, REDIS_URL, …
// As `egg-scripts start` does with package.json's eggScriptsConfig.require: the master closes the port first on a stop.
import '../../app/lib/closePortFirst';
// eslint-disable-next-line @typescript-eslint/no-var-requires
require('egg').startCluster({
  baseDir: process.cwd(),
  workers: Number(process.env.WORKERS || 1),
  port: Number(process.env.PORT),
  typescript: true,
});
