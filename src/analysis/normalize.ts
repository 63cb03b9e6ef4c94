/**
 * Lossy normalization for index terms only (never for stored or displayed text):
 * NFKC (full-width -> half-width, compatibility forms), lower case, and
 * traditional -> simplified Chinese, applied per code point so that every folded
 * character still points at exactly one span of the original text.
 */
import { unifyRadicals } from '../extract/radicals.js';
import * as OpenCC from 'opencc-js';

export const CharClass = { Sep: 0, Word: 1, Cjk: 2 } as const;
export type CharClass = (typeof CharClass)[keyof typeof CharClass];

interface Folded {
  /** Folded form of one original code point (may be empty or several characters). */
  s: string;
  c: CharClass;
}

const CJK_RE = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const WORD_RE = /^[\p{L}\p{N}\p{M}]/u;

// Char-by-char t->s: phrase-level conversion could change lengths, which would break offsets.
const t2s = OpenCC.Converter({ from: 't', to: 'cn' });
// Folded code points, filled as met: an array for the BMP (every CJK character a document
// holds is looked up here, once per occurrence), a map above it.
const bmp: (Folded | undefined)[] = new Array(0x10000).fill(undefined);
const cache = new Map<number, Folded>();

function classify(s: string): CharClass {
  if (s.length === 0) return CharClass.Sep;
  if (CJK_RE.test(s)) return CharClass.Cjk;
  if (WORD_RE.test(s)) return CharClass.Word;
  return CharClass.Sep;
}

/** Fold one code point. ASCII takes a fast path; everything else is cached. */
export function foldCodePoint(cp: number): Folded {
  if (cp < 128) {
    if (cp >= 65 && cp <= 90) return ASCII[cp + 32]!;
    return ASCII[cp]!;
  }
  let f = cp < 0x10000 ? bmp[cp] : cache.get(cp);
  if (f === undefined) {
    const ch = String.fromCodePoint(cp);
    // Radical look-alikes NFKC does not map (the CJK Radicals Supplement: ⻓ for 长) first.
    let s = unifyRadicals(ch).normalize('NFKC').toLowerCase();
    if (CJK_RE.test(s)) s = t2s(s);
    // NFKC can expand one character into several (㍿ -> 株式会社); classify by the first.
    f = { s, c: classify(s) };
    if (cp < 0x10000) bmp[cp] = f;
    else cache.set(cp, f);
  }
  return f;
}

const ASCII: Folded[] = [];
for (let i = 0; i < 128; i++) {
  const ch = String.fromCharCode(i);
  const isWord = (i >= 48 && i <= 57) || (i >= 97 && i <= 122);
  ASCII.push({ s: ch, c: isWord ? CharClass.Word : CharClass.Sep });
}

/** Per BMP code unit: 0 = not known yet, 1 = folds to itself, 2 = folds to something else. */
const identity = new Uint8Array(65536);

function isIdentity(c: number): boolean {
  let k = identity[c]!;
  if (k === 0) {
    k = c >= 0xd800 && c <= 0xdfff ? 2 : foldCodePoint(c).s === String.fromCharCode(c) ? 1 : 2;
    identity[c] = k;
  }
  return k === 1;
}

/** Fold a whole string (used for oracles, dedup shingles and figures). */
export function foldText(text: string): string {
  const parts: string[] = [];
  let run = 0; // start of the current run of characters that fold to themselves
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isIdentity(c)) {
      i++;
      continue;
    }
    if (i > run) parts.push(text.slice(run, i));
    const cp = text.codePointAt(i)!;
    parts.push(foldCodePoint(cp).s);
    i += cp > 0xffff ? 2 : 1;
    run = i;
  }
  if (run === 0) return text; // nothing changed
  if (run < text.length) parts.push(text.slice(run));
  return parts.join('');
}

/** True when the BMP code unit folds to itself (fast check for hot loops). */
export function foldsToItself(c: number): boolean {
  return isIdentity(c);
}
