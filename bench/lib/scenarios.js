'use strict';
const { PASSWORD, ACTORS, WRITERS, CROWD_START, username } = require('./seed');
const { mapLimit, prng } = require('./util');

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Logs the given users in through the API (the real path, scrypt included) and returns their tokens. */
async function loginAll(baseUrl, ids) {
  const tokens = {};
  await mapLimit(ids, 4, async id => {
    const res = await fetch(`${baseUrl}/api/loginChat`, {
      method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ username: username(id), password: PASSWORD }),
    });
    const body = await res.json();
    if (res.status !== 200 || !body.data || !body.data.token) throw new Error(`login of ${username(id)} failed: ${res.status} ${JSON.stringify(body)}`);
    tokens[id] = body.data.token;
  });
  return tokens;
}

/** The time of single requests on fresh connections (so both workers get some), in ms. */
async function firstRequests(baseUrl, path, token, count) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    const res = await fetch(`${baseUrl}${path}`, { headers: { token, connection: 'close' } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return times;
}

/**
 * Waits until the server has worked off what the last row left in flight (autocannon stops waiting, the
 * server does not): three health checks in a row answered within 5 ms, or 10 s at most.
 */
async function settle(baseUrl) {
  const deadline = Date.now() + 10_000;
  let quick = 0;
  while (quick < 3 && Date.now() < deadline) {
    const started = process.hrtime.bigint();
    const res = await fetch(`${baseUrl}/api/health`);
    await res.arrayBuffer();
    quick = Number(process.hrtime.bigint() - started) / 1e6 < 5 ? quick + 1 : 0;
    if (quick < 3) await new Promise(resolve => setTimeout(resolve, 100));
  }
}

const get = (path, token) => ({ method: 'GET', path, headers: { token } });

/** A request whose path/body/token are drawn afresh each time from `make()`. */
function dynamic(make) {
  return {
    method: 'GET',
    path: '/',
    setupRequest: request => {
      const { method, path, token, body } = make();
      const headers = { ...request.headers, token };
      if (body !== undefined) Object.assign(headers, JSON_HEADERS);
      return { ...request, method, path, headers, body: body === undefined ? undefined : JSON.stringify(body) };
    },
  };
}

/**
 * The scenarios of the table. `world` carries the tokens, the number of users, the friend ids of the
 * actors and the write mix's pending applications.
 */
function mainScenarios(world, { connections, floor = false }) {
  const random = prng(42);
  const crowdId = () => random.int(CROWD_START, world.users);
  const { tokens } = world;
  const f200Friends = world.friendIds[ACTORS.f200];

  // Write mix: every other request applies (a writer to a user nobody applied to yet), the others agree
  // to one of the seeded pending applications (each handled once).
  let nextTarget = CROWD_START + 50_000 < world.users ? CROWD_START + 50_000 : CROWD_START;
  let nextApplication = 0;
  world.writeMix = { applications: world.handlerApplications.length, handled: 0, applied: 0, exhausted: 0 };
  const apply = () => {
    world.writeMix.applied++;
    const writer = WRITERS[random.int(0, WRITERS.length - 1)];
    const target = nextTarget++;
    if (nextTarget > world.users) nextTarget = CROWD_START;
    return { method: 'POST', path: '/api/chat/applyfriend', token: tokens[writer], body: { friend_id: target, nickname: `我是${username(writer)}` } };
  };
  const handle = () => {
    const application = world.handlerApplications[nextApplication++];
    if (!application) {
      world.writeMix.exhausted++;
      return apply();
    }
    world.writeMix.handled++;
    return { method: 'POST', path: `/api/chat/handleapply/${application.id}`, token: tokens[application.handler], body: { status: 'agree', nickname: '新朋友' } };
  };

  return [
    {
      id: 'search-exact', label: `searchUser exact (${(world.users / 1000).toFixed(0)}k users)`, connections,
      requests: [ dynamic(() => ({ method: 'POST', path: '/api/chat/searchUser', token: tokens[ACTORS.searcher], body: { keyword: username(crowdId()) } })) ],
    },
    {
      id: 'search-prefix', label: `searchUser prefix (${(world.users / 1000).toFixed(0)}k users)`, connections,
      requests: [ dynamic(() => ({ method: 'POST', path: '/api/chat/searchUser', token: tokens[ACTORS.searcher], body: { keyword: username(crowdId()).slice(0, 6) } })) ],
    },
    { id: 'friends-200', label: 'goodfriendlist 200 friends', connections, requests: [ get('/api/chat/goodfriendlist/1', tokens[ACTORS.f200]) ] },
    { id: 'friends-2000', label: 'goodfriendlist 2,000 friends', connections, requests: [ get('/api/chat/goodfriendlist/1', tokens[ACTORS.f2000]) ] },
    { id: 'friends-2000-single', label: 'goodfriendlist 2,000 friends', connections: 1, requests: [ get('/api/chat/goodfriendlist/1', tokens[ACTORS.f2000]) ] },
    {
      id: 'listapplyfriend', label: 'listapplyfriend (1,000 applications)', connections,
      requests: [ dynamic(() => ({ method: 'GET', path: `/api/chat/listapplyfriend/${random.int(1, 5)}`, token: tokens[ACTORS.inbox] })) ],
    },
    // The contract's floor under getgoodfriendinfo, on the bare app (production profile): token, session,
    // user row and the same joined read, nothing else (bench/bare/app/floor.js).
    ...(floor ? [{
      id: 'floor', label: 'floor: getgoodfriendinfo\'s reads on the bare app', connections, onBare: true,
      requests: [ dynamic(() => ({ method: 'GET', path: `/floor/${f200Friends[random.int(0, f200Friends.length - 1)]}`, token: tokens[ACTORS.f200] })) ],
    }] : []),
    {
      id: 'getgoodfriendinfo', label: 'getgoodfriendinfo', connections,
      requests: [ dynamic(() => ({ method: 'GET', path: `/api/chat/getgoodfriendinfo/${f200Friends[random.int(0, f200Friends.length - 1)]}`, token: tokens[ACTORS.f200] })) ],
    },
    { id: 'write-mix', label: 'write mix (applyfriend + handleapply agree)', connections, requests: [ dynamic(apply), dynamic(handle) ] },
    // Last: when a row stops, the server still owes the scrypt work of the logins in flight, which would
    // otherwise weigh on the first seconds of the next row.
    {
      id: 'login', label: 'login', connections,
      requests: [ dynamic(() => ({ method: 'POST', path: '/api/loginChat', body: { username: username(random.int(CROWD_START + 20_000 < world.users ? CROWD_START + 20_000 : CROWD_START, world.users)), password: PASSWORD } })) ],
    },
  ];
}

/** searchUser at one client and at `connections`, exact and prefix, for the growth curve. */
function searchScenarios(world, connections) {
  const random = prng(7);
  const crowdId = () => random.int(CROWD_START, world.users);
  const token = world.tokens[ACTORS.searcher];
  const make = kind => dynamic(() => ({
    method: 'POST', path: '/api/chat/searchUser', token,
    body: { keyword: kind === 'exact' ? username(crowdId()) : username(crowdId()).slice(0, 6) },
  }));
  return [
    { kind: 'exact', connections: 1, requests: [ make('exact') ] },
    { kind: 'prefix', connections: 1, requests: [ make('prefix') ] },
    { kind: 'exact', connections, requests: [ make('exact') ] },
    { kind: 'prefix', connections, requests: [ make('prefix') ] },
  ];
}

module.exports = { loginAll, firstRequests, mainScenarios, searchScenarios, settle, get };
