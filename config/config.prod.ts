import { EggAppConfig, PowerPartial } from 'egg';

export default () => {
  const config: PowerPartial<EggAppConfig> = {};
  config.logger = { level: 'INFO', consoleLevel: 'WARN' } as any;
  // TRUST_PROXY=1 (config.default.ts) trusts X-Forwarded-For. nginx appends the address it saw to whatever
  // the client sent ($proxy_add_x_forwarded_for), so only the LAST entry is trustworthy: without this limit
  // a client could send "X-Forwarded-For: 1.2.3.4" and pick the IP the throttles count.
  if (process.env.TRUST_PROXY === '1') (config as any).maxIpsCount = 1;
  return config;
};
