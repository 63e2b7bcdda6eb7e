import { Application } from 'egg';
import { Model, ModelStatic, Optional } from 'sequelize';
import { UserinfoAttributes } from '../lib/types';
import { commonFields } from '../lib/commonFields';

type UserinfoCreation = Optional<UserinfoAttributes, 'id' | 'gender' | 'birthday' | 'bio' | 'location' | 'website' | 'order' | 'create_time' | 'update_time'>;
export interface UserinfoInstance extends Model<UserinfoAttributes, UserinfoCreation>, UserinfoAttributes {}

export default (app: Application) => {
  const { INTEGER, STRING, DATEONLY, ENUM } = app.Sequelize;
  const Userinfo = app.model.define<UserinfoInstance>('userinfo', {
    id: { type: INTEGER.UNSIGNED, primaryKey: true, autoIncrement: true },
    user_id: { type: INTEGER.UNSIGNED, allowNull: false },
    gender: { type: ENUM('male', 'female', 'unknown'), defaultValue: 'unknown' },
    birthday: { type: DATEONLY, allowNull: true },
    bio: { type: STRING(200), allowNull: true },
    location: { type: STRING(100), allowNull: true },
    website: { type: STRING(255), allowNull: true },
    ...commonFields(app),
  }, { tableName: 'user_info' }) as ModelStatic<UserinfoInstance> & { associate(): void };

  Userinfo.associate = () => {
    Userinfo.belongsTo(app.model.User, { as: 'user', foreignKey: 'user_id' });
  };
  return Userinfo;
};
