import { Application } from 'egg';
import { Model, ModelStatic, Optional } from 'sequelize';
import { UserAttributes } from '../lib/types';
import { commonFields } from '../lib/commonFields';

type UserCreation = Optional<UserAttributes, 'id' | 'nickname' | 'avatar' | 'mobile' | 'email' | 'status' | 'last_login' |
'last_login_ip' | 'register_time' | 'register_ip' | 'is_deleted' | 'wechat_openid' | 'qq_openid' | 'weibo_uid' | 'role' |
'is_email_verified' | 'is_mobile_verified' | 'devicefingeruuid' | 'uniplatform' | 'devicemodel' | 'deviceos' | 'devicebrand' |
'userset' | 'invite_confirm' | 'order' | 'create_time' | 'update_time'>;
export interface UserInstance extends Model<UserAttributes, UserCreation>, UserAttributes {}

export default (app: Application) => {
  const { INTEGER, STRING, CHAR, DATE, TINYINT, TEXT } = app.Sequelize;
  const User = app.model.define<UserInstance>('user', {
    id: { type: INTEGER.UNSIGNED, primaryKey: true, autoIncrement: true },
    uuid: { type: CHAR(36), allowNull: false },
    username: { type: STRING(50), allowNull: false },
    password: { type: STRING(255), allowNull: false },
    nickname: { type: STRING(50), defaultValue: '' },
    avatar: { type: STRING(1000), defaultValue: app.config.chat.defaultAvatar },
    mobile: { type: STRING(20), allowNull: true, defaultValue: null },
    email: { type: STRING(100), allowNull: true, defaultValue: null },
    status: { type: TINYINT, defaultValue: 1 },
    last_login: { type: DATE, allowNull: true, defaultValue: null },
    last_login_ip: { type: STRING(50), allowNull: true, defaultValue: null },
    register_time: { type: DATE, allowNull: true },
    register_ip: { type: STRING(50), allowNull: true, defaultValue: null },
    is_deleted: { type: TINYINT, defaultValue: 0 },
    wechat_openid: { type: STRING(128), allowNull: true, defaultValue: null },
    qq_openid: { type: STRING(128), allowNull: true, defaultValue: null },
    weibo_uid: { type: STRING(128), allowNull: true, defaultValue: null },
    role: { type: STRING(20), defaultValue: 'user' },
    is_email_verified: { type: TINYINT, defaultValue: 0 },
    is_mobile_verified: { type: TINYINT, defaultValue: 0 },
    devicefingeruuid: { type: STRING(200), allowNull: true, defaultValue: null },
    uniplatform: { type: STRING(50), allowNull: true, defaultValue: '' },
    devicemodel: { type: STRING(50), allowNull: true, defaultValue: '' },
    deviceos: { type: STRING(50), allowNull: true, defaultValue: '' },
    devicebrand: { type: STRING(50), allowNull: true, defaultValue: '' },
    userset: { type: TEXT, allowNull: true, defaultValue: null },
    invite_confirm: { type: TINYINT, defaultValue: 1 },
    ...commonFields(app),
  }, { tableName: 'user' }) as ModelStatic<UserInstance> & { associate(): void };

  User.associate = () => {
    User.hasOne(app.model.Userinfo, { as: 'userinfo', foreignKey: 'user_id' });
  };
  return User;
};
