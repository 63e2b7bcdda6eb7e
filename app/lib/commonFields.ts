import { Application } from 'egg';
import { formatLocalDateTime } from './time';

/** The columns goodfriend and goodfriendapply share (see RelationAttributes). */
export function relationFields(app: Application) {
  const { INTEGER, STRING, TINYINT } = app.Sequelize;
  return {
    id: { type: INTEGER.UNSIGNED, primaryKey: true, autoIncrement: true },
    user_id: { type: INTEGER.UNSIGNED, allowNull: false },
    friend_id: { type: INTEGER.UNSIGNED, allowNull: false },
    nickname: { type: STRING(50), defaultValue: '' },
    friendlookme: { type: TINYINT, defaultValue: 1 },
    melookfriend: { type: TINYINT, defaultValue: 1 },
    ismystarfriend: { type: TINYINT, defaultValue: 0 },
    isblack: { type: TINYINT, defaultValue: 0 },
  };
}

/** `order` and the two timestamps every table has; create_time reads as the contract's local string. */
export function commonFields(app: Application) {
  const { INTEGER, DATE } = app.Sequelize;
  const timezone = app.config.chat.timezone;
  return {
    order: { type: INTEGER, allowNull: true, defaultValue: 50 },
    create_time: {
      type: DATE,
      get(this: any) {
        return formatLocalDateTime(this.getDataValue('create_time'), timezone);
      },
    },
    update_time: { type: DATE },
  };
}
