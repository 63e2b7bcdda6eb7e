import { Application } from 'egg';
import queryToken from './lib/queryToken';

export default (app: Application) => {
  const { controller, router, middleware } = app;
  // Registered users only; `visitors` also lets visitor tokens in: the original's visitor whitelist,
  // declared here route by route (a visitor anywhere else gets 403).
  const auth = middleware.auth();
  const visitors = middleware.auth({ visitors: true });
  const { search, apply, goodfriend, settings, message } = controller.chat;

  router.get('/api/health', controller.health.show);

  // Accounts
  router.post('/api/regChat', controller.user.register);
  router.post('/api/loginChat', controller.user.login);
  // A visitor may end its own session too (not in the original's whitelist: see docs/COMPATIBILITY.md).
  router.post('/api/chat/logout', visitors, controller.user.logout);

  // Visitors (guest identity per device) and formal registration/login from the client's login page.
  router.post('/api/visitorRegister', controller.visitor.visitorRegister);
  router.post('/api/visitorregChat', controller.visitor.visitorregChat);
  router.post('/api/visitorloginChat', controller.visitor.visitorloginChat);

  // Profiles and settings
  router.get('/api/userinfo/:uuid', controller.profile.userinfo);
  router.post('/api/chat/userset', visitors, settings.userset);
  router.post('/api/chat/getUserSetInfo', visitors, settings.getUserSetInfo);
  router.post('/api/chat/updateUserinfo', visitors, settings.updateUserinfo);

  // Friends ("relationship chain"); every query below is scoped to the caller from the token.
  router.post('/api/chat/searchUser', auth, search.searchUser);
  router.post('/api/chat/applyfriend', visitors, apply.applyfriend);
  router.post('/api/chat/autoAddFriendAndAgree', visitors, apply.autoAddFriendAndAgree);
  router.post('/api/chat/isApplyfriend/:uuid', auth, apply.isApplyfriend);
  router.get('/api/chat/listapplyfriend/:page?', auth, apply.listapplyfriend);
  router.post('/api/chat/handleapply/:id', auth, apply.handleapply);
  router.get('/api/chat/goodfriendlist/:page?', auth, goodfriend.goodfriendlist);
  router.get('/api/chat/getgoodfriendinfo/:id', auth, goodfriend.getgoodfriendinfo);
  router.post('/api/chat/ismygoodfriend/:id', visitors, goodfriend.ismygoodfriend);
  router.post('/api/chat/deletegoodfriend/:id', visitors, goodfriend.deletegoodfriend);
  router.post('/api/chat/setblackgoodfriend/:id', auth, goodfriend.setblackgoodfriend);
  router.post('/api/chat/setstargoodfriend/:id', auth, goodfriend.setstargoodfriend);
  router.post('/api/chat/setmeOrfriendCanSee/:id', auth, goodfriend.setmeOrfriendCanSee);

  // Messages (the socket itself is GET /ws?token=, app/socket/server.ts).
  router.post('/api/chat/socket/sendmessage', visitors, message.sendmessage);
  router.post('/api/chat/chatGetmessageOffLine', visitors, message.chatGetmessageOffLine);
  router.post('/api/chat/revokeMessage', visitors, message.revokeMessage);

  // Groups (issue 13; docs/design/groups.md §2: what a visitor may call). Membership and ownership are
  // checked in the services; the QR code alone accepts `?token=` (an image source cannot send headers).
  const group = controller.chat.group;
  router.post('/api/chat/group/create', auth, group.create);
  router.get('/api/chat/grouplist/:page?', visitors, group.grouplist);
  router.get('/api/chat/groupinfo/:id', visitors, group.groupinfo);
  router.post('/api/chat/groupUpdateName', auth, group.groupUpdateName);
  router.post('/api/chat/groupremark', auth, group.groupremark);
  router.post('/api/chat/groupnickname', visitors, group.groupnickname);
  router.post('/api/chat/groupDeleteOrQuit', visitors, group.groupDeleteOrQuit);
  router.get('/api/chat/groupQrcode/:id', queryToken(), visitors, group.groupQrcode);
  router.post('/api/chat/groupDeleteUser', auth, group.groupDeleteUser);
  router.post('/api/chat/groupInviteUser', visitors, group.groupInviteUser);
  router.post('/api/chat/groupAddUserSet', auth, group.groupAddUserSet);
  router.post('/api/chat/groupAgreeOrNo', auth, group.groupAgreeOrNo);

  // Media (issue 14): uploads to this server's storage or to object storage, video covers, and the local
  // driver's files (public by URL, as the original's /public/uploads; names are unguessable). Visitors may
  // upload (the original's visitor whitelist).
  const media = controller.chat.media;
  router.post('/api/chat/uploadStreamSingleToServerDiy/:dir', visitors, media.uploadStreamSingleToServerDiy);
  router.post('/api/chat/uploadAliyun', visitors, media.uploadAliyun);
  router.post('/api/chat/getVideoScreenshot', visitors, media.getVideoScreenshot);
  router.get('/public/uploads/Diy/:dir/:date/:name', media.served);

  // Account care (issue 19): a visitor gets the original's refusal from the service, not a 403.
  router.post('/api/chat/setPassword', visitors, controller.chat.account.setPassword);
  // Auto-answers: registered users, their own entries and those of the groups they own.
  const askanswer = controller.chat.askanswer;
  for (const action of [ 'create', 'update', 'delete', 'list', 'detail', 'search' ] as const) {
    router.post(`/api/chat/askanswer/${action}`, auth, askanswer[action]);
  }

  // API documentation: Swagger UI and docs/openapi.yaml (404 unless config.chat.docsEnabled).
  router.get('/docs', controller.docs.index);
  router.get('/docs/:file', controller.docs.asset);

  // Admin console (issue 20): server-rendered pages under /admin, the console's own session cookie (never a
  // chat token), CSRF on every form, roles viewer < operator < owner (app/middleware/admin.ts). 404 unless
  // config.admin.enabled (ADMIN_ENABLED) and the caller's address is allowed (ADMIN_ALLOWED_IPS).
  const consoleRoute = (role?: 'viewer' | 'operator' | 'owner', action?: string) => middleware.admin({ role, action });
  const adminPages = controller.admin;
  router.get('/admin/assets/:file', consoleRoute(), adminPages.assets.show);
  router.get('/admin/login', consoleRoute(), adminPages.auth.loginPage);
  router.post('/admin/login', consoleRoute(undefined, 'admin.login'), adminPages.auth.login);
  router.post('/admin/logout', consoleRoute('viewer', 'admin.logout'), adminPages.auth.logout);
  router.get('/admin', consoleRoute('viewer'), adminPages.dashboard.index);
  router.get('/admin/users', consoleRoute('viewer'), adminPages.users.index);
  router.get('/admin/users/new', consoleRoute('operator'), adminPages.users.newForm);
  router.post('/admin/users', consoleRoute('operator', 'user.create'), adminPages.users.create);
  router.get('/admin/users/:id', consoleRoute('viewer'), adminPages.users.show);
  router.post('/admin/users/:id/profile', consoleRoute('operator', 'user.update'), adminPages.users.update);
  router.post('/admin/users/:id/password', consoleRoute('operator', 'user.password'), adminPages.users.resetPassword);
  router.post('/admin/users/:id/disable', consoleRoute('operator', 'user.disable'), adminPages.users.disable);
  router.post('/admin/users/:id/enable', consoleRoute('operator', 'user.enable'), adminPages.users.enable);
  router.post('/admin/users/:id/delete', consoleRoute('owner', 'user.delete'), adminPages.users.destroy);
  router.get('/admin/audit', consoleRoute('viewer'), adminPages.audit.index);
  // Auto-answers (issue 20 §3): every owner's entries; operators edit and delete, each write audited.
  router.get('/admin/askanswers', consoleRoute('viewer'), adminPages.askanswers.index);
  router.get('/admin/askanswers/:id', consoleRoute('viewer'), adminPages.askanswers.show);
  router.post('/admin/askanswers/:id/edit', consoleRoute('operator', 'askanswer.update'), adminPages.askanswers.update);
  router.post('/admin/askanswers/:id/delete', consoleRoute('operator', 'askanswer.delete'), adminPages.askanswers.destroy);
  router.get('/admin/admins', consoleRoute('owner'), adminPages.admins.index);
  router.post('/admin/admins', consoleRoute('owner', 'admin.create'), adminPages.admins.create);
  router.post('/admin/admins/:id/disable', consoleRoute('owner', 'admin.disable'), adminPages.admins.setStatus);
  router.post('/admin/admins/:id/enable', consoleRoute('owner', 'admin.enable'), adminPages.admins.setStatus);
};
