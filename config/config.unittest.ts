import { EggAppConfig, PowerPartial } from 'egg';

export default () => {
  const config: PowerPartial<EggAppConfig> = {};
  // Tests start from an empty schema on either profile: always apply the migrations.
  (config as any).chat = { autoMigrate: process.env.DB_AUTO_MIGRATE !== '0' };
  config.logger = { consoleLevel: 'NONE' } as any;
  return config;
};
