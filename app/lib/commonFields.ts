import { Application } from 'egg';
import { formatLocalDateTime } from './time';

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
