'use strict';
const path = require('node:path');
const { ROOT } = require('./profile');
const { percentile, round } = require('./util');

const autocannon = require(require.resolve('autocannon', { paths: [ ROOT ] }));

/**
 * One autocannon run (a library call). autocannon's own histogram keeps whole milliseconds, so every
 * response time is also recorded here at full precision and the percentiles are computed from that.
 * Returns req/s, latency percentiles in ms, and every kind of failure counted separately.
 */
async function cannon({ url, connections, duration, requests, timeout = 10 }) {
  const samples = [];
  const instance = autocannon({ url, connections, duration, requests, timeout });
  instance.on('response', (client, statusCode, bytes, responseTime) => samples.push(responseTime));
  const result = await instance;
  samples.sort((a, b) => a - b);
  const non2xx = result.non2xx || 0;
  return {
    connections,
    duration: result.duration,
    requests: result.requests.total,
    rps: round(result.requests.average, 1),
    p50: round(percentile(samples, 50)),
    p90: round(percentile(samples, 90)),
    p99: round(percentile(samples, 99)),
    max: round(samples.length ? samples[samples.length - 1] : null),
    mean: round(samples.reduce((sum, v) => sum + v, 0) / (samples.length || 1)),
    bytesPerResponse: result.requests.total ? Math.round(result.throughput.total / result.requests.total) : 0,
    errors: (result.errors || 0) + non2xx,
    connectionErrors: result.errors || 0,
    timeouts: result.timeouts || 0,
    non2xx,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats || {}).map(([ code, { count }]) => [ code, count ])),
  };
}

/** A short unrecorded run first (JIT, pools, caches), then the measured one. */
async function measure(options, warmupSeconds, meter) {
  const warmup = warmupSeconds > 0 ? await cannon({ ...options, duration: warmupSeconds }) : null;
  if (meter) meter.start();
  const result = await cannon(options);
  if (meter) result.cpuMsPerRequest = meter.stop(result.requests);
  // Failures during the warm-up count too: "no errors during any run".
  if (warmup) {
    result.warmupErrors = warmup.errors;
    result.timeouts += warmup.timeouts;
  }
  return result;
}

module.exports = { cannon, measure, autocannonVersion: require(path.join(path.dirname(require.resolve('autocannon', { paths: [ ROOT ] })), 'package.json')).version };
