/**
 * Dates from inputs: ISO 8601 (with or without zone), "YYYY-MM-DD HH:mm[:ss]", a bare day
 * ("2023-07-20", "2023年7月20日"), RFC 2822 and other written-out dates (feeds), epoch
 * seconds or milliseconds. A time or a day without a zone is read in LODESTONE_TZ (default
 * Asia/Shanghai: most undated-zone inputs here are Chinese outlets); a day means the start
 * of that day there.
 *
 * Returns null for absent values and 'invalid' for values that are present but unreadable
 * or outside the sane range below (the caller keeps the document undated and warns): a
 * date of 1e20 ms, or year 275760, would otherwise be stored and break every reader.
 */
import { defaultTimeZone, MAX_SANE_TIME, MIN_SANE_TIME, zoneOffsetMinutes } from '../core/time.js';

const DAY_OR_TIME =
  /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:(?:[T\s]+|(?<=日))(\d{1,2})[:：](\d{2})(?:[:：](\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;
/** Written-out dates Date.parse reads well: a month or weekday name and a four-digit year. */
const WRITTEN =
  /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)[a-z]*\b/i;

function sane(t: number): number | 'invalid' {
  return Number.isFinite(t) && t >= MIN_SANE_TIME && t < MAX_SANE_TIME ? t : 'invalid';
}

/** Wall-clock fields in `tz` -> instant (two passes, so a DST change near the time is right). */
function zonedToInstant(y: number, mo: number, d: number, h: number, mi: number, s: number, tz: string): number {
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  const first = asUtc - zoneOffsetMinutes(tz, asUtc) * 60_000;
  return asUtc - zoneOffsetMinutes(tz, first) * 60_000;
}

export function parseDate(value: unknown, tz: string = defaultTimeZone()): number | null | 'invalid' {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'invalid';
    // Epoch seconds below 1e11 (until the year 5138), milliseconds above.
    return sane(Math.abs(value) < 1e11 ? value * 1000 : value);
  }
  if (typeof value !== 'string') return 'invalid';
  const s = value.trim();
  if (s === '') return null;
  if (/^\d{9,13}$/.test(s)) return parseDate(Number(s), tz);
  const m = DAY_OR_TIME.exec(s);
  if (m) {
    const [, y, mo, d, h, mi, se, zone] = m;
    const month = Number(mo);
    const day = Number(d);
    const hour = Number(h ?? '0');
    const minute = Number(mi ?? '0');
    const second = Number(se ?? '0');
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return 'invalid';
    // A day that does not exist (2023-02-30) is refused, not rolled over into March.
    if (new Date(Date.UTC(Number(y), month - 1, day)).getUTCDate() !== day) return 'invalid';
    if (zone === undefined) return sane(zonedToInstant(Number(y), month, day, hour, minute, second, tz));
    const sign = zone === 'Z' ? 0 : zone[0] === '-' ? -1 : 1;
    const digits = zone === 'Z' ? '0000' : zone.slice(1).replace(':', '');
    const offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
    return sane(Date.UTC(Number(y), month - 1, day, hour, minute, second) - offset * 60_000);
  }
  // Anything else must be a written-out date with a four-digit year ("Thu, 20 Jul 2023
  // 08:00:00 GMT", "July 20, 2023"). V8's Date.parse reads far more than that — "1" is
  // 2001 and "-0001-01-01" is 2001 — which would store wrong dates without a word.
  if (!WRITTEN.test(s) || !/\b\d{4}\b/.test(s) || /^[+-]/.test(s)) return 'invalid';
  const t = Date.parse(s);
  return Number.isNaN(t) ? 'invalid' : sane(t);
}
