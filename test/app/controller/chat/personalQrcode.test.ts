import * as assert from 'node:assert';
import { app, mock } from 'egg-mock/bootstrap';
import { assertFail, registerUser, TestUser } from '../../../helpers/api';
import { registerVisitor } from '../../../helpers/visitor';
import { resetDatabase } from '../../../helpers/db';
import { MSG } from '../../../../app/lib/messages';
import { qrImage } from './groupHelpers';

/**
 * The personal QR code (issue 19: groupQrcode/:id?chatType=single): the add-friend page of a user, its
 * `http` base accepted only from the configured client origins (CORS_ORIGINS), as for groups.
 */
function qr(url: string, token?: string) {
  return qrImage(app, url, token);
}

function personal(target: TestUser, http: string) {
  return `/api/chat/groupQrcode/${target.id}?chatType=single&type=H5&http=${encodeURIComponent(http)}`;
}

describe('test/app/controller/chat/personalQrcode.test.ts', () => {
  let me: TestUser;
  let target: TestUser;

  before(async () => {
    await resetDatabase(app);
    me = await registerUser(app);
    target = await registerUser(app);
  });
  afterEach(() => mock.restore());

  it('draws the add-friend page under an allowed client origin, for a user or a visitor caller', async () => {
    mock(process.env, 'CORS_ORIGINS', 'https://chat.example,http://localhost:8080');
    for (const token of [ me.token, (await registerVisitor(app)).token ]) {
      const res = await qr(personal(target, 'https://chat.example/'), token);
      assert.strictEqual(res.status, 200, JSON.stringify(res.body));
      assert.strictEqual(res.headers['content-type'], 'image/png');
    }
    const text = await app.mockContext().service.group.qrcodeText(me.id, { id: target.id, type: 'H5', http: 'https://chat.example/', chatType: 'single' });
    const [ base, hash ] = text.split('#');
    assert.strictEqual(base, 'https://chat.example/');
    const page = new URL(hash, 'http://x');
    assert.strictEqual(page.pathname, '/pages/setpageInfo/setpageInfo');
    assert.strictEqual(page.searchParams.get('action'), 'autoAddGroup');
    assert.strictEqual(page.searchParams.get('chatType'), 'single');
    assert.strictEqual(page.searchParams.get('id'), String(target.id));
    assert.strictEqual(page.searchParams.get('title'), `加用户[${target.username}]为好友`);
  });

  it('refuses another host, javascript:, a data: URL, a fragment, or no scheme (400, never drawn)', async () => {
    mock(process.env, 'CORS_ORIGINS', 'https://chat.example');
    // eslint-disable-next-line no-script-url
    for (const http of [ 'https://evil.example/', 'https://chat.example.evil.example/', 'javascript:alert(1)', 'data:text/html,x', 'https://chat.example/#/phish', '//chat.example/', 'chat.example' ]) {
      assertFail(await qr(personal(target, http), me.token), 400, MSG.groupQrcodeOriginRefused);
    }
  });

  it('a missing or disabled user: refused; without a token: 401; a bad chatType: 422', async () => {
    assertFail(await qr('/api/chat/groupQrcode/2147483647?chatType=single', me.token), 400, MSG.qrcodeUserMissing);
    await app.model.User.update({ status: 0 }, { where: { id: target.id } });
    try {
      assertFail(await qr(`/api/chat/groupQrcode/${target.id}?chatType=single`, me.token), 400, MSG.qrcodeUserMissing);
    } finally {
      await app.model.User.update({ status: 1 }, { where: { id: target.id } });
    }
    assertFail(await qr(`/api/chat/groupQrcode/${target.id}?chatType=single`), 401);
    assertFail(await qr(`/api/chat/groupQrcode/${target.id}?chatType=friend`, me.token), 422);
  });
});
