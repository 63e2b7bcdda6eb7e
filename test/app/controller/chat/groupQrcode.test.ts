import * as assert from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { app, mock } from 'egg-mock/bootstrap';
import { assertFail, TestUser } from '../../../helpers/api';
import { registerVisitor } from '../../../helpers/visitor';
import { resetDatabase } from '../../../helpers/db';
import { MSG } from '../../../../app/lib/messages';
import { createGroup, qrImage, users } from './groupHelpers';

const PNG_MAGIC = Buffer.from([ 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a ]);

/** The image as a browser <img> gets it: binary body. */
function qr(url: string, token?: string) {
  return qrImage(app, url, token);
}

function assertPng(res: { status: number; headers: Record<string, string>; body: any }) {
  assert.strictEqual(res.status, 200, JSON.stringify(res.body));
  assert.strictEqual(res.headers['content-type'], 'image/png');
  assert.strictEqual(res.headers['cache-control'], 'no-store');
  assert.ok(Buffer.isBuffer(res.body) && res.body.subarray(0, 8).equals(PNG_MAGIC), 'a PNG');
}

async function encoded(me: TestUser, input: { id: number; type?: string; http?: string; chatType?: 'group' | 'single' }) {
  const ctx = app.mockContext();
  return ctx.service.group.qrcodeText(me.id, { type: '', http: '', chatType: 'group', ...input });
}

describe('test/app/controller/chat/groupQrcode.test.ts', () => {
  let owner: TestUser;
  let member: TestUser;
  let stranger: TestUser;
  let id: number;

  before(async () => {
    await resetDatabase(app);
    [ owner, member, stranger ] = await users(app, 3);
    await app.model.User.update({ nickname: '张 三&#' }, { where: { id: member.id } });
    id = await createGroup(app, owner, [ member ]);
  });
  afterEach(() => mock.restore());

  it('a member gets a PNG, with the token in the header or, on this route only, in the query string', async () => {
    assertPng(await qr(`/api/chat/groupQrcode/${id}`, member.token));
    assertPng(await qr(`/api/chat/groupQrcode/${id}?type=H5&http=${encodeURIComponent('http://localhost:8080/')}&token=${member.token}`));
    // Another route does not read the query string.
    assertFail(await app.httpRequest().get(`/api/chat/groupinfo/${id}?token=${member.token}`), 401, MSG.authMissing);
  });

  it('encodes the H5 join page under the client origin, every value encoded; otherwise {id, name}', async () => {
    const { name } = (await app.model.query('SELECT name FROM `group` WHERE id = ?', { replacements: [ id ], plain: true })) as any;
    assert.strictEqual(await encoded(member, { id }), JSON.stringify({ id, name }));
    const page = await encoded(member, { id, type: 'H5', http: 'http://localhost:8080/' });
    const [ base, hash ] = page.split('#');
    assert.strictEqual(base, 'http://localhost:8080/');
    const query = new URL(hash, 'http://x').searchParams;
    assert.deepStrictEqual([ query.get('action'), query.get('title'), query.get('id'), query.get('chatType'), query.get('name') ],
      [ 'autoAddGroup', '群介绍', String(id), 'group', name ]);
    const personal = new URL((await encoded(owner, { id: member.id, type: 'H5', http: 'https://chat.example/', chatType: 'single' })).split('#')[1], 'http://x').searchParams;
    assert.deepStrictEqual([ personal.get('title'), personal.get('id'), personal.get('chatType'), personal.get('name') ],
      [ '加用户[张 三&#]为好友', String(member.id), 'single', '张 三&#' ]);
  });

  it('a personal QR code (chatType=single) for an enabled user; refused for a missing one', async () => {
    assertPng(await qr(`/api/chat/groupQrcode/${owner.id}?chatType=single`, stranger.token));
    assertFail(await qr('/api/chat/groupQrcode/999999?chatType=single', stranger.token), 400, MSG.qrcodeUserMissing);
  });

  it('refuses a non-member (a token of another group\'s member), a missing group, a foreign or bad http; 422; 401', async () => {
    assertFail(await qr(`/api/chat/groupQrcode/${id}?token=${stranger.token}`), 400, MSG.groupQrcodeRefused);
    assertFail(await qr('/api/chat/groupQrcode/999999', member.token), 400, MSG.groupQrcodeRefused);
    const visitor = await registerVisitor(app);
    assertFail(await qr(`/api/chat/groupQrcode/${id}`, visitor.token), 400, MSG.groupQrcodeRefused);
    // eslint-disable-next-line no-script-url
    for (const http of [ 'javascript:alert(1)', 'not a url', 'http://localhost:8080/#/x' ]) {
      assertFail(await qr(`/api/chat/groupQrcode/${id}?type=H5&http=${encodeURIComponent(http)}`, member.token), 400, MSG.groupQrcodeOriginRefused);
    }
    mock(process.env, 'CORS_ORIGINS', 'https://chat.example');
    assertFail(await qr(`/api/chat/groupQrcode/${id}?type=H5&http=${encodeURIComponent('https://evil.example/')}`, member.token), 400, MSG.groupQrcodeOriginRefused);
    assertPng(await qr(`/api/chat/groupQrcode/${id}?type=H5&http=${encodeURIComponent('https://chat.example/')}`, member.token));
    assertFail(await qr('/api/chat/groupQrcode/abc', member.token), 422, '群id或者个人id 必须是整数');
    assertFail(await qr(`/api/chat/groupQrcode/${id}?chatType=x`, member.token), 422, '聊天类型 的值 `x` 必须在 [`group`、`single`] 中');
    assertFail(await qr(`/api/chat/groupQrcode/${id}`), 401, MSG.authMissing);
    assertFail(await qr(`/api/chat/groupQrcode/${id}?token=bad`), 401, MSG.authInvalid);
  });

  it('a failure with ?token= is logged without the token (the URL loses it before anything runs)', async () => {
    // Reopen the log files by name (as log rotation does): a file another process removed meanwhile would
    // swallow what follows unseen.
    const dir = path.resolve(app.config.logger.dir);
    await fs.mkdir(dir, { recursive: true });
    (app as any).loggers.reload();
    let seenUrl = '';
    app.mockService('group', 'qrcodeText', async function(this: any) {
      seenUrl = `${this.ctx.url} ${this.ctx.originalUrl}`;
      throw new Error('forced QR failure for the log test');
    });
    const res = await qr(`/api/chat/groupQrcode/${id}?type=H5&token=${member.token}`);
    assertFail(res, 500, MSG.internal);
    assert.strictEqual(seenUrl, `/api/chat/groupQrcode/${id}?type=H5 /api/chat/groupQrcode/${id}?type=H5`);
    const requestId = res.headers['x-request-id'];
    const payload = member.token.split('.')[1];
    let logged = '';
    for (let i = 0; i < 40 && !logged.includes(requestId); i++) {
      await new Promise(resolve => setTimeout(resolve, 250));
      const files = await fs.readdir(dir).catch(() => [] as string[]);
      logged = (await Promise.all(files.filter(f => f.endsWith('.log')).map(f => fs.readFile(path.join(dir, f), 'utf8').catch(() => '')))).join('\n');
    }
    const at = logged.indexOf(requestId);
    const entry = logged.slice(Math.max(0, at - 300), at + 500);
    assert.ok(logged.includes(requestId), 'the 500 was logged');
    assert.ok(entry.includes('/api/chat/groupQrcode/'), entry);
    assert.ok(!logged.includes(payload), 'no token in any log');
  });
});
