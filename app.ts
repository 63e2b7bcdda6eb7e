import { Application, IBoot } from 'egg';
import { Sequelize } from 'sequelize';
import { DEFAULT_JWT_SECRET } from './config/config.default';
import { registerRules } from './app/lib/validation/rules';
import { tuneSqlite } from './app/lib/sqliteTuning';

export default class AppBoot implements IBoot {
  constructor(private readonly app: Application) {}

  configWillLoad() {
    const { config } = this.app;
    if (config.env === 'prod' && (!process.env.JWT_SECRET || config.jwt.secret === DEFAULT_JWT_SECRET)) {
      throw new Error('JWT_SECRET must be set to a secret of your own in production (EGG_SERVER_ENV=prod).');
    }
    // The error mapper wraps everything, the body parser included; egg's HTML 404 page is not wanted.
    config.coreMiddleware.unshift('errorHandler');
    (config as any).notfound = { ...(config as any).notfound, enable: false };
  }

  async didLoad() {
    registerRules(this.app.validator as any);
    tuneSqlite(this.app.model as unknown as Sequelize, 5000);
  }
}
