'use strict';

const floor = require('./floor');

// One constant JSON answer in the contract's envelope: the ceiling every eggchat figure is divided by.
const BODY = { msg: 'ok', data: 'hello' };

module.exports = app => {
  app.router.get('/', ctx => {
    ctx.body = BODY;
  });
  // The contract's floor for an authenticated read (the bench's `floor` row, production profile only).
  if (floor.available()) app.router.get('/floor/:id', floor.handler);
};
