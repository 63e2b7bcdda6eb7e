import { EggAppConfig, PowerPartial } from 'egg';

export default () => {
  const config: PowerPartial<EggAppConfig> = {};
  const generous = { limit: 1_000_000, windowSeconds: 3600 };
  (config as any).chat = {
    // Tests start from an empty schema on either profile: always apply the migrations.
    autoMigrate: process.env.DB_AUTO_MIGRATE !== '0',
    // The suite registers hundreds of users from 127.0.0.1; throttle tests lower these with mm().
    throttle: { loginFailPerAccount: generous, loginFailPerIp: generous, registerPerIp: generous, applyPerUser: generous, visitorPerIp: generous, sendPerUser: generous },
    // Group receipts written soon, so tests can see them (production: every 5 s).
    socket: { groupCursorFlushMs: 200 },
  };
  config.logger = { consoleLevel: 'NONE' } as any;
  return config;
};
