/**
 * Plain text -> paragraphs. Blank lines separate paragraphs when the text has them;
 * otherwise each non-empty line is a paragraph (Chinese exports usually put one paragraph
 * per line). Lines inside a blank-line paragraph are joined: without a space between CJK
 * characters, with one between Latin words. Deterministic, so re-ingesting the same
 * content yields the same paragraph numbers.
 */
import type { Paragraph } from '../core/types.js';

const CJK_END = /[\p{Script=Han}\u3000-\u303f\uff00-\uffef]$/u;
const CJK_START = /^[\p{Script=Han}\u3000-\u303f\uff00-\uffef]/u;

export function joinLines(lines: string[]): string {
  let out = '';
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    if (out === '') out = line;
    else out += CJK_END.test(out) || CJK_START.test(line) ? line : ` ${line}`;
  }
  return out;
}

export function splitParagraphs(text: string, page?: number): Paragraph[] {
  const norm = text.replace(/\r\n?/g, '\n').replace(/\u2028|\u2029/g, '\n');
  const blocks = norm.split(/\n[ \t\u3000]*\n+/);
  const pieces =
    blocks.filter((b) => b.trim() !== '').length >= 2
      ? blocks.map((b) => joinLines(b.split('\n')))
      : norm.split('\n').map((l) => l.trim());
  const out: Paragraph[] = [];
  for (const p of pieces) {
    const t = p.replace(/[ \t]+/g, ' ').trim();
    if (t === '') continue;
    out.push(page === undefined ? { n: out.length + 1, text: t } : { n: out.length + 1, text: t, page });
  }
  return out;
}

/** Renumber paragraphs 1..n after concatenating several lists (pages). */
export function renumber(ps: Paragraph[]): Paragraph[] {
  return ps.map((p, i) => ({ ...p, n: i + 1 }));
}
