import { EggPlugin } from 'egg';

const plugin: EggPlugin = {
  sequelize: { enable: true, package: 'egg-sequelize' },
  jwt: { enable: true, package: 'egg-jwt' },
  validate: { enable: true, package: 'egg-validate' },
  // The H5 build runs on another origin: preflights and CORS headers (origins: config.cors, CORS_ORIGINS).
  cors: { enable: true, package: 'egg-cors' },
  // Redis only in the production profile (REDIS_URL); the embedded profile keeps sessions in the database.
  redis: { enable: !!(process.env.REDIS_URL || process.env.REDIS_CLUSTER_NODES), package: 'egg-redis' },
  // Not used by a token API.
  // session, view, nunjucks, i18n: the admin console only (issue 20; its pages and cookie live under /admin).
  session: true,
  view: true,
  nunjucks: { enable: true, package: 'egg-view-nunjucks' },
  i18n: true,
  watcher: false,
  static: false,
  development: process.env.EGG_SERVER_ENV !== 'prod' && process.env.NODE_ENV !== 'production',
};

export default plugin;
