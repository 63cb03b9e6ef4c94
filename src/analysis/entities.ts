/**
 * Ticker tagging. Recognised shapes: 600111.SH, 300748.SZ, 830799.BJ, 0700.HK, USAR.US
 * (also .O/.N as used by some Chinese outlets). Normalised to upper case with the
 * exchange suffix; metadata tickers (e.g. the flash corpus's `stocks`) are merged in.
 */
const TICKER_RE = /(?<![A-Za-z0-9])(\d{6}\.(?:SH|SZ|BJ)|\d{4,5}\.HK|[A-Z]{1,5}\.(?:US|O|N))(?![A-Za-z0-9])/gi;

export function findTickers(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(TICKER_RE)) found.add(m[1]!.toUpperCase());
  return [...found];
}

/** Normalise a ticker given by a user or a metadata field (e.g. `sh600111`, `600111`). */
export function normalizeTicker(raw: string): string {
  const s = raw.trim().toUpperCase();
  const pre = /^(SH|SZ|BJ)(\d{6})$/.exec(s);
  if (pre) return `${pre[2]}.${pre[1]}`;
  if (/^\d{6}$/.test(s)) {
    // Exchange by code range: 6xxxxx Shanghai, 0/3xxxxx Shenzhen, 4/8xxxxx Beijing.
    const ex = s.startsWith('6') ? 'SH' : s.startsWith('0') || s.startsWith('3') ? 'SZ' : 'BJ';
    return `${s}.${ex}`;
  }
  return s;
}

/**
 * A document's labels for exact-match query fields: the publisher's subject tags
 * (`metadata.tags`, e.g. 人工智能 → `tag:人工智能`) and importance level (`metadata.level`,
 * e.g. 财联社's A/B/C → `level:A`). Same rules as migration 19, which fills them for
 * documents stored before.
 */
export function labelsOf(metadata: Record<string, unknown>): string[] {
  const out = new Set<string>();
  const tags = metadata.tags;
  if (Array.isArray(tags)) {
    for (const t of tags) if (typeof t === 'string' && t.trim() !== '' && t.length <= 100) out.add(`tag:${t.trim()}`);
  }
  const level = metadata.level;
  if (typeof level === 'string' && level.trim() !== '' && level.length <= 20) out.add(`level:${level.trim().toUpperCase()}`);
  return [...out];
}

/** The label a `tag:`/`level:` query value stands for. */
export function labelFor(field: 'tag' | 'level', value: string): string {
  return field === 'tag' ? `tag:${value.trim()}` : `level:${value.trim().toUpperCase()}`;
}
