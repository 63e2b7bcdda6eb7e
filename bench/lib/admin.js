'use strict';
/**
 * The admin console's rows (issue 20 §6): the users page (first and a deep keyset page) and the user
 * search, with the bench's 100k users. A viewer account is created in the bench database the way
 * `npm run admin:create` does (the seeder's function), logged in through the console's form (its CSRF
 * field and session cookie), and its cookie sent with every request. The server runs with ADMIN_ENABLED=1.
 */
const crypto = require('node:crypto');
const path = require('node:path');
const { ROOT } = require('./profile');
const { username } = require('./seed');

const { seedConsoleAdmin } = require(path.join(ROOT, 'database/seeders/20261202000510-admin-console-owner'));

/** name=value pairs of a response's Set-Cookie headers, merged into `jar`. */
function keepCookies(res, jar) {
  for (const line of res.headers.getSetCookie()) {
    const [ pair ] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq > 0) jar.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return jar;
}

const cookieHeader = jar => [ ...jar ].map(([ name, value ]) => `${name}=${value}`).join('; ');

/** A viewer console account in the bench database; its name and password. */
async function createBenchAdmin(sequelize) {
  const account = { username: 'bench_viewer', password: `Bench${crypto.randomBytes(6).toString('hex')}9`, role: 'viewer' };
  await seedConsoleAdmin(sequelize.getQueryInterface(), account);
  return account;
}

/** Logs the account in through the form; the Cookie header of its session. */
async function adminLogin(baseUrl, account) {
  const jar = new Map();
  const page = await fetch(`${baseUrl}/admin/login`, { redirect: 'manual' });
  keepCookies(page, jar);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text());
  if (page.status !== 200 || !csrf) throw new Error(`admin login page: ${page.status}`);
  const res = await fetch(`${baseUrl}/admin/login`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(jar) },
    body: new URLSearchParams({ _csrf: csrf[1], username: account.username, password: account.password }).toString(),
  });
  await res.arrayBuffer();
  if (res.status !== 302 || res.headers.get('location') !== '/admin') throw new Error(`admin login: ${res.status} ${res.headers.get('location')}`);
  return cookieHeader(keepCookies(res, jar));
}

/** The rows: GET pages with the session cookie; the search draws a user afresh for every request. */
function adminScenarios(world, cookie, connections, random) {
  const page = pathOf => ({ method: 'GET', path: '/', setupRequest: request => ({ ...request, method: 'GET', path: pathOf(), headers: { ...request.headers, cookie } }) });
  const users = `${(world.users / 1000).toFixed(0)}k users`;
  // A deep page: the keyset cursor near the oldest accounts (as fast as the first page, or the index is missing).
  const deep = Math.max(2, Math.min(1000, world.users));
  return [
    { id: 'admin-users-first', label: `admin users page, first (${users})`, connections, requests: [ page(() => '/admin/users') ] },
    { id: 'admin-users-deep', label: `admin users page, deep (before=${deep}, ${users})`, connections, requests: [ page(() => `/admin/users?before=${deep}`) ] },
    { id: 'admin-user-search', label: `admin user search, username prefix (${users})`, connections, requests: [ page(() => `/admin/users?q=${username(random.int(2, world.users)).slice(0, 6)}`) ] },
  ];
}

module.exports = { createBenchAdmin, adminLogin, adminScenarios };
