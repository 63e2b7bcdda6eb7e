#!/usr/bin/env node
'use strict';
// The whole HTTP suite with requests spread over both instances of the scale-out ensemble (issue 15 §5), run by
// scripts/cluster-test.sh once the ensemble is up (CLUSTER_DIR/env):
//   1. the Postman collection (docs/postman/, what `npm run test:postman` runs on one server) with newman against
//      nginx, whose upstream round-robins every request over instances A and B: a login answered by A is used on
//      B, a message sent through B is fetched through A, a file uploaded through one is served by the other;
//   2. scripts/socket-check.js through nginx: the sockets land on either instance, the HTTP calls that feed
//      them on either;
//   3. the spread itself, from nginx's access log (its `upstream=` field, scripts/lib/nginx-conf.sh): both
//      instances answered at least a quarter of the collection's requests.
// Ends with mocha's summary lines ("  N passing", "  N failing") so that .ci/run counts the assertions (newman's
// and the socket check's) like the ensemble's mocha tests; exits 1 on any failure.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const newman = require('newman');

const ROOT = path.join(__dirname, '..');
const DIR = process.env.CLUSTER_DIR || '/tmp/eggchat-cluster';

function readEnv() {
  const env = {};
  for (const line of fs.readFileSync(path.join(DIR, 'env'), 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line);
    if (match) env[match[1]] = match[2].replace(/^"|"$/g, '');
  }
  return env;
}

const env = readEnv();
const accessLog = path.join(DIR, 'nginx', 'logs', 'access.log');
let passing = 0;
let failing = 0;

function runNewman() {
  return new Promise(resolve => {
    newman.run({
      collection: path.join(ROOT, 'docs/postman/eggchat.postman_collection.json'),
      environment: path.join(ROOT, 'docs/postman/eggchat.postman_environment.json'),
      envVar: [{ key: 'baseUrl', value: env.NGINX_URL }],
      workingDir: ROOT,
      reporters: 'cli',
    }, (err, summary) => {
      if (err) {
        console.error(`newman: ${err.message}`);
        failing++;
        return resolve();
      }
      const { assertions, requests } = summary.run.stats;
      passing += assertions.total - assertions.failed;
      failing += assertions.failed + requests.failed;
      resolve();
    });
  });
}

/** The upstream ports of the access log's lines written after `offset`. */
function upstreams(offset) {
  const text = fs.readFileSync(accessLog).subarray(offset).toString();
  const counts = {};
  for (const match of text.matchAll(/ upstream=127\.0\.0\.1:(\d+)/g)) counts[match[1]] = (counts[match[1]] || 0) + 1;
  return counts;
}

async function main() {
  const before = fs.statSync(accessLog).size;
  console.log(`== newman: the Postman collection through nginx ${env.NGINX_URL} (A ${env.APP_A_URL}, B ${env.APP_B_URL})`);
  await runNewman();

  const counts = upstreams(before);
  const [ a, b ] = [ env.APP_A_URL, env.APP_B_URL ].map(url => counts[new URL(url).port] || 0);
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  if (total > 0 && a * 4 >= total && b * 4 >= total) {
    passing++;
    console.log(`  ok - the collection's requests were spread: A answered ${a}, B ${b} of ${total}`);
  } else {
    failing++;
    console.log(`  not ok - the collection's requests were not spread over both instances: A ${a}, B ${b} of ${total} (${JSON.stringify(counts)})`);
  }

  console.log(`== socket check (scripts/socket-check.js) through nginx ${env.NGINX_URL}`);
  const socket = spawnSync(process.execPath, [ path.join(ROOT, 'scripts/socket-check.js') ], {
    env: { ...process.env, BASE_URL: env.NGINX_URL }, encoding: 'utf8',
  });
  process.stdout.write(socket.stdout);
  process.stderr.write(socket.stderr);
  passing += (socket.stdout.match(/^ {2}ok - /gm) || []).length;
  if (socket.status !== 0) failing++;

  console.log(`\n  ${passing} passing (the ensemble's HTTP suite through nginx)`);
  if (failing) console.log(`  ${failing} failing (the ensemble's HTTP suite through nginx)`);
  process.exit(failing ? 1 : 0);
}

main().catch(err => {
  console.error(err);
  console.log('\n  1 failing (the ensemble\'s HTTP suite through nginx)');
  process.exit(1);
});
