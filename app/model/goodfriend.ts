import { Application } from 'egg';
import { Model, ModelStatic, Optional } from 'sequelize';
import { GoodfriendAttributes } from '../lib/types';
import { commonFields } from '../lib/commonFields';

type GoodfriendCreation = Optional<GoodfriendAttributes, 'id' | 'nickname' | 'friendlookme' | 'melookfriend' | 'ismystarfriend' | 'isblack' | 'status' | 'order' | 'create_time' | 'update_time'>;
export interface GoodfriendInstance extends Model<GoodfriendAttributes, GoodfriendCreation>, GoodfriendAttributes {}

export default (app: Application) => {
  const { INTEGER, STRING, TINYINT } = app.Sequelize;
  const Goodfriend = app.model.define<GoodfriendInstance>('goodfriend', {
    id: { type: INTEGER.UNSIGNED, primaryKey: true, autoIncrement: true },
    user_id: { type: INTEGER.UNSIGNED, allowNull: false },
    friend_id: { type: INTEGER.UNSIGNED, allowNull: false },
    nickname: { type: STRING(50), defaultValue: '' },
    friendlookme: { type: TINYINT, defaultValue: 1 },
    melookfriend: { type: TINYINT, defaultValue: 1 },
    ismystarfriend: { type: TINYINT, defaultValue: 0 },
    isblack: { type: TINYINT, defaultValue: 0 },
    status: { type: TINYINT, defaultValue: 1 },
    ...commonFields(app),
  }, { tableName: 'goodfriend' }) as ModelStatic<GoodfriendInstance> & { associate(): void };

  Goodfriend.associate = () => {
    Goodfriend.belongsTo(app.model.User, { as: 'friendinfo', foreignKey: 'friend_id' });
  };
  return Goodfriend;
};
