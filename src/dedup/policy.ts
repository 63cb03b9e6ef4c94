/**
 * When are two documents the same story? The decision, in one place:
 * - exact: identical normalized body, published within WINDOW_MS of each other — or any time
 *   apart when the body is long (LONG_EXACT_SHINGLES): a verbatim repost of an article is a
 *   copy, but a short template line ("富时中国A50指数期货跌1%") repeated on another day is
 *   another event;
 * - near: the shorter text's 4-character shingles lie (estimated) at least NEAR_THRESHOLD
 *   inside the longer one's — containment, not Jaccard, because outlets often carry only the
 *   lead of a story another outlet prints in full (measured on the flash corpus: half of
 *   the same-title cross-outlet pairs have Jaccard below 0.8) — published within WINDOW_MS
 *   of each other, and carrying the same figures. The figures rule keeps recurring
 *   template items apart: a daily "国际原油期货结算价收跌" differs from yesterday's only in
 *   its numbers, which is exactly the information the analyst needs — and naming the same
 *   companies: "希音国际控股有限公司通过港交所上市聆讯" and the same line about another company
 *   are two events (names are kept with the figures, prefixed `@`, see `figures`);
 * - one story, one headline per publisher: a publisher never copies itself under another
 *   headline, so a cluster never holds two different headlines (compared without punctuation)
 *   from the same source — a live-updates day of "小范围会谈" / "大范围会谈" flashes stays apart;
 * - no chaining: a document joins one cluster, the one whose members it matches best, and
 *   only when it also matches that cluster's canonical (earliest) member; two clusters are
 *   never merged through a document that resembles both (a roundup that quotes several
 *   flashes would otherwise glue distinct events together).
 */
import { foldText } from '../analysis/normalize.js';
import { containment, normalizeForFingerprint, similarity } from './minhash.js';

export const NEAR_THRESHOLD = 0.8;
/** Below this estimated Jaccard the containment estimate is too noisy to trust. */
export const MIN_JACCARD = 0.15;
/**
 * Syndication happens within hours; 36 h tolerates overnight reposts and time-zone slips.
 * A cluster never spans more than this from its canonical (earliest) member, so daily
 * template items cannot chain into one cluster day after day.
 */
export const WINDOW_MS = 36 * 3600 * 1000;
/** Exact copies at least this long (in shingles, ~characters) cluster whatever their dates. */
export const LONG_EXACT_SHINGLES = 200;

export function withinWindow(a: number | null, b: number | null): boolean {
  return a === null || b === null || Math.abs(a - b) <= WINDOW_MS;
}
/**
 * Share of the smaller figure set that must appear in the other (containment, not Jaccard:
 * one outlet's dateline "8月1日电" adds figures that another outlet's copy lacks).
 */
export const FIGURES_THRESHOLD = 0.8;

const FIGURE_RE = /\d+(?:[.,]\d+)*/g;

/** A company's registered name: the run of characters before 股份有限公司 / 有限公司 (folded text). */
const COMPANY_RE = /([\p{Script=Han}A-Za-z()]{2,24}?)(?:股份有限公司|有限责任公司|有限公司)/gu;
const NAME_START = /^(?:据|由|向|对|与|和|及|在|为|称|显示|公告|宣布|表示)+/u;

/**
 * Figures of a text, normalized (thousands separators dropped), plus the registered
 * company names it mentions, prefixed `@` (`@希音国际控股`). Calendar-like figures of the
 * dateline (月/日 around 财联社8月1日电) are included on purpose: a template item
 * republished on another day differs there too.
 */
export function figures(text: string, alreadyFolded = false): Set<string> {
  const out = new Set<string>();
  const folded = alreadyFolded ? text : foldText(text);
  for (const m of folded.matchAll(FIGURE_RE)) out.add(m[0].replace(/,(?=\d{3}\b)/g, ''));
  for (const m of folded.matchAll(COMPANY_RE)) {
    const name = m[1]!.replace(NAME_START, '');
    if ([...name].length >= 2) out.add(`@${name}`);
  }
  return out;
}

/**
 * Numbers agree (the smaller set mostly inside the other) and, when both texts name
 * companies, they name at least one in common.
 */
