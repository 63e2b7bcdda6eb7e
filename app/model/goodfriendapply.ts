import { Application } from 'egg';
import { Model, ModelStatic, Optional } from 'sequelize';
import { GoodfriendapplyAttributes } from '../lib/types';
import { commonFields, relationFields } from '../lib/commonFields';

type GoodfriendapplyCreation = Optional<GoodfriendapplyAttributes, 'id' | 'nickname' | 'friendlookme' | 'melookfriend' | 'ismystarfriend' | 'isblack' | 'status' | 'order' | 'create_time' | 'update_time'>;
export interface GoodfriendapplyInstance extends Model<GoodfriendapplyAttributes, GoodfriendapplyCreation>, GoodfriendapplyAttributes {}

export default (app: Application) => {
  const { ENUM } = app.Sequelize;
  const Goodfriendapply = app.model.define<GoodfriendapplyInstance>('goodfriendapply', {
    ...relationFields(app),
    status: { type: ENUM('pending', 'refuse', 'agree', 'ignore'), defaultValue: 'pending' },
    ...commonFields(app),
  }, { tableName: 'goodfriendapply' }) as ModelStatic<GoodfriendapplyInstance> & { associate(): void };

  Goodfriendapply.associate = () => {
    Goodfriendapply.belongsTo(app.model.User, { as: 'user', foreignKey: 'user_id' });
  };
  return Goodfriendapply;
};
