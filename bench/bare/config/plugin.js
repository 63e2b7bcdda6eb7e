'use strict';

// The plugins eggchat switches off are off here too.
module.exports = {
  session: false,
  view: false,
  i18n: false,
  watcher: false,
  static: false,
  development: false,
};
