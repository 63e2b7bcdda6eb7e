import { Application } from 'egg';
import { Model, ModelStatic, Optional } from 'sequelize';
import { GoodfriendAttributes } from '../lib/types';
import { commonFields, relationFields } from '../lib/commonFields';

type GoodfriendCreation = Optional<GoodfriendAttributes, 'id' | 'nickname' | 'friendlookme' | 'melookfriend' | 'ismystarfriend' | 'isblack' | 'status' | 'order' | 'create_time' | 'update_time'>;
export interface GoodfriendInstance extends Model<GoodfriendAttributes, GoodfriendCreation>, GoodfriendAttributes {}

export default (app: Application) => {
  const { TINYINT } = app.Sequelize;
  const Goodfriend = app.model.define<GoodfriendInstance>('goodfriend', {
    ...relationFields(app),
    status: { type: TINYINT, defaultValue: 1 },
    ...commonFields(app),
  }, { tableName: 'goodfriend' }) as ModelStatic<GoodfriendInstance> & { associate(): void };

  Goodfriend.associate = () => {
    Goodfriend.belongsTo(app.model.User, { as: 'friendinfo', foreignKey: 'friend_id' });
  };
  return Goodfriend;
};
