'use strict';
const { spawn } = require('node:child_process');

const started = Date.now();

function log(...parts) {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`[bench ${seconds}s]`, ...parts);
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** Deterministic pseudo-random numbers (Park–Miller): the same data set on every run. */
function prng(seed) {
  const MODULUS = 2147483647;
  let state = (Math.abs(Math.floor(seed)) % (MODULUS - 1)) + 1;
  const next = () => {
    state = (state * 48271) % MODULUS;
    return (state - 1) / (MODULUS - 1);
  };
  next.int = (min, max) => min + Math.floor(next() * (max - min + 1));
  next.pick = list => list[Math.floor(next() * list.length)];
  next(); // the first value of a small seed is small
  return next;
}

/** `count` distinct integers from [min, max], in random order. */
function sampleDistinct(random, count, min, max) {
  if (max - min + 1 < count) throw new Error(`cannot draw ${count} distinct ids from [${min}, ${max}]`);
  const chosen = new Set();
  while (chosen.size < count) chosen.add(random.int(min, max));
  return [ ...chosen ];
}

/** Nearest-rank percentile of an ascending-sorted array. */
function percentile(sorted, p) {
  if (!sorted.length) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

const round = (value, digits = 2) => (value === null || value === undefined ? null : Number(value.toFixed(digits)));

/** Runs a command to completion; rejects with its output on a non-zero exit unless allowFailure. */
function run(command, args, { cwd, env, allowFailure = false, quiet = true } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: env || process.env, stdio: [ 'ignore', 'pipe', 'pipe' ] });
    let output = '';
    child.stdout.on('data', chunk => { output += chunk; if (!quiet) process.stdout.write(chunk); });
    child.stderr.on('data', chunk => { output += chunk; if (!quiet) process.stderr.write(chunk); });
    child.on('error', reject);
    child.on('close', code => {
      if (code !== 0 && !allowFailure) {
        reject(new Error(`${command} ${args.join(' ')} exited with ${code}\n${output}`));
      } else {
        resolve({ code, output });
      }
    });
  });
}

/** Runs `worker(item)` over items with at most `limit` in flight. */
async function mapLimit(items, limit, worker) {
  const results = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await worker(items[index], index);
    }
  });
  await Promise.all(lanes);
  return results;
}

module.exports = { log, sleep, prng, sampleDistinct, percentile, round, run, mapLimit };
