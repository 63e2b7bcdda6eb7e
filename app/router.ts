import { Application } from 'egg';

export default (app: Application) => {
  const { controller, router, middleware } = app;
  const auth = middleware.auth();
  const { search, apply, goodfriend } = controller.chat;

  router.get('/api/health', controller.health.show);

  // Accounts
  router.post('/api/regChat', controller.user.register);
  router.post('/api/loginChat', controller.user.login);
  router.post('/api/chat/logout', auth, controller.user.logout);

  // Friends ("relationship chain"); every query below is scoped to the caller from the token.
  router.post('/api/chat/searchUser', auth, search.searchUser);
  router.post('/api/chat/applyfriend', auth, apply.applyfriend);
  router.get('/api/chat/listapplyfriend/:page?', auth, apply.listapplyfriend);
  router.post('/api/chat/handleapply/:id', auth, apply.handleapply);
  router.get('/api/chat/goodfriendlist/:page?', auth, goodfriend.goodfriendlist);
  router.get('/api/chat/getgoodfriendinfo/:id', auth, goodfriend.getgoodfriendinfo);
  router.post('/api/chat/setblackgoodfriend/:id', auth, goodfriend.setblackgoodfriend);
  router.post('/api/chat/setstargoodfriend/:id', auth, goodfriend.setstargoodfriend);
  router.post('/api/chat/setmeOrfriendCanSee/:id', auth, goodfriend.setmeOrfriendCanSee);

  // API documentation: Swagger UI and docs/openapi.yaml (404 unless config.chat.docsEnabled).
  router.get('/docs', controller.docs.index);
  router.get('/docs/:file', controller.docs.asset);
};
