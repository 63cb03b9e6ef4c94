import { describe, expect, it } from 'vitest';
import { parseDate } from './dates.js';

describe('parseDate', () => {
  it('reads a bare day as the start of that day in the zone (was refused: minutes not padded)', () => {
    expect(parseDate('2023-07-20', 'Asia/Shanghai')).toBe(Date.parse('2023-07-20T00:00:00+08:00'));
    expect(parseDate('2023年7月20日', 'Asia/Shanghai')).toBe(Date.parse('2023-07-20T00:00:00+08:00'));
    expect(parseDate('2023/7/20', 'UTC')).toBe(Date.parse('2023-07-20T00:00:00Z'));
    expect(parseDate('2023-07-20', 'America/New_York')).toBe(Date.parse('2023-07-20T00:00:00-04:00'));
  });

  it('reads times with and without zones, Chinese forms and written-out dates', () => {
    expect(parseDate('2025-07-02T09:30:00+08:00')).toBe(Date.parse('2025-07-02T01:30:00Z'));
    expect(parseDate('2025-07-02 09:30', 'Asia/Shanghai')).toBe(Date.parse('2025-07-02T01:30:00Z'));
    expect(parseDate('2023年07月20日14:30', 'Asia/Shanghai')).toBe(Date.parse('2023-07-20T06:30:00Z'));
    expect(parseDate('2025-07-02T09:30:00.123Z')).toBe(Date.parse('2025-07-02T09:30:00Z'));
    expect(parseDate('Thu, 20 Jul 2023 08:00:00 GMT')).toBe(Date.parse('2023-07-20T08:00:00Z'));
    expect(parseDate(1_690_000_000)).toBe(1_690_000_000_000);
    expect(parseDate('1690000000000')).toBe(1_690_000_000_000);
  });

  it('refuses what is not a sane date instead of storing it (or storing another)', () => {
    for (const v of [1e20, 8.64e15, -8.64e15, '-0001-01-01', '+275760-09-13', '1', 'tomorrow', '2023-02-30', '2023-13-01', '1800-01-01', Number.NaN, {}]) {
      expect(parseDate(v), JSON.stringify(v)).toBe('invalid');
    }
    expect(parseDate(null)).toBeNull();
    expect(parseDate('')).toBeNull();
  });
});
