/**
 * Dates from inputs: ISO 8601 (with or without zone), "YYYY-MM-DD HH:mm[:ss]", RFC 2822
 * (feeds), epoch seconds or milliseconds. A time without a zone is read as China time
 * (+08:00): most undated-zone inputs here are Chinese outlets. Returns null for absent
 * values and 'invalid' for values that are present but unreadable.
 */
export function parseDate(value: unknown): number | null | 'invalid' {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'invalid';
    return value < 1e11 ? value * 1000 : value;
  }
  if (typeof value !== 'string') return 'invalid';
  const s = value.trim();
  if (/^\d{9,13}$/.test(s)) return parseDate(Number(s));
  const m = /^(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})日?(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(s);
  if (m) {
    const [, y, mo, d, h = '0', mi = '0', se = '0', zone] = m;
    const z = zone === undefined ? '+08:00' : zone === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
    const iso = `${y}-${mo!.padStart(2, '0')}-${d!.padStart(2, '0')}T${h.padStart(2, '0')}:${mi}:${se.padStart(2, '0')}${z}`;
    const t = Date.parse(iso);
    return Number.isNaN(t) ? 'invalid' : t;
  }
  const t = Date.parse(s);
  return Number.isNaN(t) ? 'invalid' : t;
}
