'use strict';
const path = require('node:path');

// Same framework settings as eggchat where they touch every request (JSON API, no CSRF, logs in the
// project), nothing else: what is left is the framework's own per-request cost.
module.exports = appInfo => ({
  keys: 'eggchat-bench-bare',
  security: { csrf: { enable: false } },
  onerror: { accepts: () => 'json' },
  logger: { dir: path.join(appInfo.baseDir, 'logs') },
  cluster: { listen: { port: Number(process.env.PORT || 7302), hostname: '127.0.0.1' } },
});
