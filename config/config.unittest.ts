import { EggAppConfig, EggAppInfo, PowerPartial } from 'egg';
import * as path from 'node:path';

export default (appInfo: EggAppInfo) => {
  const config: PowerPartial<EggAppConfig> = {};
  const generous = { limit: 1_000_000, windowSeconds: 3600 };
  (config as any).chat = {
    // Tests start from an empty schema on either profile: always apply the migrations.
    autoMigrate: process.env.DB_AUTO_MIGRATE !== '0',
    // The suite registers hundreds of users from 127.0.0.1; throttle tests lower these with mm().
    throttle: { loginFailPerAccount: generous, loginFailPerIp: generous, registerPerIp: generous, applyPerUser: generous, visitorPerIp: generous, sendPerUser: generous },
    // Group receipts written soon, so tests can see them (production: every 5 s).
    socket: { groupCursorFlushMs: 200 },
    // Each test process stores its uploads apart (removed by the media tests when they end).
    media: {
      localDir: path.join(appInfo.baseDir, 'data', `unittest-uploads-${process.pid}`),
      tmpDir: path.join(appInfo.baseDir, 'data', `unittest-uploads-${process.pid}`, '.tmp'),
      perMinute: generous,
      perDay: generous,
    },
    // The tips on connect (issue 19) would be the first chat frames of every socket test: off, except in
    // test/app/socket/tips.test.ts, which switches them on.
    care: { tips: { enabled: false } },
  };
  config.logger = { consoleLevel: 'NONE' } as any;
  return config;
};
