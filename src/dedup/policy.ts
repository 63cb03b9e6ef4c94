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
 *   its numbers, which is exactly the information the analyst needs.
 */
import { foldText } from '../analysis/normalize.js';

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

/**
 * Figures of a text, normalized (thousands separators dropped). Calendar-like figures
 * of the dateline (月/日 around 财联社8月1日电) are included on purpose: a template item
 * republished on another day differs there too.
 */
export function figures(text: string, alreadyFolded = false): Set<string> {
  const out = new Set<string>();
  for (const m of (alreadyFolded ? text : foldText(text)).matchAll(FIGURE_RE)) out.add(m[0].replace(/,(?=\d{3}\b)/g, ''));
  return out;
}

export function figuresAgree(a: Set<string>, b: Set<string>): boolean {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  if (small.size === 0) return true;
  let inter = 0;
  for (const x of small) if (large.has(x)) inter++;
  return inter / small.size >= FIGURES_THRESHOLD;
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
