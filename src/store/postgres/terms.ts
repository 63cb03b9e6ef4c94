/**
 * How the PostgreSQL backend holds the analyzer's terms (analysis/terms.ts) so that its
 * answers equal the SQLite engine's, whatever a document's length:
 *
 * - `terms`: a tsvector of every distinct term, without positions, under a GIN index. It
 *   finds the documents holding all of a leaf's terms (a superset for a phrase), exactly
 *   for a single term or a prefix. Positions are left out on purpose: a tsvector keeps at
 *   most 256 positions a term and none past 16,383, which would lose phrases in long
 *   reports. A tsvector holds at most 1 MB: a document with more distinct terms than
 *   MAX_TSVECTOR_BYTES keeps the first ones there and is flagged `overflow` (always a
 *   candidate, then verified like a phrase).
 * - `title_terms`, `body_terms`: the terms in order, each wrapped in its own pair of spaces
 *   (` a  b  c `). A phrase `a b` occurs exactly where ` a  b ` does, a prefix `a*` where
 *   ` a` does, so phrases are verified and term frequencies counted (lodestone_occ) by
 *   plain string search; a phrase whose occurrences can overlap (`哈哈 哈哈` in 哈哈哈哈) is
 *   counted at every start, as FTS5 counts it (`selfOverlapping`).
 */
import type { TextNode } from '../../search/query/ast.js';

/** Bytes of distinct terms kept in one tsvector (the type's limit is 1 MB with overhead). */
export const MAX_TSVECTOR_BYTES = 700_000;

/** The analyzer's terms of a field: separated by spaces, paragraphs by ` \n ` (FTS5 reads both as separators). */
function split(terms: string): string[] {
  return terms.split(/\s+/).filter((t) => t !== '');
}

/** `a b \n c` (the analyzer's terms) -> ` a  b  c `: a phrase may run across paragraphs, as in FTS5. */
export function wrapTerms(terms: string): string {
  const list = split(terms);
  return list.length === 0 ? '' : ` ${list.join('  ')} `;
}

/** The distinct terms of a document for its tsvector, and whether some did not fit. */
export function distinctTerms(titleTerms: string, bodyTerms: string): { terms: string[]; overflow: boolean } {
  const seen = new Set<string>();
  for (const s of [titleTerms, bodyTerms]) for (const t of split(s)) seen.add(t);
  const terms: string[] = [];
  let bytes = 0;
  for (const t of seen) {
    // Each lexeme costs its bytes plus a 4-byte entry (and alignment).
    bytes += Buffer.byteLength(t) + 6;
    if (bytes > MAX_TSVECTOR_BYTES) return { terms, overflow: true };
    terms.push(t);
  }
  return { terms, overflow: false };
}

/**
 * Whether occurrences of the phrase can overlap (some leading terms equal the trailing
 * ones: `哈哈 哈哈`, `a b a`): then they are counted at every start, as FTS5 counts them,
 * by a regular expression (`occurrenceCount`); otherwise by the cheaper string replace.
 */
export function selfOverlapping(leaf: TextNode): boolean {
  const t = leaf.terms;
  for (let k = 1; k < t.length; k++) {
    let same = true;
    for (let i = 0; i < k && same; i++) same = t[i] === t[t.length - k + i] || (leaf.prefix && t.length - k + i === t.length - 1 && t[i]!.startsWith(t[t.length - 1]!));
    if (same) return true;
  }
  return false;
}

/** The lookahead pattern that counts a needle at every start (regexp_count). */
export function overlapPattern(leaf: TextNode): string {
  return `(?=${needle(leaf).replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')})`;
}

/** What a leaf is searched for in a wrapped term string. */
export function needle(leaf: TextNode): string {
  const body = ` ${leaf.terms.join('  ')}`;
  return leaf.prefix ? body : `${body} `;
}

/** The leaf as a tsquery: all its terms (a phrase's order is checked by `needle`), the last a prefix when it is one. */
export function tsquery(leaf: TextNode): string {
  return leaf.terms.map((t, i) => `'${t.replace(/'/g, "''")}'${leaf.prefix && i === leaf.terms.length - 1 ? ':*' : ''}`).join(' & ');
}

/** Whether the tsvector alone decides a match (one whole term or one prefix, in any field). */
export function exactInTsvector(leaf: TextNode): boolean {
  return leaf.terms.length === 1 && leaf.field !== 'title';
}
