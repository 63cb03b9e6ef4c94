/**
 * Figures in Chinese and English text, normalized so that the same quantity written two
 * ways compares equal: "$1.4 billion" = "14亿美元", "3,834 tons" = "3834吨" = "0.3834万吨",
 * "75%" = "百分之七十五", "Q1 2026" = "2026年第一季度", "March 2026" = "2026年3月".
 *
 * A figure keeps the precision it was written with: "1.4 billion" matches 1.42 billion
 * (rounded as written) but not 1.5 billion. Patterns run from the most specific (money,
 * periods) to bare numbers, and a character already claimed by one figure is not read again.
 */

export type FigureKind = 'money' | 'percent' | 'points' | 'quantity' | 'period' | 'number';

export interface Figure {
  kind: FigureKind;
  /** Numeric value in base units (yuan/dollars, tons, percent, ...); NaN for periods. */
  value: number;
  /** Half the last written digit, in base units: the rounding a match may differ by. */
  tolerance: number;
  /** Currency (USD, CNY, HKD, EUR, JPY) or unit family (t, kg, GW, MW, GWh, …); '' when unknown. */
  unit: string;
  /** Canonical period ('2026', '2026Q1', '2026H1', '2026-03', '2026-03-05') for kind 'period'. */
  period?: string;
  /** The text as written. */
  text: string;
  start: number;
  end: number;
}

const CN_DIGIT: Record<string, number> = {
  零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9,
};
const CN_SMALL_UNIT: Record<string, number> = { 十: 10, 百: 100, 千: 1000 };
const CN_BIG_UNIT: Record<string, number> = { 万: 1e4, 亿: 1e8 };

/** Parse a Chinese numeral (七十五, 一百二十三, 三千五百万, 两亿, 十二点五); NaN when it is not one. */
export function parseChineseNumeral(s: string): number {
  if (s === '') return Number.NaN;
  const [intPart, fracPart] = s.split('点');
  let total = 0;
  let section = 0;
  let digit = -1;
  for (const ch of intPart!) {
    if (ch in CN_DIGIT) digit = CN_DIGIT[ch]!;
    else if (ch in CN_SMALL_UNIT) {
      section += (digit < 0 ? 1 : digit) * CN_SMALL_UNIT[ch]!;
      digit = -1;
    } else if (ch in CN_BIG_UNIT) {
      total = (total + section + Math.max(digit, 0)) * CN_BIG_UNIT[ch]!;
      section = 0;
      digit = -1;
    } else return Number.NaN;
  }
  let value = total + section + Math.max(digit, 0);
  if (fracPart !== undefined) {
    let scale = 0.1;
    for (const ch of fracPart) {
      if (!(ch in CN_DIGIT)) return Number.NaN;
      value += CN_DIGIT[ch]! * scale;
      scale /= 10;
    }
  }
  return value;
}

/** A written number (digits with , and ., or a Chinese numeral) -> value and its last digit's size. */
function readNumber(raw: string): { value: number; step: number } {
  const s = raw.replace(/[,，]/g, '');
  if (/^\d+(\.\d+)?$/.test(s)) {
    const dot = s.indexOf('.');
    return { value: Number(s), step: dot < 0 ? 1 : 10 ** -(s.length - dot - 1) };
  }
  const v = parseChineseNumeral(s);
  return { value: v, step: 1 };
}

const MULTIPLIER: Record<string, number> = {
  '': 1,
  thousand: 1e3,
  k: 1e3,
  million: 1e6,
  mn: 1e6,
  m: 1e6,
  billion: 1e9,
  bn: 1e9,
  b: 1e9,
  trillion: 1e12,
  tn: 1e12,
  千: 1e3,
  万: 1e4,
  十万: 1e5,
  百万: 1e6,
  千万: 1e7,
  亿: 1e8,
  十亿: 1e9,
  百亿: 1e10,
  千亿: 1e11,
  万亿: 1e12,
};

