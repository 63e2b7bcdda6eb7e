import * as assert from 'node:assert';
import { app, mock } from 'egg-mock/bootstrap';
import { resetDatabase } from '../../../helpers/db';
import { assertFail, assertOk, login, post, registerUser, PASSWORD } from '../../../helpers/api';
import { registerVisitor } from '../../../helpers/visitor';
import { socketHooks } from '../../../helpers/socket';
import { MSG } from '../../../../app/lib/messages';
import { CLOSE, FRAME_TEXT } from '../../../../app/delivery/frames';

const NEW_PASSWORD = 'changed456';

function setPassword(token: string | undefined, body: Record<string, unknown>) {
  return post(app, '/api/chat/setPassword', token).send(body);
}

/** Any authenticated route: does this token still open a session? */
function whoAmI(token: string, userid: number) {
  return post(app, '/api/chat/getUserSetInfo', token).send({ userid });
}

describe('test/app/controller/chat/account.test.ts', () => {
  before(async () => {
    await app.ready();
    await resetDatabase(app);
  });
  const { open } = socketHooks(app);
  afterEach(() => mock.restore());

  describe('POST /api/chat/setPassword', () => {
    it('changes the password: the new one logs in, the old one no longer does, the caller\'s token stays valid', async () => {
      const me = await registerUser(app);
      const data = assertOk(await setPassword(me.token, { oldpassword: PASSWORD, newpassword: NEW_PASSWORD, checknewpassword: NEW_PASSWORD }));
      assert.strictEqual(data, MSG.passwordChanged);
      assertFail(await login(app, me.username, PASSWORD), 400, MSG.wrongPassword);
      assertOk(await login(app, me.username, NEW_PASSWORD));
      const row = await app.model.User.findByPk(me.id);
      assert.match(row!.password, /^scrypt\$/);
    });

    it('keeps the caller\'s socket; another device\'s socket closes at once and its token answers 401', async () => {
      mock(app.config.chat, 'singleSession', false);
      const me = await registerUser(app);
      const other = assertOk(await login(app, me.username, PASSWORD));
      const mine = await open(me.token);
      const theirs = await open(other.token);
      assertOk(await setPassword(me.token, { oldpassword: PASSWORD, newpassword: NEW_PASSWORD, checknewpassword: NEW_PASSWORD }));
      // No heartbeat in between: the close comes from the change itself.
      assert.strictEqual(await theirs.closed, CLOSE.sessionEnded);
      assert.ok(theirs.frames.some(frame => frame.msg === 'fail' && frame.data === FRAME_TEXT.passwordChanged), JSON.stringify(theirs.frames));
      assertFail(await whoAmI(other.token, me.id), 401, MSG.authInvalid);
      assertOk(await whoAmI(me.token, me.id));
      await new Promise(resolve => setTimeout(resolve, 200));
      assert.strictEqual(mine.closeCode, undefined, 'the caller\'s socket stays open');
    });

    it('with single sessions too: the caller\'s socket stays, its token works', async () => {
      const me = await registerUser(app);
      const mine = await open(me.token);
      assertOk(await setPassword(me.token, { oldpassword: PASSWORD, newpassword: NEW_PASSWORD, checknewpassword: NEW_PASSWORD }));
      assertOk(await whoAmI(me.token, me.id));
      await new Promise(resolve => setTimeout(resolve, 200));
      assert.strictEqual(mine.closeCode, undefined);
    });

    it('answers 401 without a token or with a dead one', async () => {
      assertFail(await setPassword(undefined, { oldpassword: PASSWORD, newpassword: NEW_PASSWORD, checknewpassword: NEW_PASSWORD }), 401);
      const me = await registerUser(app);
      assertOk(await post(app, '/api/chat/logout', me.token));
      assertFail(await setPassword(me.token, { oldpassword: PASSWORD, newpassword: NEW_PASSWORD, checknewpassword: NEW_PASSWORD }), 401, MSG.authInvalid);
    });

    it('the original\'s refusals, in its order: mismatch, visitor, wrong old password', async () => {
      const me = await registerUser(app);
      assertFail(await setPassword(me.token, { oldpassword: PASSWORD, newpassword: NEW_PASSWORD, checknewpassword: 'other123' }), 400, MSG.passwordMismatch);
      const visitor = await registerVisitor(app);
      assertFail(await setPassword(visitor.token, { oldpassword: 'whatever', newpassword: 'other123', checknewpassword: 'other123x' }), 400, MSG.passwordMismatch);
      assertFail(await setPassword(visitor.token, { oldpassword: 'whatever', newpassword: NEW_PASSWORD, checknewpassword: NEW_PASSWORD }), 400, MSG.passwordVisitorRefused);
      assertFail(await setPassword(me.token, { oldpassword: 'not-mine', newpassword: NEW_PASSWORD, checknewpassword: NEW_PASSWORD }), 400, MSG.passwordOldWrong);
      assertOk(await login(app, me.username, PASSWORD));
    });

    it('changes only the caller\'s account (never another user\'s)', async () => {
      const me = await registerUser(app);
      const other = await registerUser(app);
      const before = (await app.model.User.findByPk(other.id))!.password;
      // Another user's id in the body changes nothing: the account is the token's.
      assertOk(await setPassword(me.token, { oldpassword: PASSWORD, newpassword: NEW_PASSWORD, checknewpassword: NEW_PASSWORD, id: other.id, user_id: other.id }));
      assert.strictEqual((await app.model.User.findByPk(other.id))!.password, before);
      assertOk(await whoAmI(other.token, other.id));
      assertOk(await login(app, other.username, PASSWORD));
    });

    it('answers 422 naming the field (missing, too short, too long, not a string)', async () => {
      const me = await registerUser(app);
      assertFail(await setPassword(me.token, { newpassword: NEW_PASSWORD, checknewpassword: NEW_PASSWORD }), 422, '原始密码不能为空');
      assertFail(await setPassword(me.token, { oldpassword: PASSWORD, checknewpassword: NEW_PASSWORD }), 422, '新密码不能为空');
      assertFail(await setPassword(me.token, { oldpassword: PASSWORD, newpassword: NEW_PASSWORD }), 422, '确认新密码不能为空');
      assertFail(await setPassword(me.token, { oldpassword: PASSWORD, newpassword: '123', checknewpassword: '123' }), 422, '新密码 的长度 必须 在 6 和 20 之间');
      assertFail(await setPassword(me.token, { oldpassword: 'x'.repeat(101), newpassword: NEW_PASSWORD, checknewpassword: NEW_PASSWORD }), 422, '原始密码 的长度 必须 在 1 和 100 之间');
      assertFail(await setPassword(me.token, { oldpassword: { $ne: 1 }, newpassword: NEW_PASSWORD, checknewpassword: NEW_PASSWORD }), 422, '原始密码 必须是字符串');
      assertOk(await login(app, me.username, PASSWORD));
    });

    it('throttles wrong old passwords per account (429), even with the right one next', async () => {
      mock(app.config.chat.care, 'passwordFailPerUser', { limit: 2, windowSeconds: 60 });
      const me = await registerUser(app);
      for (let i = 0; i < 2; i += 1) {
        assertFail(await setPassword(me.token, { oldpassword: `guess${i}xx`, newpassword: NEW_PASSWORD, checknewpassword: NEW_PASSWORD }), 400, MSG.passwordOldWrong);
      }
      const res = await setPassword(me.token, { oldpassword: PASSWORD, newpassword: NEW_PASSWORD, checknewpassword: NEW_PASSWORD });
      assertFail(res, 429, MSG.tooManyAttempts);
      assert.ok(Number(res.headers['retry-after']) > 0);
      assertOk(await login(app, me.username, PASSWORD));
    });

    it('two changes at the same moment from the same old password: exactly one wins', async () => {
      mock(app.config.chat, 'singleSession', false);
      const me = await registerUser(app);
      const second = assertOk(await login(app, me.username, PASSWORD));
      const answers = await Promise.all([
        setPassword(me.token, { oldpassword: PASSWORD, newpassword: 'first111', checknewpassword: 'first111' }),
        setPassword(second.token, { oldpassword: PASSWORD, newpassword: 'second22', checknewpassword: 'second22' }),
      ]);
      const won = answers.filter(res => res.status === 200);
      assert.ok(won.length >= 1, JSON.stringify(answers.map(res => res.body)));
      // Whichever lost saw its old password refused, or its own session ended by the winner (401).
      for (const res of answers.filter(r => r.status !== 200)) assert.ok([ 400, 401 ].includes(res.status), JSON.stringify(res.body));
      const logins = await Promise.all([ login(app, me.username, 'first111'), login(app, me.username, 'second22') ]);
      assert.strictEqual(logins.filter(res => res.status === 200).length, 1);
    });
  });
});
