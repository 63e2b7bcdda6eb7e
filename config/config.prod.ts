import { EggAppConfig, PowerPartial } from 'egg';

export default () => {
  const config: PowerPartial<EggAppConfig> = {};
  config.logger = { level: 'INFO', consoleLevel: 'WARN' } as any;
  return config;
};
