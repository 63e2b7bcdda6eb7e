#!/usr/bin/env node
'use strict';
// The whole HTTP suite with requests spread over both instances of the scale-out ensemble (issue 15 §5), run by
// scripts/cluster-test.sh once the ensemble is up (CLUSTER_DIR/env):
//   1. the Postman collection (docs/postman/, what `npm run test:postman` runs on one server) with newman against
//      nginx, whose upstream round-robins every request over instances A and B: a login answered by A is used on
//      B, a message sent through B is fetched through A, a file uploaded through one is served by the other;
//   2. scripts/socket-check.js through nginx (run last): the sockets land on either instance, the HTTP calls that feed
//      them on either;
//   3. the admin console (the /admin routes of docs/openapi.yaml, which the collection leaves out): log in, every
//      page but one auto-answer's, a user disabled and enabled again (CSRF), the audit log, log out — the session held
//      across instances;
//   4. the spread itself, from nginx's access log (its `upstream=` field, scripts/lib/nginx-conf.sh): both
//      instances answered at least a quarter of the requests of 1 and 3.
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

/** A browser-like client of the admin console through nginx: its cookies, and the CSRF field of the last page. */
class ConsoleClient {
  constructor(base) {
    this.base = base;
    this.cookies = new Map();
    this.csrf = '';
  }

  async request(method, path, form) {
    const headers = { cookie: [ ...this.cookies ].map(([ name, value ]) => `${name}=${value}`).join('; ') };
    let body;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams({ ...form, _csrf: this.csrf }).toString();
    }
    const res = await fetch(this.base + path, { method, headers, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [ pair ] = line.split(';');
      const eq = pair.indexOf('=');
      if (pair.slice(eq + 1) === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(pair.slice(0, eq));
      else this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const text = await res.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(text);
    if (csrf) this.csrf = csrf[1];
    return { status: res.status, location: res.headers.get('location') || '', text };
  }
}

/**
 * The admin console (docs/openapi.yaml's /admin paths, which the Postman collection leaves out) through nginx:
 * every request may land on the other instance, so the session (Redis), the CSRF secret (a cookie) and the
 * cookie signatures (APP_KEYS) must hold across instances.
 */
async function consoleWalk() {
  const username = `cl_console_${process.pid}`;
  const password = 'Cluster2026pass';
  const seeded = spawnSync(process.execPath, [ path.join(ROOT, 'scripts/seed.js'), 'console-admin', '--role', 'owner' ], {
    env: { ...process.env, DATABASE_URL: env.DATABASE_URL, ADMIN_CONSOLE_USERNAME: username, ADMIN_CONSOLE_PASSWORD: password }, encoding: 'utf8',
  });
  if (seeded.status !== 0) throw new Error(`seed.js console-admin: ${seeded.stderr || seeded.stdout}`);
  const reg = await fetch(`${env.NGINX_URL}/api/regChat`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: `cl_walk_${process.pid}`, password: 'walk_pass1' }),
  }).then(res => res.json());
  const userId = reg.data.id;
  const browser = new ConsoleClient(env.NGINX_URL);
  const steps = [
    [ 'GET /admin/login: the form', () => browser.request('GET', '/admin/login'), res => res.status === 200 && browser.csrf !== '' ],
    [ 'POST /admin/login: to the dashboard', () => browser.request('POST', '/admin/login', { username, password }), res => res.status === 302 && /\/admin$/.test(res.location) ],
    [ 'GET /admin: the dashboard', () => browser.request('GET', '/admin'), res => res.status === 200 && res.text.includes('/admin/logout') ],
    [ 'GET /admin/assets/admin.css', () => browser.request('GET', '/admin/assets/admin.css'), res => res.status === 200 ],
    [ 'GET /admin/users', () => browser.request('GET', '/admin/users'), res => res.status === 200 && res.text.includes('/admin/logout') ],
    [ 'GET /admin/users/new', () => browser.request('GET', '/admin/users/new'), res => res.status === 200 ],
    [ 'GET /admin/users/:id', () => browser.request('GET', `/admin/users/${userId}`), res => res.status === 200 && res.text.includes(`cl_walk_${process.pid}`) ],
    [ 'POST /admin/users/:id/disable', () => browser.request('POST', `/admin/users/${userId}/disable`, {}), res => res.status === 302 && res.location.endsWith(`/admin/users/${userId}`) ],
    [ 'POST /admin/users/:id/enable', () => browser.request('POST', `/admin/users/${userId}/enable`, {}), res => res.status === 302 && res.location.endsWith(`/admin/users/${userId}`) ],
    [ 'GET /admin/audit: both changes recorded', () => browser.request('GET', '/admin/audit'), res => res.status === 200 && res.text.includes('user.disable') && res.text.includes('user.enable') ],
    [ 'GET /admin/askanswers', () => browser.request('GET', '/admin/askanswers'), res => res.status === 200 ],
    [ 'GET /admin/admins', () => browser.request('GET', '/admin/admins'), res => res.status === 200 && res.text.includes(username) ],
    [ 'POST /admin/logout', () => browser.request('POST', '/admin/logout', {}), res => res.status === 302 ],
    [ 'GET /admin after logout: to the login form, on either instance', () => browser.request('GET', '/admin'), res => res.status === 302 && res.location.includes('/admin/login') ],
    [ 'GET /admin after logout, again', () => browser.request('GET', '/admin'), res => res.status === 302 && res.location.includes('/admin/login') ],
  ];
  for (const [ what, run, check ] of steps) {
    const res = await run();
    if (check(res)) {
      passing++;
      console.log(`  ok - ${what}`);
    } else {
      failing++;
      console.log(`  not ok - ${what}: ${res.status} ${res.location} ${res.text.slice(0, 200).replace(/\s+/g, ' ')}`);
    }
  }
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

  console.log(`== the admin console through nginx ${env.NGINX_URL}`);
  await consoleWalk().catch(err => {
    failing++;
    console.log(`  not ok - the admin console walk: ${err.message}`);
  });

  const counts = upstreams(before);
  const [ a, b ] = [ env.APP_A_URL, env.APP_B_URL ].map(url => counts[new URL(url).port] || 0);
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  if (total > 0 && a * 4 >= total && b * 4 >= total) {
    passing++;
    console.log(`  ok - the requests were spread: A answered ${a}, B ${b} of ${total}`);
  } else {
    failing++;
    console.log(`  not ok - the requests were not spread over both instances: A ${a}, B ${b} of ${total} (${JSON.stringify(counts)})`);
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
