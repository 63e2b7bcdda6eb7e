/** Template helpers (the admin console's pages: `helper.time(value)`). */
export default {
  /** A stored time as 'YYYY-MM-DD HH:mm:ss' UTC, whichever way the driver returned it ('' when absent). */
  time(value: unknown): string {
    if (value === null || value === undefined || value === '') return '';
    const date = value instanceof Date ? value : new Date(String(value).replace(' +00:00', 'Z').replace(' ', 'T'));
    return Number.isNaN(date.getTime()) ? String(value) : date.toISOString().slice(0, 19).replace('T', ' ');
  },
};
