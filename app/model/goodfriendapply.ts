import { Application } from 'egg';
import { Model, ModelStatic, Optional } from 'sequelize';
import { GoodfriendapplyAttributes } from '../lib/types';
import { commonFields } from '../lib/commonFields';

type GoodfriendapplyCreation = Optional<GoodfriendapplyAttributes, 'id' | 'nickname' | 'friendlookme' | 'melookfriend' | 'ismystarfriend' | 'isblack' | 'status' | 'order' | 'create_time' | 'update_time'>;
export interface GoodfriendapplyInstance extends Model<GoodfriendapplyAttributes, GoodfriendapplyCreation>, GoodfriendapplyAttributes {}

export default (app: Application) => {
  const { INTEGER, STRING, TINYINT, ENUM } = app.Sequelize;
  const Goodfriendapply = app.model.define<GoodfriendapplyInstance>('goodfriendapply', {
    id: { type: INTEGER.UNSIGNED, primaryKey: true, autoIncrement: true },
    user_id: { type: INTEGER.UNSIGNED, allowNull: false },
    friend_id: { type: INTEGER.UNSIGNED, allowNull: false },
    nickname: { type: STRING(50), defaultValue: '' },
    friendlookme: { type: TINYINT, defaultValue: 1 },
    melookfriend: { type: TINYINT, defaultValue: 1 },
    ismystarfriend: { type: TINYINT, defaultValue: 0 },
    isblack: { type: TINYINT, defaultValue: 0 },
    status: { type: ENUM('pending', 'refuse', 'agree', 'ignore'), defaultValue: 'pending' },
    ...commonFields(app),
  }, { tableName: 'goodfriendapply' }) as ModelStatic<GoodfriendapplyInstance> & { associate(): void };

  Goodfriendapply.associate = () => {
    Goodfriendapply.belongsTo(app.model.User, { as: 'user', foreignKey: 'user_id' });
  };
  return Goodfriendapply;
};
