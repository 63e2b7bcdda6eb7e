import { MockApplication as Application } from 'egg-mock';
import * as assert from 'node:assert';
import { randomUUID } from 'node:crypto';
import { visitorSign } from '../../app/lib/visitorSign';
import { recordToken, watchTokens } from './api';

/** A device id as the client makes them (a UUID: 36 characters). */
export function newDeviceId(): string {
  return randomUUID();
}

/** The client's signature for a call now (or at `timestamp`), with the server's configured salt. */
export function signFor(app: Application, deviceId: string, timestamp = Date.now()) {
  return { sign: visitorSign(deviceId, timestamp, app.config.chat.visitor.signSalt), timestamp };
}

/** A visitor route called as the client calls it: JSON body, a fresh signature, optional overrides. */
export function signedPost(app: Application, path: string, deviceId: string, body: Record<string, unknown> = {}, options: { sign?: string; timestamp?: number } = {}) {
  watchTokens(app);
  const signed = signFor(app, deviceId, options.timestamp);
  return app.httpRequest().post(path)
    .set('X-Security-Sign', options.sign ?? signed.sign)
    .send({ deviceId, timestamp: signed.timestamp, ...body });
}

export interface TestVisitor { id: number; username: string; token: string; uuid: string; deviceId: string; role: string }

/** The device's visitor identity through the real route. */
export async function registerVisitor(app: Application, deviceId = newDeviceId()): Promise<TestVisitor> {
  const res = await signedPost(app, '/api/visitorRegister', deviceId, { uniplatform: 'web', devicemodel: 'test', deviceos: 'linux', devicebrand: 'node' });
  assert.strictEqual(res.status, 200, JSON.stringify(res.body));
  const { id, username, token, uuid, role } = res.body.data;
  recordToken(token);
  return { id, username, token, uuid, deviceId, role };
}