const CURRENCY: Record<string, string> = {
  $: 'USD',
  us$: 'USD',
  usd: 'USD',
  dollar: 'USD',
  dollars: 'USD',
  美元: 'USD',
  美金: 'USD',
  '¥': 'CNY',
  rmb: 'CNY',
  cny: 'CNY',
  yuan: 'CNY',
  元: 'CNY',
  人民币: 'CNY',
  元人民币: 'CNY',
  'hk$': 'HKD',
  hkd: 'HKD',
  港元: 'HKD',
  港币: 'HKD',
  '€': 'EUR',
  eur: 'EUR',
  euro: 'EUR',
  euros: 'EUR',
  欧元: 'EUR',
  jpy: 'JPY',
  日元: 'JPY',
};

const UNIT: Record<string, { unit: string; factor: number }> = {
  t: { unit: 't', factor: 1 },
  ton: { unit: 't', factor: 1 },
  tons: { unit: 't', factor: 1 },
  tonne: { unit: 't', factor: 1 },
  tonnes: { unit: 't', factor: 1 },
  mt: { unit: 't', factor: 1e6 },
  吨: { unit: 't', factor: 1 },
  kg: { unit: 'kg', factor: 1 },
  公斤: { unit: 'kg', factor: 1 },
  千克: { unit: 'kg', factor: 1 },
  gw: { unit: 'W', factor: 1e9 },
  吉瓦: { unit: 'W', factor: 1e9 },
  mw: { unit: 'W', factor: 1e6 },
  兆瓦: { unit: 'W', factor: 1e6 },
  gwh: { unit: 'Wh', factor: 1e9 },
  mwh: { unit: 'Wh', factor: 1e6 },
  units: { unit: 'unit', factor: 1 },
  vehicles: { unit: 'unit', factor: 1 },
  辆: { unit: 'unit', factor: 1 },
  台: { unit: 'unit', factor: 1 },
};

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const ORDINAL_Q: Record<string, number> = { first: 1, second: 2, third: 3, fourth: 4, 一: 1, 二: 2, 三: 3, 四: 4, '1': 1, '2': 2, '3': 3, '4': 4 };

const NUM = String.raw`\d[\d,]*(?:\.\d+)?`;
const CN_NUM = '[零〇一二两三四五六七八九十百千万亿点]+';
const ANY_NUM = `(?:${NUM}|${CN_NUM})`;
const EN_MULT = String.raw`(?:thousand|million|billion|trillion|mn|bn|tn|k|m|b)\b`;
const CN_MULT = '(?:万亿|千亿|百亿|十亿|千万|百万|十万|亿|万|千)';
const pad2 = (n: number) => String(n).padStart(2, '0');

interface Rule {
  re: RegExp;
  make(m: RegExpExecArray): Omit<Figure, 'text' | 'start' | 'end'> | null;
}

function amount(num: string, mult: string | undefined): { value: number; tolerance: number } | null {
  const { value, step } = readNumber(num);
  if (!Number.isFinite(value)) return null;
  const f = MULTIPLIER[(mult ?? '').toLowerCase()] ?? 1;
  return { value: value * f, tolerance: (step * f) / 2 };
}

