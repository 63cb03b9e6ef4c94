/**
 * Index terms (analyzer `lodestone_v1`).
 *
 * Chinese, Japanese and Korean runs are indexed as overlapping character bigrams plus one
 * unigram for the last character of each run; Latin (and other alphabetic) words are
 * folded and Porter-stemmed. Why bigrams and not dictionary words: a query for any string
 * of two or more CJK characters becomes a phrase of bigrams that matches exactly the
 * documents containing that string, wherever it sits inside a longer word (农业 inside
 * 中国农业发展银行). Recall does not depend on the dictionary, so adding a word to the user
 * dictionary changes how queries are segmented and never requires a reindex. The run-final
 * unigram makes one-character queries complete: 锂 is the prefix query `锂*`, which matches
 * every bigram starting with 锂 and the unigram 锂 at the end of a run.
 *
 * The scanner is lossless: every token carries the [start, end) offsets of the original
 * characters it covers.
 */
import { stemmer } from 'stemmer';
import { CharClass, foldCodePoint } from './normalize.js';

export const ANALYZER_NAME = 'lodestone_v1';

export type TokenKind = 'word' | 'bigram' | 'unigram';

export interface Token {
  term: string;
  kind: TokenKind;
  start: number;
  end: number;
}

const ASCII_LETTERS = /^[a-z]+$/;
const stemCache = new Map<string, string>();

/** Porter stem for plain ASCII words of 3+ letters; other words are kept folded. */
export function wordTerm(folded: string): string {
  if (folded.length < 3 || !ASCII_LETTERS.test(folded)) return folded;
  let s = stemCache.get(folded);
  if (s === undefined) {
    s = stemmer(folded);
    if (stemCache.size > 200_000) stemCache.clear();
    stemCache.set(folded, s);
  }
  return s;
}

/**
 * Scan `text` and call `emit` for every index token in order. `cjkRunEnd` tells the
 * caller that the unigram it receives closes a CJK run.
 */
export function scanTokens(text: string, emit: (t: Token) => void): void {
  let word = '';
  let wordStart = -1;
  let wordEnd = -1;
  // The current CJK run: previous folded char and where it started.
  let prevCjk = '';
  let prevStart = -1;
  let prevEnd = -1;

  const flushWord = () => {
    if (word.length > 0) emit({ term: wordTerm(word), kind: 'word', start: wordStart, end: wordEnd });
    word = '';
  };
  const flushRun = () => {
    if (prevCjk !== '') emit({ term: prevCjk, kind: 'unigram', start: prevStart, end: prevEnd });
    prevCjk = '';
  };

  let i = 0;
  const n = text.length;
  while (i < n) {
    const cp = text.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    const f = foldCodePoint(cp);
    if (f.c === CharClass.Cjk) {
      flushWord();
      if (f.s.length === 1) {
        if (prevCjk !== '') emit({ term: prevCjk + f.s, kind: 'bigram', start: prevStart, end: i + width });
        prevCjk = f.s;
        prevStart = i;
        prevEnd = i + width;
        i += width;
        continue;
      }
      // NFKC may expand (rare: ㍿); treat every folded char of the expansion as its own.
      for (const ch of f.s) {
        if (prevCjk !== '') emit({ term: prevCjk + ch, kind: 'bigram', start: prevStart, end: i + width });
        prevCjk = ch;
        prevStart = i;
        prevEnd = i + width;
      }
    } else if (f.c === CharClass.Word) {
      flushRun();
      if (word.length === 0) wordStart = i;
      word += f.s;
      wordEnd = i + width;
    } else {
      flushWord();
      flushRun();
    }
    i += width;
  }
  flushWord();
  flushRun();
}

/** All tokens of a text (for highlighting and tests). */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  scanTokens(text, (t) => out.push(t));
  return out;
}

/** The space-separated term string stored in the full-text index. */
export function indexTermString(text: string): string {
  const parts: string[] = [];
  scanTokens(text, (t) => parts.push(t.term));
  return parts.join(' ');
}

/** Terms of a query phrase: the exact token sequence a matching document must contain. */
export interface QueryTerms {
  terms: string[];
  /** The last term is a prefix (a lone CJK character at the end of the phrase). */
  prefix: boolean;
}

/**
 * Turn query text into the token sequence to look for. A CJK run that ends the query text
 * may continue in the document, so its closing unigram is dropped (or, for a one-character
 * run, turned into a prefix); inside the query the closing unigram stays, because the
 * query itself says the run ends there.
 */
export function queryTerms(text: string): QueryTerms {
  const toks = tokenize(text);
  if (toks.length === 0) return { terms: [], prefix: false };
  const last = toks[toks.length - 1]!;
  if (last.kind === 'unigram') {
    const beforeLast = toks[toks.length - 2];
    const runHasBigram = beforeLast !== undefined && beforeLast.kind === 'bigram' && beforeLast.end === last.end;
    if (runHasBigram) {
      toks.pop();
      return { terms: toks.map((t) => t.term), prefix: false };
    }
    return { terms: toks.map((t) => t.term), prefix: true };
  }
  return { terms: toks.map((t) => t.term), prefix: false };
}
