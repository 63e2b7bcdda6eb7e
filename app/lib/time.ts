/** Parses '+08:00' / '-05:30' into minutes east of UTC. */
export function offsetMinutes(timezone: string): number {
  const match = /^([+-])(\d{2}):?(\d{2})$/.exec(timezone);
  if (!match) throw new Error(`Bad time zone offset "${timezone}", expected e.g. +08:00`);
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

const pad = (n: number) => (n < 10 ? '0' + n : String(n));

/** `YYYY-MM-DD HH:mm:ss` in the given fixed offset: the contract's format for create_time. */
export function formatLocalDateTime(value: Date | string | null | undefined, timezone: string): string | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return null;
  const shifted = new Date(date.getTime() + offsetMinutes(timezone) * 60_000);
  return `${shifted.getUTCFullYear()}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())} ` +
    `${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}`;
}
