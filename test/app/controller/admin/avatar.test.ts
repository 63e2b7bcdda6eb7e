import * as assert from 'node:assert';
import * as fs from 'node:fs';
import sharp from 'sharp';
import { app, mm } from 'egg-mock/bootstrap';
import { resetDatabase } from '../../../helpers/db';
import { AdminClient, adminSession } from '../../../helpers/admin';
import { assertOk, login, registerUser, uniqueName, PASSWORD } from '../../../helpers/api';
import { rows } from '../chat/groupHelpers';
import { ADMIN_MSG, MSG } from '../../../../app/lib/messages';
import { filesUnder } from '../../../helpers/files';

/** Every file under the media storage's folder (temporary files included), relative to it. */
function storedFiles(): string[] {
  return filesUnder(app.config.chat.media.localDir);
}

async function userRow(id: number) {
  return (await rows(app, 'SELECT * FROM `user` WHERE id = ?', [ id ]))[0];
}

async function usersNamed(username: string) {
  return rows(app, 'SELECT id FROM `user` WHERE username = ?', [ username ]);
}

async function auditRows(action: string) {
  return rows(app, 'SELECT * FROM admin_audit_log WHERE action = ? ORDER BY id', [ action ]);
}

const AVATAR_URL = /^\/public\/uploads\/Diy\/avatars\/\d{8}\/\d{13}_[0-9a-f]{24}\.png$/;

