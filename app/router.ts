import { Application } from 'egg';

export default (app: Application) => {
  const { controller, router, middleware } = app;
  const auth = middleware.auth();

  router.post('/api/regChat', controller.user.register);
  router.post('/api/loginChat', controller.user.login);
  router.post('/api/chat/logout', auth, controller.user.logout);
};
