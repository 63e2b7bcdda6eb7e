import * as assert from 'node:assert';
import { formatLocalDateTime, offsetMinutes } from '../../../app/lib/time';

describe('test/app/lib/time.test.ts', () => {
  describe('formatLocalDateTime', () => {
    const instant = new Date('2025-07-13T03:46:05.000Z');

    it('shows an instant in +08:00 as YYYY-MM-DD HH:mm:ss (the seed\'s example)', () => {
      assert.strictEqual(formatLocalDateTime(instant, '+08:00'), '2025-07-13 11:46:05');
    });

    it('shows it in -05:30, going back across midnight', () => {
      assert.strictEqual(formatLocalDateTime(instant, '-05:30'), '2025-07-12 22:16:05');
    });

    it('shows it unchanged in +00:00 and drops the milliseconds', () => {
      assert.strictEqual(formatLocalDateTime(new Date('2025-07-13T03:46:05.999Z'), '+00:00'), '2025-07-13 03:46:05');
      assert.strictEqual(formatLocalDateTime(instant, '-00:00'), '2025-07-13 03:46:05');
    });

    it('crosses the year and pads every field', () => {
      assert.strictEqual(formatLocalDateTime(new Date('2025-12-31T16:00:00.000Z'), '+08:00'), '2026-01-01 00:00:00');
      assert.strictEqual(formatLocalDateTime(new Date('2026-01-01T01:02:03.000Z'), '-05:30'), '2025-12-31 19:32:03');
      assert.strictEqual(formatLocalDateTime(new Date('2024-02-29T20:05:09.000Z'), '+05:45'), '2024-03-01 01:50:09');
    });

    it('accepts ISO strings as input', () => {
      assert.strictEqual(formatLocalDateTime('2025-07-13T03:46:05.000Z', '+08:00'), '2025-07-13 11:46:05');
      assert.strictEqual(formatLocalDateTime('2025-07-13T11:46:05+08:00', '-05:30'), '2025-07-12 22:16:05');
    });

    it('accepts an offset without the colon', () => {
      assert.strictEqual(formatLocalDateTime(instant, '+0800'), '2025-07-13 11:46:05');
      assert.strictEqual(formatLocalDateTime(instant, '-0530'), '2025-07-12 22:16:05');
    });

    it('does not depend on the process time zone', () => {
      const before = process.env.TZ;
      try {
        process.env.TZ = 'America/New_York';
        assert.strictEqual(formatLocalDateTime(instant, '+08:00'), '2025-07-13 11:46:05');
      } finally {
        if (before === undefined) delete process.env.TZ; else process.env.TZ = before;
      }
    });

    it('returns null for null, undefined and an invalid date', () => {
      assert.strictEqual(formatLocalDateTime(null, '+08:00'), null);
      assert.strictEqual(formatLocalDateTime(undefined, '+08:00'), null);
      assert.strictEqual(formatLocalDateTime('not a date', '+08:00'), null);
      assert.strictEqual(formatLocalDateTime(new Date(NaN), '-05:30'), null);
    });

    it('throws on a time zone that is not a fixed offset', () => {
      assert.throws(() => formatLocalDateTime(instant, 'Asia/Shanghai'), /Bad time zone offset "Asia\/Shanghai"/);
      assert.throws(() => formatLocalDateTime(instant, '8:00'), /Bad time zone offset/);
      assert.throws(() => formatLocalDateTime(instant, ''), /Bad time zone offset/);
    });
  });

  describe('offsetMinutes', () => {
    it('parses signed offsets into minutes east of UTC', () => {
      assert.strictEqual(offsetMinutes('+08:00'), 480);
      assert.strictEqual(offsetMinutes('-05:30'), -330);
      assert.strictEqual(offsetMinutes('+00:00'), 0);
      assert.strictEqual(offsetMinutes('+0545'), 345);
      assert.strictEqual(offsetMinutes('-12:00'), -720);
    });
  });
});
