import { Service } from 'egg';
import { Sequelize } from 'sequelize';
import { dashboardCounts, perHour } from '../repository/user';

const HOUR_MS = 3600 * 1000;
const DAYS = 7;

/** 'YYYY-MM-DD HH' in UTC, as repository/user.ts perHour groups. */
function hourLabel(at: Date): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 13)}`;
}

/** The console's dashboard: counts, registrations per day and messages per hour over the last 7 days (UTC). */
export default class AdminDashboardService extends Service {
  async overview(now = new Date()) {
    const db = this.ctx.model as unknown as Sequelize;
    const startOfToday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const since = new Date(startOfToday.getTime() - (DAYS - 1) * 24 * HOUR_MS);
    const [ counts, registrations, messages ] = await Promise.all([
      dashboardCounts(db, startOfToday), perHour(db, 'user', since), perHour(db, 'message', since),
    ]);
    const days: string[] = [];
    for (let d = 0; d < DAYS; d++) days.push(new Date(since.getTime() + d * 24 * HOUR_MS).toISOString().slice(0, 10));
    const perDay = new Map(days.map(day => [ day, 0 ]));
    for (const row of registrations) {
      const day = row.hour.slice(0, 10);
      if (perDay.has(day)) perDay.set(day, perDay.get(day)! + row.n);
    }
    const hours: string[] = [];
    const hourStart = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
    for (let h = DAYS * 24 - 1; h >= 0; h--) hours.push(hourLabel(new Date(hourStart - h * HOUR_MS)));
    const byHour = new Map(messages.map(row => [ row.hour, row.n ]));
    return {
      counts: { ...counts, online: this.app.chatSockets.size },
      charts: {
        registrations: { labels: days, values: days.map(day => perDay.get(day)!) },
        messages: { labels: hours, values: hours.map(hour => byHour.get(hour) ?? 0) },
      },
    };
  }
}