const RULES: Rule[] = [
  // Periods first: 2026年第一季度, Q1 2026, 2026Q1, first quarter of 2026, 2026年上半年, H1 2026.
  {
    re: /(\d{4})\s*年\s*(?:第\s*)?([一二三四1-4])\s*季度/g,
    make: (m) => period(`${m[1]}Q${ORDINAL_Q[m[2]!]}`),
  },
  { re: /\bQ([1-4])\s*(?:of\s*)?'?(\d{4})\b/gi, make: (m) => period(`${m[2]}Q${m[1]}`) },
  { re: /\b(\d{4})\s*Q([1-4])\b/gi, make: (m) => period(`${m[1]}Q${m[2]}`) },
  {
    re: /\b(first|second|third|fourth)[\s-]+quarter\s+(?:of\s+)?(\d{4})\b/gi,
    make: (m) => period(`${m[2]}Q${ORDINAL_Q[m[1]!.toLowerCase()]}`),
  },
  { re: /(\d{4})\s*年\s*(上|下)半年/g, make: (m) => period(`${m[1]}H${m[2] === '上' ? 1 : 2}`) },
  { re: /\bH([12])\s*(\d{4})\b/gi, make: (m) => period(`${m[2]}H${m[1]}`) },
  {
    re: /\b(first|second)\s+half\s+(?:of\s+)?(\d{4})\b/gi,
    make: (m) => period(`${m[2]}H${m[1]!.toLowerCase() === 'first' ? 1 : 2}`),
  },
  {
    re: /(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日/g,
    make: (m) => period(`${m[1]}-${pad2(Number(m[2]))}-${pad2(Number(m[3]))}`),
  },
  { re: /\b(\d{4})-(\d{2})-(\d{2})\b/g, make: (m) => period(`${m[1]}-${m[2]}-${m[3]}`) },
  {
    re: new RegExp(String.raw`\b(${MONTHS.join('|')})\s+(\d{1,2}),?\s+(\d{4})\b`, 'gi'),
    make: (m) => period(`${m[3]}-${pad2(MONTHS.indexOf(m[1]!.toLowerCase()) + 1)}-${pad2(Number(m[2]))}`),
  },
  { re: /(\d{4})\s*年\s*(\d{1,2})\s*月/g, make: (m) => period(`${m[1]}-${pad2(Number(m[2]))}`) },
  {
    re: new RegExp(String.raw`\b(${MONTHS.join('|')})\s+(?:of\s+)?(\d{4})\b`, 'gi'),
    make: (m) => period(`${m[2]}-${pad2(MONTHS.indexOf(m[1]!.toLowerCase()) + 1)}`),
  },
  { re: /(\d{4})\s*年(?!\s*\d)/g, make: (m) => period(m[1]!) },
  // Percentage points before percent: 2个百分点, 2 percentage points, 50 bps.
  {
    re: new RegExp(`(${ANY_NUM})\\s*个百分点`, 'g'),
    make: (m) => withAmount('points', '', amount(m[1]!, '')),
  },
  {
    re: new RegExp(String.raw`(${NUM})\s*(?:percentage\s+points?|ppts?|pp)\b`, 'gi'),
    make: (m) => withAmount('points', '', amount(m[1]!, '')),
  },
  // Percent: 75%, 75 percent, 百分之七十五, 百分之12.5.
  {
    re: new RegExp(String.raw`(${NUM})\s*(?:%|％|percent\b|per\s+cent\b|pct\b)`, 'gi'),
    make: (m) => withAmount('percent', '', amount(m[1]!, '')),
  },
  {
    re: new RegExp(`百分之(${NUM}|${CN_NUM})`, 'g'),
    make: (m) => withAmount('percent', '', amount(m[1]!, '')),
  },
  // Money, currency first: $1.4 billion, US$ 3m, HK$12, ¥300亿, RMB 5 billion, €2bn.
  {
    re: new RegExp(String.raw`(US\$|HK\$|\$|¥|€|RMB|CNY|USD|HKD|EUR|JPY)\s?(${NUM})\s*(${EN_MULT}|${CN_MULT})?`, 'gi'),
    make: (m) => withAmount('money', CURRENCY[m[1]!.toLowerCase()] ?? '', amount(m[2]!, m[3])),
  },
  // Money, currency after: 14亿美元, 3.5万元, 5 billion yuan, 200 million dollars.
  {
    re: new RegExp(`(${ANY_NUM})\\s*(${CN_MULT})?\\s*(美元|美金|元人民币|人民币|港元|港币|欧元|日元|元)`, 'g'),
    make: (m) => withAmount('money', CURRENCY[m[3]!] ?? '', amount(m[1]!, m[2])),
  },
  {
    re: new RegExp(String.raw`(${NUM})\s*(${EN_MULT})?\s*(dollars?|yuan|euros?|USD|RMB|CNY|HKD|EUR|JPY)\b`, 'gi'),
    make: (m) => withAmount('money', CURRENCY[m[3]!.toLowerCase()] ?? '', amount(m[1]!, m[2])),
  },
  // Quantities with units: 3834吨, 1.2万吨, 3,834 tons, 5 GW, 200 million tonnes.
  {
    re: new RegExp(`(${ANY_NUM})\\s*(${CN_MULT})?\\s*(吨|公斤|千克|吉瓦|兆瓦|辆|台)`, 'g'),
    make: (m) => quantity(m[3]!, amount(m[1]!, m[2])),
  },
  {
    re: new RegExp(String.raw`(${NUM})\s*(${EN_MULT})?\s*(tonnes?|tons?|mt|kg|GWh|MWh|GW|MW|units|vehicles|t)\b`, 'gi'),
    make: (m) => quantity(m[3]!.toLowerCase(), amount(m[1]!, m[2])),
  },
  // Bare numbers, with a multiplier if one follows: 12, 3,834, 1.5 million, 3.5万, 七十五.
  {
    re: new RegExp(String.raw`(${NUM})\s*(${EN_MULT}|${CN_MULT})?`, 'gi'),
    make: (m) => withAmount('number', '', amount(m[1]!, m[2])),
  },
  {
    re: /[零〇一二两三四五六七八九十][零〇一二两三四五六七八九十百千万亿点]+/g,
    make: (m) => {
      // Chinese numerals only when they read as a number with a unit character (三千, 七十五),
      // not words that happen to contain 一 or 万 (一些, 万一).
      if (!/[十百千万亿]/.test(m[0])) return null;
      return withAmount('number', '', amount(m[0], ''));
    },
  },
];

function period(p: string): Omit<Figure, 'text' | 'start' | 'end'> {
  return { kind: 'period', value: Number.NaN, tolerance: 0, unit: '', period: p };
}

function withAmount(kind: FigureKind, unit: string, a: { value: number; tolerance: number } | null) {
  return a === null ? null : { kind, unit, value: a.value, tolerance: a.tolerance };
}

function quantity(u: string, a: { value: number; tolerance: number } | null) {
  const info = UNIT[u];
  if (!info || a === null) return null;
  return { kind: 'quantity' as const, unit: info.unit, value: a.value * info.factor, tolerance: a.tolerance * info.factor };
}

/** Every figure in a text, in order. Citation markers like [3] must be removed first. */
export function extractFigures(text: string): Figure[] {
  const s = text.normalize('NFKC');
  const taken = new Uint8Array(s.length);
  const out: Figure[] = [];
  for (const rule of RULES) {
    rule.re.lastIndex = 0;
    for (let m = rule.re.exec(s); m !== null; m = rule.re.exec(s)) {
      const start = m.index;
      const end = start + m[0].length;
      if (m[0].length === 0) {
        rule.re.lastIndex++;
        continue;
      }
      let free = true;
      for (let i = start; i < end; i++) {
        if (taken[i]) {
          free = false;
          break;
        }
      }
      if (!free) continue;
      // A number glued to letters is part of a name or code (A50, 5G, H20), not a figure.
      if (/^\d/.test(m[0]) && (/[A-Za-z]/.test(s[start - 1] ?? '') || /[A-Za-z]/.test(s[end] ?? ''))) continue;
      const f = rule.make(m);
      if (f === null) continue;
      taken.fill(1, start, end);
      out.push({ ...f, text: m[0].trim(), start, end });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

/**
 * Does figure `b` (from a cited paragraph) state figure `a` (from the summary)? Same kind
 * (a bare number matches a number of any kind), same currency or unit when both say one,
 * and equal values after rounding `b` to the precision `a` was written with.
 */
export function sameFigure(a: Figure, b: Figure): boolean {
  if (a.kind === 'period' || b.kind === 'period') {
    if (a.kind === 'period' && b.kind === 'period') return a.period === b.period;
    // A bare year in the summary ("2026") matches a period of that year in the source.
    const year = a.kind === 'number' ? a.value : b.kind === 'number' ? b.value : Number.NaN;
    const p = a.kind === 'period' ? a.period! : b.period!;
    return Number.isInteger(year) && p === String(year);
  }
  if (a.kind !== 'number' && b.kind !== 'number' && a.kind !== b.kind) return false;
  if (a.unit !== '' && b.unit !== '' && a.unit !== b.unit) return false;
  const tol = Math.max(a.tolerance, 1e-9 * Math.abs(a.value));
  return Math.abs(a.value - b.value) <= tol + 1e-9 * Math.abs(b.value);
}
