import * as assert from 'node:assert';
import { MockApplication as Application } from 'egg-mock';
import { QueryTypes } from 'sequelize';
import { assertOk, get, post, registerUser, TestUser } from '../../../helpers/api';

// Shared by the group route tests (group.test.ts, groupMembers.test.ts): users come from the real
// register endpoint, friendships straight into the table, groups from the real create route.

export async function rows<T extends object = any>(app: Application, sql: string, values: unknown[] = []): Promise<T[]> {
  return app.model.query<T>(sql, { replacements: values, type: QueryTypes.SELECT }) as unknown as Promise<T[]>;
}

/** Both directions of a friendship (kept if present); answers MY goodfriend row ids (what group/create receives). */
export async function befriend(app: Application, me: TestUser, others: TestUser[]): Promise<number[]> {
  const ids: number[] = [];
  for (const other of others) {
    const [ mine ] = await app.model.Goodfriend.findOrCreate({ where: { user_id: me.id, friend_id: other.id }, defaults: { nickname: '' } as any });
    await app.model.Goodfriend.findOrCreate({ where: { user_id: other.id, friend_id: me.id }, defaults: { nickname: '' } as any });
    ids.push(mine.id);
  }
  return ids;
}

export async function users(app: Application, count: number): Promise<TestUser[]> {
  const out: TestUser[] = [];
  for (let i = 0; i < count; i++) out.push(await registerUser(app));
  return out;
}

export interface GroupState {
  group: { id: number; user_id: number; name: string; avatar: string; remark: string; invite_confirm: number; status: number; last_seq: number; member_version: number; closed_seq: number | null };
  members: Array<{ user_id: number; status: number; nickname: string; joined_seq: number | null; left_seq: number | null }>;
  log: Array<{ seq: number; payload: any; message_id: number | null; skip_user_id: number | null }>;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** The group's row, its member rows (join order) and its log (in order), numbers as numbers. */
export async function groupState(app: Application, groupId: number): Promise<GroupState> {
  const [ g ] = await rows(app, 'SELECT * FROM `group` WHERE id = ?', [ groupId ]);
  assert.ok(g, `group ${groupId} exists`);
  const members = await rows(app, 'SELECT user_id, status, nickname, joined_seq, left_seq FROM group_user WHERE group_id = ? ORDER BY id', [ groupId ]);
  const log = await rows(app, 'SELECT seq, payload, message_id, skip_user_id FROM group_log WHERE group_id = ? ORDER BY seq', [ groupId ]);
  return {
    group: {
      id: Number(g.id), user_id: Number(g.user_id), name: g.name, avatar: g.avatar, remark: g.remark, invite_confirm: Number(g.invite_confirm),
      status: Number(g.status), last_seq: Number(g.last_seq), member_version: Number(g.member_version), closed_seq: num(g.closed_seq),
    },
    members: members.map(m => ({ user_id: Number(m.user_id), status: Number(m.status), nickname: m.nickname, joined_seq: num(m.joined_seq), left_seq: num(m.left_seq) })),
    log: log.map(l => ({ seq: Number(l.seq), payload: JSON.parse(l.payload), message_id: num(l.message_id), skip_user_id: num(l.skip_user_id) })),
  };
}

/** The last entry of the group's log: its sequence number and the notice's text. */
export async function lastNotice(app: Application, groupId: number): Promise<{ seq: number; text: string; payload: any }> {
  const { log } = await groupState(app, groupId);
  const last = log[log.length - 1];
  return { seq: last.seq, text: last.payload.data.data, payload: last.payload };
}

/** What was put in that user's personal inbox, oldest first. */
export async function inbox(app: Application, userId: number): Promise<any[]> {
  const entries = await rows(app, 'SELECT payload FROM chat_inbox WHERE user_id = ? ORDER BY seq', [ userId ]);
  return entries.map(e => JSON.parse(e.payload));
}

/** Creates a group of `owner` and his friends `members` through the route; answers its id. */
export async function createGroup(app: Application, owner: TestUser, members: TestUser[]): Promise<number> {
  const rowIds = await befriend(app, owner, members);
  assert.strictEqual(assertOk(await post(app, '/api/chat/group/create', owner.token).send({ userIds: rowIds })), 'ok');
  const [ created ] = await rows(app, 'SELECT id FROM `group` WHERE user_id = ? ORDER BY id DESC LIMIT 1', [ owner.id ]);
  return Number(created.id);
}

export const call = {
  info: (app: Application, token: string | undefined, id: number | string) => get(app, `/api/chat/groupinfo/${id}`, token),
  invite: (app: Application, token: string | undefined, body: object) => post(app, '/api/chat/groupInviteUser', token).send(body),
  agree: (app: Application, token: string | undefined, body: object) => post(app, '/api/chat/groupAgreeOrNo', token).send(body),
  remove: (app: Application, token: string | undefined, body: object) => post(app, '/api/chat/groupDeleteUser', token).send(body),
  joinRule: (app: Application, token: string | undefined, body: object) => post(app, '/api/chat/groupAddUserSet', token).send(body),
  quit: (app: Application, token: string | undefined, id: number) => post(app, '/api/chat/groupDeleteOrQuit', token).send({ id }),
};

/** GET of a QR code as a browser <img> gets it: the PNG as a Buffer, or the contract's JSON on a failure. */
export function qrImage(app: Application, url: string, token?: string) {
  const req = app.httpRequest().get(url).buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        done(null, /json/.test(String(res.headers['content-type'])) ? JSON.parse(body.toString('utf8')) : body);
      });
    });
  return token ? req.set('token', token) : req;
}
