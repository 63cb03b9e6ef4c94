/**
 * Highlights and snippets from token offsets over the original text. A leaf matches where
 * its term sequence occurs in the text's token stream — the same rule the index uses — so
 * highlights agree with what matched, and cover the original characters exactly (no
 * re-searching with regexes, no spaces inserted between Chinese characters).
 */
import { CharClass, foldCodePoint, foldText } from '../analysis/normalize.js';
import { type Token, tokenize } from '../analysis/terms.js';
import type { TextNode } from './query/ast.js';

export type Range = [number, number];

function matchLeaf(tokens: Token[], leaf: TextNode, out: Range[]): void {
  const n = leaf.terms.length;
  if (n === 0) return;
  for (let i = 0; i + n <= tokens.length; i++) {
    let ok = true;
    for (let k = 0; k < n; k++) {
      const t = tokens[i + k]!;
      const want = leaf.terms[k]!;
      const last = k === n - 1;
      if (last && leaf.prefix ? !t.term.startsWith(want) : t.term !== want) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    const first = tokens[i]!;
    const lastTok = tokens[i + n - 1]!;
    let end = lastTok.end;
    if (leaf.prefix && lastTok.kind === 'bigram') {
      // Only the prefix character, not the bigram's second character.
      const cp = leaf.terms[n - 1]!;
      end = lastTok.start + (cp.codePointAt(0)! > 0xffff ? 2 : 1);
    }
    out.push([first.start, Math.max(end, first.start)]);
  }
}

/** Merged, sorted [start, end) ranges of `text` matched by the leaves. */
export function findMatches(text: string, leaves: TextNode[], inTitle: boolean): Range[] {
  const relevant = leaves.filter((l) => inTitle || l.field !== 'title');
  if (relevant.length === 0 || text === '') return [];
  const tokens = tokenize(text);
  const ranges: Range[] = [];
  for (const leaf of relevant) matchLeaf(tokens, leaf, ranges);
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Range[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

/** Number of times a leaf's term sequence occurs in a text (for explain). */
export function countOccurrences(text: string, leaf: TextNode): number {
  const out: Range[] = [];
  matchLeaf(tokenize(text), leaf, out);
  return out.length;
}

export interface Snippet {
  text: string;
  highlights: Range[];
  /** Paragraph the snippet comes from (1-based), 0 when the document has none. */
  paragraph: number;
}

/** Move an offset off the low half of a surrogate pair. */
function safe(text: string, i: number): number {
  if (i > 0 && i < text.length) {
    const c = text.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) return i - 1;
  }
  return i;
}

/**
 * The best window of about `maxLen` characters: from the paragraph with the most matches,
 * starting a little before its first match. Without matches, the opening of the document.
 */
export function makeSnippet(paragraphs: string[], leaves: TextNode[], maxLen = 160): Snippet {
  let best = -1;
  let bestRanges: Range[] = [];
  const needles = cjkNeedles(leaves);
  for (let i = 0; i < paragraphs.length; i++) {
    // A paragraph whose folded text holds no leaf's first term cannot match: skip the
    // tokenizer (the snippet's cost is mostly tokenizing paragraphs without a match).
    if (needles !== null && !containsAny(foldText(paragraphs[i]!), needles)) continue;
    const r = findMatches(paragraphs[i]!, leaves, false);
    if (r.length > bestRanges.length) {
      best = i;
      bestRanges = r;
    }
  }
  if (best < 0) {
    if (paragraphs.length === 0) return { text: '', highlights: [], paragraph: 0 };
    const p = paragraphs[0]!;
    const end = safe(p, Math.min(p.length, maxLen));
    return { text: p.slice(0, end) + (end < p.length ? '…' : ''), highlights: [], paragraph: 1 };
  }
  const p = paragraphs[best]!;
  const first = bestRanges[0]!;
  let start = 0;
  if (p.length > maxLen) start = safe(p, Math.max(0, Math.min(first[0] - Math.floor(maxLen / 5), p.length - maxLen)));
  const end = safe(p, Math.min(p.length, start + maxLen));
  const lead = start > 0 ? '…' : '';
  const text = lead + p.slice(start, end) + (end < p.length ? '…' : '');
  const highlights: Range[] = [];
  for (const [a, b] of bestRanges) {
    if (b <= start || a >= end) continue;
    highlights.push([Math.max(a, start) - start + lead.length, Math.min(b, end) - start + lead.length]);
  }
  return { text, highlights, paragraph: best + 1 };
}

/**
 * The first term of every body leaf when each is CJK (a bigram, or a character for a prefix
 * or run-final unigram): a match of the leaf puts that term, as adjacent characters, in the
 * paragraph's folded text. Null when some leaf starts with a word, whose stem need not be a
 * substring of the text (then every paragraph is tokenized).
 */
function cjkNeedles(leaves: TextNode[]): string[] | null {
  const out: string[] = [];
  for (const l of leaves) {
    if (l.field === 'title') continue;
    const t = l.terms[0];
    if (t === undefined) continue;
    for (const ch of t) if (foldCodePoint(ch.codePointAt(0)!).c !== CharClass.Cjk) return null;
    out.push(t);
  }
  return out.length > 0 ? out : null;
}

function containsAny(text: string, needles: string[]): boolean {
  for (const n of needles) if (text.includes(n)) return true;
  return false;
}