export function figuresAgree(a: Set<string>, b: Set<string>): boolean {
  let na = 0;
  let nb = 0;
  let sharedName = false;
  for (const x of a) if (x.startsWith('@')) na++;
  for (const x of b) {
    if (!x.startsWith('@')) continue;
    nb++;
    if (a.has(x)) sharedName = true;
  }
  if (na > 0 && nb > 0 && !sharedName) return false;
  const [small, large] = a.size - na <= b.size - nb ? [a, b] : [b, a];
  let size = 0;
  let inter = 0;
  for (const x of small) {
    if (x.startsWith('@')) continue;
    size++;
    if (large.has(x)) inter++;
  }
  return size === 0 || inter / size >= FIGURES_THRESHOLD;
}

/** A headline compared without case, punctuation and spacing ("A：B" and "A B" are one headline). */
export function headlineKey(title: string): string {
  return normalizeForFingerprint(title);
}

/** Does one of `members` carry `doc`'s headline (compared as `headlineKey`)? */
export function sameHeadline(doc: { title: string }, members: readonly { title: string }[]): boolean {
  const h = headlineKey(doc.title);
  return h !== '' && members.some((m) => headlineKey(m.title) === h);
}

/**
 * Words whose swap turns one event into another: a rise and a fall of the same index, the
 * small-group talks and the large-group talks. Two headlines that differ by such a pair
 * (one has the first and not the second, the other the reverse) are two events however
 * alike the rest of the text is.
 */
const OPPOSITES: [string, string][] = [
  ['涨', '跌'],
  ['升', '降'],
  ['增', '减'],
  ['大范围', '小范围'],
  ['上调', '下调'],
  ['高开', '低开'],
  ['买入', '卖出'],
  ['流入', '流出'],
  ['扩大', '收窄'],
  ['盈', '亏'],
  ['开始', '结束'],
  ['开幕', '闭幕'],
];
/**
 * Words that mark a new stage of a story when one headline has them and the other not
 * ("会谈" / "会谈结束"). Only ends: measured on the flash corpus, a headline extended with
 * "暂停"/"推迟"/"取消" is usually the same flash with a detail added.
 */
const STAGES = ['结束', '闭幕'];

/** Do two headlines name different events (an opposite pair or a stage word apart)? */
export function headlinesOppose(a: string, b: string): boolean {
  const x = headlineKey(a);
  const y = headlineKey(b);
  if (x === '' || y === '' || x === y) return false;
  for (const [p, q] of OPPOSITES) {
    if ((x.includes(p) && !x.includes(q) && y.includes(q) && !y.includes(p)) || (x.includes(q) && !x.includes(p) && y.includes(p) && !y.includes(q))) return true;
  }
  return STAGES.some((w) => x.includes(w) !== y.includes(w));
}

/**
 * Would `doc` joining `members` put two events in one cluster: two different headlines
 * from one publisher, or headlines that oppose each other?
 */
export function clusterConflict(doc: { source: string; title: string }, members: readonly { source: string; title: string }[]): boolean {
  const h = headlineKey(doc.title);
  if (h === '') return false;
  return members.some((m) => {
    const k = headlineKey(m.title); // members are few: a cluster is one story's copies
    return k !== '' && k !== h && (m.source === doc.source || headlinesOppose(doc.title, m.title));
  });
}

export interface DedupCandidate {
  publishedAt: number | null;
  /** Estimated Jaccard of the two shingle sets. */
  similarity: number;
  /** Estimated containment of the smaller shingle set in the larger. */
  containment: number;
  figures: Set<string>;
}

export function isNearDuplicate(
  doc: { publishedAt: number | null; figures: Set<string> },
  other: DedupCandidate,
): boolean {
  if (other.similarity < MIN_JACCARD || other.containment < NEAR_THRESHOLD) return false;
  if (!withinWindow(doc.publishedAt, other.publishedAt)) return false;
  return figuresAgree(doc.figures, other.figures);
}

/** Are two stored documents near-duplicates of each other (both fingerprints at hand)? */
export function fingerprintsNear(
  a: { publishedAt: number | null; minhash: Uint32Array; shingles: number; figures: readonly string[] },
  b: { publishedAt: number | null; minhash: Uint32Array; shingles: number; figures: readonly string[] },
): boolean {
  const sim = similarity(a.minhash, b.minhash);
  return isNearDuplicate(
    { publishedAt: a.publishedAt, figures: new Set(a.figures) },
    { publishedAt: b.publishedAt, similarity: sim, containment: containment(sim, a.shingles, b.shingles), figures: new Set(b.figures) },
  );
}
