/**
 * Time zone handling for user-facing day boundaries and month facets. Dates typed by a
 * user (--from 2025-07-01) mean midnight in LODESTONE_TZ (default Asia/Shanghai, the zone
 * of most sources Lodestone reads).
 */
import { LodestoneError } from './errors.js';
import { config } from './config.js';

/**
 * Publication dates Lodestone accepts: from 1900-01-01 up to (not including) 2200-01-01.
 * Anything else in an input is a mistake (1e20 ms, a year of 275760) and is refused at
 * ingest; a value outside the range that is already stored reads as undated.
 */
export const MIN_SANE_TIME = Date.UTC(1900, 0, 1);
export const MAX_SANE_TIME = Date.UTC(2200, 0, 1);

/** A stored time as readers may use it: null when absent, not finite or outside the sane range. */
export function saneTime(t: number | null | undefined): number | null {
  return typeof t === 'number' && Number.isFinite(t) && t >= MIN_SANE_TIME && t < MAX_SANE_TIME ? t : null;
}

export function defaultTimeZone(): string {
  return config().tz;
}

/** Calendar fields of instant `t` in time zone `tz` (24-hour clock). */
export function zonedParts(tz: string, t: number): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const dtf = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const p: Record<string, number> = {};
  for (const part of dtf.formatToParts(new Date(t))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { year: p.year!, month: p.month!, day: p.day!, hour: p.hour!, minute: p.minute!, second: p.second! };
}

/** Offset of `tz` from UTC at instant `t`, in minutes (east positive). */
export function zoneOffsetMinutes(tz: string, t: number): number {
  const p = zonedParts(tz, t);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(t / 1000) * 1000) / 60000);
}

/** `2025-11-22 08:35`: an ISO instant as local date and time in `tz` ('' for none). */
export function localDateTime(iso: string | null, tz: string): string {
  const t = iso ? Date.parse(iso) : Number.NaN;
  if (!Number.isFinite(t)) return '';
  const p = zonedParts(tz, t);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}`;
}

/**
 * Parse a user date: YYYY-MM-DD (midnight in `tz`), or a full ISO 8601 timestamp.
 * `endOfDay` moves a bare date to the next midnight (for inclusive --to).
 */
export function parseUserDate(value: string, tz = defaultTimeZone(), endOfDay = false): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  if (m) {
    const utcMidnight = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (endOfDay ? 1 : 0));
    const off = zoneOffsetMinutes(tz, utcMidnight);
    return utcMidnight - off * 60000;
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) {
    throw new LodestoneError('bad_request', `Invalid date ${JSON.stringify(value)}: use YYYY-MM-DD or an ISO 8601 timestamp`);
  }
  return t;
}

/** ISO 8601 of a time, or null: never throws, whatever is stored (see `saneTime`). */
export function toIso(t: number | null): string | null {
  const v = saneTime(t);
  return v === null ? null : new Date(v).toISOString();
}
