import { MockApplication as Application } from 'egg-mock';
import * as assert from 'node:assert';

export const PASSWORD = 'secret123';

let counter = 0;
/** A fresh valid username per call (letters/digits/underscore, 4–20). */
export function uniqueName(prefix = 'user'): string {
  counter += 1;
  return `${prefix}_${process.pid % 1000}_${counter}`.slice(0, 20);
}

export interface TestUser { id: number; username: string; token: string; uuid: string; nickname: string }

/**
 * Every token issued during the suite (test/zz-logs.test.ts checks that none reaches a log file): the
 * in-process app's signer is watched from the first registerUser/login on, and tests that talk to a
 * real server process add theirs with recordToken.
 */
const issued = new Set<string>();
const WATCHED = Symbol('eggchat-test#watchedSigner');

export function recordToken(token: unknown): void {
  if (typeof token === 'string' && token) issued.add(token);
}

export function issuedTokens(): string[] {
  return [ ...issued ];
}

/** Records every token `app.jwt.sign` produces from now on (idempotent). */
export function watchTokens(app: Application): void {
  const jwt = (app as any).jwt;
  if (!jwt || jwt[WATCHED]) return;
  const sign = jwt.sign;
  jwt.sign = (...args: unknown[]) => {
    const token = sign(...args);
    recordToken(token);
    return token;
  };
  jwt[WATCHED] = true;
}

/** Registers through the real endpoint and returns the new account with its token. */
export async function registerUser(app: Application, username = uniqueName(), password = PASSWORD): Promise<TestUser> {
  watchTokens(app);
  const res = await app.httpRequest().post('/api/regChat').type('form')
    .send({ username, password });
  assert.strictEqual(res.status, 200, JSON.stringify(res.body));
  const { id, token, uuid, nickname } = res.body.data;
  recordToken(token);
  return { id, username, token, uuid, nickname };
}

export async function login(app: Application, username: string, password = PASSWORD) {
  watchTokens(app);
  return app.httpRequest().post('/api/loginChat').type('form')
    .send({ username, password });
}

export function post(app: Application, path: string, token?: string) {
  const req = app.httpRequest().post(path);
  return token ? req.set('token', token) : req;
}

export function get(app: Application, path: string, token?: string) {
  const req = app.httpRequest().get(path);
  return token ? req.set('token', token) : req;
}

/** Asserts the contract's failure shape and returns the message. */
export function assertFail(res: { status: number; body: any }, status: number, message?: string): string {
  assert.strictEqual(res.status, status, `expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  assert.strictEqual(res.body.msg, 'fail');
  assert.strictEqual(typeof res.body.data, 'string');
  if (message !== undefined) assert.strictEqual(res.body.data, message);
  return res.body.data;
}

export function assertOk(res: { status: number; body: any }): any {
  assert.strictEqual(res.status, 200, `expected 200, got ${res.status}: ${JSON.stringify(res.body)}`);
  assert.strictEqual(res.body.msg, 'ok');
  return res.body.data;
}

/** One response the in-process app gave during the suite (test/zz-openapi-responses.test.ts checks them all). */
export interface RecordedResponse {
  method: string;
  url: string;
  status: number;
  headers: Record<string, string>;
  /** The JSON the client received; undefined for a body that is not JSON (a file, a PNG) or empty. */
  body: unknown;
  /** The body was a stream, bytes that are not JSON, or JSON too large to check against its schema. */
  binary: boolean;
  /** Where in the suite: the running test's title. */
  test: string;
  /** What `inspect` (see recordResponses) said of it; its body is kept only when it said something. */
  divergence?: string;
}

const recorded: RecordedResponse[] = [];
const recordedApps = new WeakSet<object>();
/** Bodies larger than this are recorded without their JSON (a schema check on them costs more than it tells). */
const MAX_RECORDED_JSON = 512 * 1024;
let currentTest = '';

/** The title of the test that is running (set from a root hook by the recording file). */
export function setCurrentTest(title: string): void {
  currentTest = title;
}

function jsonOf(body: unknown, contentType: string): { body: unknown; binary: boolean } {
  if (body === undefined || body === null) return { body: undefined, binary: false };
  if (Buffer.isBuffer(body) || typeof body === 'string') {
    const text = Buffer.isBuffer(body) ? body.toString('utf8') : body;
    if (text.length === 0) return { body: undefined, binary: false };
    if (!/json/i.test(contentType)) return { body: undefined, binary: true };
    // Too large to check against its schema: there is a body, its type is still checked.
    if (text.length > MAX_RECORDED_JSON) return { body: undefined, binary: true };
    try {
      return { body: JSON.parse(text), binary: false };
    } catch {
      return { body: text, binary: false };
    }
  }
  if (typeof (body as any).pipe === 'function') return { body: undefined, binary: true };
  const text = JSON.stringify(body);
  if (text === undefined) return { body: undefined, binary: false };
  if (text.length > MAX_RECORDED_JSON) return { body: undefined, binary: true };
  return { body: JSON.parse(text), binary: false };
}

/**
 * Records every response `app` gives from now on (egg emits 'response' when one is finished; idempotent):
 * method, URL, status, headers and the JSON body as sent, passed at once to `inspect` when given.
 */
export function recordResponses(app: Application, inspect?: (response: RecordedResponse) => string | undefined): void {
  if (recordedApps.has(app)) return;
  recordedApps.add(app);
  app.on('response', (ctx: any) => {
    try {
      const headers: Record<string, string> = {};
      for (const [ name, value ] of Object.entries<any>(ctx.response.headers || {})) headers[name.toLowerCase()] = String(value);
      const { body, binary } = jsonOf(ctx.body, headers['content-type'] || '');
      const record: RecordedResponse = { method: ctx.method, url: ctx.originalUrl || ctx.url, status: ctx.status, headers, body, binary, test: currentTest };
      if (inspect) {
        // Checked as it comes: a long run keeps only the few that diverge, not every body.
        record.divergence = inspect(record);
        if (!record.divergence) record.body = undefined;
      }
      recorded.push(record);
    } catch (err) {
      recorded.push({ method: ctx?.method, url: ctx?.originalUrl, status: ctx?.status, headers: {}, body: undefined, binary: false, test: currentTest, divergence: `could not be recorded or checked: ${err}` });
    }
  });
}

export function recordedResponses(): readonly RecordedResponse[] {
  return recorded;
}
