'use strict';
const { createTableUnlessExists, ensureIndex, caseInsensitiveString, timestamps } = require('../lib/schema');

const DEFAULT_AVATAR = 'https://thinkphp-all.oss-cn-hangzhou.aliyuncs.com/public/67b3001b2aedd.png';

module.exports = {
  async up(queryInterface, Sequelize) {
    const { INTEGER, STRING, CHAR, DATE, TINYINT } = Sequelize;
    await createTableUnlessExists(queryInterface, 'user', {
      id: { type: INTEGER.UNSIGNED, primaryKey: true, autoIncrement: true },
      uuid: { type: CHAR(36), allowNull: false, comment: 'uuid v4' },
      username: { type: caseInsensitiveString(queryInterface, Sequelize, 50), allowNull: false },
      password: { type: STRING(255), allowNull: false },
      nickname: { type: STRING(50), allowNull: true, defaultValue: '' },
      avatar: { type: STRING(1000), allowNull: true, defaultValue: DEFAULT_AVATAR },
      mobile: { type: STRING(20), allowNull: true },
      email: { type: STRING(100), allowNull: true },
      status: { type: TINYINT, allowNull: false, defaultValue: 1, comment: '1 enabled, 0 disabled' },
      last_login: { type: DATE, allowNull: true },
      last_login_ip: { type: STRING(50), allowNull: true },
      register_time: { type: DATE, allowNull: true },
      register_ip: { type: STRING(50), allowNull: true },
      is_deleted: { type: TINYINT, allowNull: false, defaultValue: 0 },
      wechat_openid: { type: STRING(128), allowNull: true },
      qq_openid: { type: STRING(128), allowNull: true },
      weibo_uid: { type: STRING(128), allowNull: true },
      role: { type: STRING(20), allowNull: false, defaultValue: 'user' },
      is_email_verified: { type: TINYINT, allowNull: false, defaultValue: 0 },
      is_mobile_verified: { type: TINYINT, allowNull: false, defaultValue: 0 },
      ...timestamps(Sequelize),
    });
    // username serves login, the duplicate check and both search queries (exact and prefix).
    await ensureIndex(queryInterface, 'user', [ 'username' ], { name: 'user_username_unique', unique: true });
    await ensureIndex(queryInterface, 'user', [ 'uuid' ], { name: 'user_uuid_unique', unique: true });
    for (const column of [ 'mobile', 'email', 'wechat_openid', 'qq_openid', 'weibo_uid' ]) {
      await ensureIndex(queryInterface, 'user', [ column ], { name: `user_${column}_unique`, unique: true });
    }
  },

  async down(queryInterface) {
    await queryInterface.dropTable('user');
  },
};
