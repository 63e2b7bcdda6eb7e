'use strict';

// One constant JSON answer in the contract's envelope: the ceiling every eggchat figure is divided by.
const BODY = { msg: 'ok', data: 'hello' };

module.exports = app => {
  app.router.get('/', ctx => {
    ctx.body = BODY;
  });
};