/** Issue 20 §3: the console's create and edit forms take an avatar file through the media storage. */
describe('test/app/controller/admin/avatar.test.ts', () => {
  let operator: AdminClient;
  let viewer: AdminClient;
  let operatorName: string;
  let viewerName: string;
  let png: Buffer;
  let noisyPng: Buffer;

  before(async () => {
    await resetDatabase(app);
    const op = await adminSession(app, 'operator');
    operator = op.client;
    operatorName = op.admin.username;
    const view = await adminSession(app, 'viewer');
    viewer = view.client;
    viewerName = view.admin.username;
    png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 10, b: 30 } } }).png().toBuffer();
    // Random pixels: a PNG that does not compress (about 12 KiB).
    const raw = Buffer.alloc(64 * 64 * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = Math.floor(Math.random() * 256);
    noisyPng = await sharp(raw, { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer();
  });
  afterEach(() => mm.restore());
  after(() => fs.rmSync(app.config.chat.media.localDir, { recursive: true, force: true }));

  describe('POST /admin/users (multipart)', () => {
    it('creates the user with the uploaded avatar: stored through the media storage, served back, on the user page, audited', async () => {
      const username = uniqueName('ava');
      await operator.get('/admin/users/new');
      const res = await operator.postMultipart('/admin/users', { username, password: PASSWORD, nickname: '头像' }, { bytes: png, filename: 'me.png', contentType: 'image/png' });
      assert.strictEqual(res.status, 302, res.text);
      const id = Number(/\/admin\/users\/(\d+)$/.exec(res.headers.location)![1]);
      const row = await userRow(id);
      assert.match(row.avatar, AVATAR_URL);
      assert.strictEqual(row.nickname, '头像');
      assertOk(await login(app, username));
      const served = await app.httpRequest().get(row.avatar);
      assert.strictEqual(served.status, 200);
      assert.strictEqual(served.headers['content-type'], 'image/png');
      const key = row.avatar.replace('/public/uploads/Diy/', '');
      assert.ok(storedFiles().includes(key), 'the file is in the storage');
      assert.ok(storedFiles().includes(key.replace(/\.png$/, '_thumb.jpg')), 'with its thumbnail, as a chat upload');
      const page = await viewer.get(`/admin/users/${id}`);
      assert.ok(page.text.includes(`id="detail-avatar" src="${row.avatar}"`));
      const [ entry ] = (await auditRows('user.create')).filter(r => Number(r.target_id) === id);
      assert.strictEqual(JSON.parse(entry.after_json).avatar, row.avatar);
      assert.strictEqual(entry.admin_username, operatorName);
    });

    it('no file chosen (the empty file part a browser sends): the default avatar; an address in the URL field is kept', async () => {
      const plain = uniqueName('noav');
      await operator.get('/admin/users/new');
      const res = await operator.postMultipart('/admin/users', { username: plain, password: PASSWORD });
      assert.strictEqual(res.status, 302, res.text);
      const [ made ] = await usersNamed(plain);
      assert.match((await userRow(made.id)).avatar, /^https:\/\//, 'the column default, as a chat registration');
      const withUrl = uniqueName('urlav');
      await operator.get('/admin/users/new');
      assert.strictEqual((await operator.postMultipart('/admin/users', { username: withUrl, password: PASSWORD, avatar: 'https://img.test/a.png' })).status, 302);
      assert.strictEqual((await userRow((await usersNamed(withUrl))[0].id)).avatar, 'https://img.test/a.png');
    });

    it('refusals leave no user row and no stored file: no session (401), a viewer (403), no or a forged CSRF token (403), oversized (413), not an image (400), bad fields (422), a taken name (400)', async () => {
      const before = storedFiles();
      const anonymous = new AdminClient(app);
      const cases: Array<{ name: string; status: number; message?: string; send: (username: string) => Promise<any> }> = [
        { name: 'no session', status: 401, send: username => anonymous.postMultipart('/admin/users', { username, password: PASSWORD }, { bytes: png, filename: 'a.png' }, { csrf: 'none' }) },
        { name: 'viewer', status: 403, message: ADMIN_MSG.forbidden, send: username => viewer.postMultipart('/admin/users', { username, password: PASSWORD }, { bytes: png, filename: 'a.png' }) },
        { name: 'CSRF missing', status: 403, send: username => operator.postMultipart('/admin/users', { username, password: PASSWORD }, { bytes: png, filename: 'a.png' }, { csrf: false }) },
        { name: 'CSRF missing, no file', status: 403, send: username => operator.postMultipart('/admin/users', { username, password: PASSWORD }, undefined, { csrf: false }) },
        { name: 'CSRF forged', status: 403, send: username => operator.postMultipart('/admin/users', { username, password: PASSWORD }, { bytes: png, filename: 'a.png' }, { csrf: 'forged-123' }) },
        {
          name: 'oversized', status: 413, message: MSG.mediaTooLarge, send: username => {
            mm(app.config.chat, 'media', { ...app.config.chat.media, maxBytes: { ...app.config.chat.media.maxBytes, image: 4096 } });
            return operator.postMultipart('/admin/users', { username, password: PASSWORD }, { bytes: noisyPng, filename: 'big.png', contentType: 'image/png' });
          },
        },
        { name: 'text renamed .png', status: 400, message: MSG.mediaKindRefused, send: username => operator.postMultipart('/admin/users', { username, password: PASSWORD }, { bytes: Buffer.from('just some text, not a picture\n'.repeat(20)), filename: 'x.png', contentType: 'image/png' }) },
        { name: 'a bad username', status: 422, send: () => operator.postMultipart('/admin/users', { username: '<script>', password: PASSWORD }, { bytes: png, filename: 'a.png' }) },
      ];
      for (const item of cases) {
        const username = uniqueName('ref');
        await operator.get('/admin/users/new');
        await viewer.get('/admin');
        const res = await item.send(username);
        mm.restore();
        assert.strictEqual(res.status, item.status, `${item.name}: ${res.text}`);
        assert.match(String(res.headers['content-type']), /html/, item.name);
        if (item.message) assert.ok(res.text.includes(item.message), item.name);
        assert.strictEqual((await usersNamed(username)).length, 0, item.name);
        assert.deepStrictEqual(storedFiles(), before, `${item.name}: nothing stored`);
      }
      // The name is taken: the file was stored before the write failed, and is removed again.
      const taken = (await registerUser(app)).username;
      await operator.get('/admin/users/new');
      const res = await operator.postMultipart('/admin/users', { username: taken, password: PASSWORD }, { bytes: png, filename: 'a.png', contentType: 'image/png' });
      assert.strictEqual(res.status, 400);
      assert.ok(res.text.includes(ADMIN_MSG.usernameTaken));
      assert.deepStrictEqual(storedFiles(), before, 'the stored avatar is removed when the user row is not written');

      const refused = (await auditRows('user.create')).filter(row => row.outcome !== 'ok');
      const reasons = refused.map(row => JSON.parse(row.after_json).status);
      for (const status of [ 403, 413, 400, 422 ]) assert.ok(reasons.includes(status), `a ${status} refusal is audited`);
      assert.ok(refused.some(row => row.admin_username === viewerName && JSON.parse(row.after_json).status === 403));
      assert.ok(refused.filter(row => row.admin_username === operatorName && JSON.parse(row.after_json).status === 403).length >= 3, 'CSRF refusals name the admin');
      assert.ok(refused.every(row => row.ip.length > 0));
    });
  });

  describe('POST /admin/users/:id/profile (multipart)', () => {
    it('replaces the avatar with the uploaded file (it wins over the address), before → after audited; the stored address passes a later edit', async () => {
      const user = await registerUser(app);
      const old = (await userRow(user.id)).avatar;
      await operator.get(`/admin/users/${user.id}`);
      const res = await operator.postMultipart(`/admin/users/${user.id}/profile`, { nickname: '新头像', avatar: 'https://img.test/ignored.png' }, { bytes: png, filename: 'p.png', contentType: 'image/png' });
      assert.strictEqual(res.status, 302, res.text);
      const row = await userRow(user.id);
      assert.match(row.avatar, AVATAR_URL);
      assert.strictEqual(row.nickname, '新头像');
      const [ entry ] = (await auditRows('user.update')).filter(r => Number(r.target_id) === user.id);
      assert.strictEqual(JSON.parse(entry.before_json).avatar, old);
      assert.strictEqual(JSON.parse(entry.after_json).avatar, row.avatar);
      // The edit form shows the stored address in its URL field: saving the form again keeps it.
      const page = await operator.get(`/admin/users/${user.id}`);
      assert.ok(page.text.includes(`name="avatar" maxlength="1000" value="${row.avatar}"`));
      assert.strictEqual((await operator.postMultipart(`/admin/users/${user.id}/profile`, { nickname: 'again', avatar: row.avatar })).status, 302);
      assert.strictEqual((await userRow(user.id)).avatar, row.avatar);
      for (const avatar of [ '/public/uploads/Diy/../../etc/passwd', '//evil.test/a.png', '/admin/logout' ]) {
        await operator.get(`/admin/users/${user.id}`);
        assert.strictEqual((await operator.post(`/admin/users/${user.id}/profile`, { nickname: 'n', avatar })).status, 422, avatar);
      }
    });

    it('refusals: a user id that does not exist (404, the stored file removed), not an image, CSRF missing, a viewer; nothing changes', async () => {
      const user = await registerUser(app);
      const before = storedFiles();
      const original = await userRow(user.id);
      await operator.get('/admin/users');
      const missing = await operator.postMultipart('/admin/users/987654/profile', { nickname: 'x' }, { bytes: png, filename: 'a.png', contentType: 'image/png' });
      assert.strictEqual(missing.status, 404);
      assert.ok(missing.text.includes(ADMIN_MSG.userMissing));
      const url = `/admin/users/${user.id}/profile`;
      await operator.get(`/admin/users/${user.id}`);
      assert.strictEqual((await operator.postMultipart(url, { nickname: 'x' }, { bytes: Buffer.from('%PDF-1.4 not an image'), filename: 'a.png', contentType: 'image/png' })).status, 400);
      assert.strictEqual((await operator.postMultipart(url, { nickname: 'x' }, { bytes: png, filename: 'a.png' }, { csrf: false })).status, 403);
      await viewer.get(`/admin/users/${user.id}`);
      assert.strictEqual((await viewer.postMultipart(url, { nickname: 'x' }, { bytes: png, filename: 'a.png' })).status, 403);
      assert.deepStrictEqual(storedFiles(), before);
      const row = await userRow(user.id);
      assert.deepStrictEqual([ row.nickname, row.avatar ], [ original.nickname, original.avatar ]);
      const refused = (await auditRows('user.update')).filter(r => r.outcome !== 'ok');
      assert.ok(refused.some(r => Number(r.target_id) === 987654 && JSON.parse(r.after_json).status === 404));
      assert.strictEqual(refused.filter(r => Number(r.target_id) === user.id).length, 3);
    });
  });
});
