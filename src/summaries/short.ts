/**
 * Which documents need a summary. A one-paragraph flash of 200 characters summarized as
 * "Core Viewpoint" plus two groups repeats its own sentences three times, each citing [1]:
 * such an item is shown whole instead (the digest's item text, the document page), and no
 * model is paid for it.
 *
 * Where the lines are, measured 2026-12-03: cn_finance_flash_news (102,729 items) is one
 * paragraph per item, 130 characters at the median, 265 at p90, 490 at p99 — so 600 keeps
 * every flash but the rarest whole; crud_rag_news_2023 (65,378 articles, several paragraphs)
 * has 452 characters at p5 and 646 at the median: an article of several paragraphs is
 * summarized unless it is under 300 characters (under 1% of that corpus).
 */
import type { Paragraph } from '../core/types.js';

/** A single paragraph shorter than this is read whole. */
export const SHORT_SINGLE_PARAGRAPH_CHARS = 600;
/** Any document shorter than this is read whole. */
export const SHORT_TEXT_CHARS = 300;

export function needsSummary(paragraphs: readonly Paragraph[]): boolean {
  let chars = 0;
  for (const p of paragraphs) chars += p.text.length;
  if (chars < SHORT_TEXT_CHARS) return false;
  return !(paragraphs.length === 1 && chars < SHORT_SINGLE_PARAGRAPH_CHARS);
}
