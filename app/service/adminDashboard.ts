import { Service } from 'egg';
import { Sequelize } from 'sequelize';
import { dashboardCounts, perHour } from '../repository/user';
import { ONLINE_FAMILY } from '../socket/server';

const HOUR_MS = 3600 * 1000;
const DAYS = 7;

/** 'YYYY-MM-DD HH' in UTC, as repository/user.ts perHour groups. */
function hourLabel(at: Date): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 13)}`;
}

/** The console's dashboard: counts, registrations per day and messages per hour over the last 7 days (UTC). */
export default class AdminDashboardService extends Service {
  /**
   * Sockets open now on every worker of every instance: the counts the workers keep in the store (one
   * entry per worker, refreshed at each heartbeat, socket/server.ts ONLINE_FAMILY), this worker's own
   * taken live. Sockets, not distinct users: with SINGLE_SESSION=1 (the default) an account has at most
   * one, so the two agree; with SINGLE_SESSION=0 a user on two devices counts twice.
   */
  async socketsOnline(): Promise<number> {
    const sockets = this.app.chatSockets;
    const entries = await this.app.kvStore.listFamily(ONLINE_FAMILY);
    return entries.reduce((sum, entry) => (entry.member === sockets.workerId ? sum : sum + (Number(entry.value) || 0)), sockets.size);
  }

  async overview(now = new Date()) {
    const db = this.ctx.model as unknown as Sequelize;
    const startOfToday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const since = new Date(startOfToday.getTime() - (DAYS - 1) * 24 * HOUR_MS);
    const [ counts, registrations, messages, online ] = await Promise.all([
      dashboardCounts(db, startOfToday), perHour(db, 'user', since), perHour(db, 'message', since), this.socketsOnline(),
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
      counts: { ...counts, online },
      charts: {
        registrations: { labels: days, values: days.map(day => perDay.get(day)!) },
        messages: { labels: hours, values: hours.map(hour => byHour.get(hour) ?? 0) },
      },
    };
  }
}
