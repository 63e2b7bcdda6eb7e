import * as assert from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { app, mock } from 'egg-mock/bootstrap';
import { issuedTokens, login, post, registerUser, PASSWORD } from './helpers/api';
import { MSG } from '../app/lib/messages';

/**
 * Runs last (egg-bin sorts the files): the log files written during the suite must hold no token issued
 * during it, no test password and no password hash; a 5xx must be logged with the request id that its
 * X-Request-Id header carried. (SECURITY.md: "5xx are logged with a request id … never SQL parameters,
 * tokens or passwords.")
 */

/** Passwords the suite sends (the short throwaway ones like 'x' are too common to search for). */
const PASSWORDS = [
  PASSWORD, 'wrong-pass', 'wrong-password', 'wrong-one', 'another-password', 'admin1234', 'admin5678', 'legacy123',
  'demo1234', 'secret1234', 'bench-Passw0rd', '密码密码密码',
];
const HASH = /scrypt\$\d+\$\d+\$\d+\$/;
/** A JWT segment: base64url of a JSON object. */
const JWT_SEGMENT = /eyJ[A-Za-z0-9_-]{8,}/g;

/** When this mocha process started: only files written since then belong to this run. */
const SUITE_STARTED = Date.now() - process.uptime() * 1000 - 1000;

async function logFiles(): Promise<string[]> {
  const dirs = new Set([ path.resolve(app.config.logger.dir), path.join(app.baseDir, 'logs') ]);
  const files: string[] = [];
  const walk = async (dir: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return; // another process may remove the folder meanwhile
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) files.push(full);
    }
  };
  for (const dir of dirs) await walk(dir);
  const recent: string[] = [];
  for (const file of files) {
    const stat = await fs.stat(file).catch(() => undefined);
    if (stat && stat.mtimeMs >= SUITE_STARTED) recent.push(file);
  }
  return recent;
}

interface Leak { file: string; what: string; line: string }

/** Every secret found in `text`: issued tokens (by their unique payload segment), passwords, hashes. */
export function findSecrets(text: string, file: string, tokenPayloads: Set<string>): Leak[] {
  const leaks: Leak[] = [];
  const lineOf = (index: number) => text.slice(text.lastIndexOf('\n', index) + 1, text.indexOf('\n', index) + 1 || undefined).slice(0, 300);
  for (const match of text.matchAll(JWT_SEGMENT)) {
    if (tokenPayloads.has(match[0])) leaks.push({ file, what: 'a token issued in this run', line: lineOf(match.index!) });
  }
  for (const password of PASSWORDS) {
    const index = text.indexOf(password);
    if (index >= 0) leaks.push({ file, what: `the password ${JSON.stringify(password)}`, line: lineOf(index) });
  }
  const hash = HASH.exec(text);
  if (hash) leaks.push({ file, what: 'a scrypt password hash', line: lineOf(hash.index) });
  return leaks;
}

async function readLogs(): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for (const file of await logFiles()) {
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    out.push([ file, text ]);
  }
  return out;
}

/** egg-logger writes files through a buffer flushed every second: wait until `needle` shows. */
async function waitInLogs(needle: string, ms = 5000): Promise<Array<[string, string]>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = (await readLogs()).filter(([ , text ]) => text.includes(needle));
    if (found.length || Date.now() > deadline) return found;
    await new Promise(resolve => setTimeout(resolve, 250));
  }
}

describe('test/zz-logs.test.ts', function() {
  this.timeout(60_000);
  afterEach(() => mock.restore());

  it('a 5xx is logged with the request id its X-Request-Id header carried, without the token or password of the request', async () => {
    // Reopen the log files by name (as log rotation does): a file removed meanwhile by another process
    // would otherwise swallow what follows unseen.
    await fs.mkdir(app.config.logger.dir, { recursive: true });
    (app as any).loggers.reload();
    const user = await registerUser(app);
    // A 500: the health service fails unexpectedly.
    app.mockService('health', 'check', async () => {
      throw new Error('forced failure for the log test');
    });
    const failed = await app.httpRequest().get('/api/health').set('token', user.token);
    assert.strictEqual(failed.status, 500);
    assert.deepStrictEqual(failed.body, { msg: 'fail', data: MSG.internal });
    const requestId = failed.headers['x-request-id'];
    assert.match(requestId, /^[0-9a-f-]{36}$/);
    mock.restore();

    // A 503: the session store is unreachable while a login (with its password in the body) runs.
    app.mockService('throttle', 'assertUnder', async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    });
    const unavailable = await login(app, user.username, PASSWORD);
    assert.strictEqual(unavailable.status, 503);
    assert.strictEqual(unavailable.body.data, MSG.unavailable);
    const unavailableId = unavailable.headers['x-request-id'];
    mock.restore();

    // A refused request with a body full of secrets is not logged at all (only 5xx are).
    await post(app, '/api/chat/searchUser', user.token).send({ keyword: user.token, password: PASSWORD });

    const withId = await waitInLogs(requestId);
    assert.ok(withId.length, `request id ${requestId} of the 500 is in no log file`);
    const line = withId.flatMap(([ , text ]) => text.split('\n')).find(l => l.includes(requestId))!;
    assert.match(line, /GET \/api\/health failed with 500/);
    const entry = withId.map(([ , text ]) => text.slice(text.indexOf(requestId), text.indexOf(requestId) + 2000)).join('\n');
    assert.match(entry, /forced failure for the log test/, 'the error message is logged with it');
    assert.ok((await waitInLogs(unavailableId)).length, `request id ${unavailableId} of the 503 is in no log file`);
  });

  it('no log file written during the run holds a token issued in it, a test password or a password hash', async () => {
    const tokens = issuedTokens();
    assert.ok(tokens.length > 0, 'the token registry (test/helpers/api.ts) saw the tokens of this run');
    const payloads = new Set(tokens.map(t => t.split('.')[1]).filter(Boolean));
    // The scanner itself finds what it looks for.
    assert.strictEqual(findSecrets(`x token=${tokens[0]} y`, 'probe', payloads).length, 1);
    assert.strictEqual(findSecrets(`password ${PASSWORD}`, 'probe', payloads).length, 1);
    assert.strictEqual(findSecrets('scrypt$16384$8$1$abc', 'probe', payloads).length, 1);

    const logs = await readLogs();
    assert.ok(logs.length > 0, 'log files were written during the run');
    const leaks = logs.flatMap(([ file, text ]) => findSecrets(text, file, payloads));
    assert.deepStrictEqual(leaks, [], `secrets in the logs:\n${leaks.map(l => `${path.relative(app.baseDir, l.file)}: ${l.what}: ${l.line}`).join('\n')}`);
  });
});
