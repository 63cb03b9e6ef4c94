/**
 * Where a given set of index terms (and phrases of them) occurs in a document's index term
 * strings, with token positions, encoded the way a posting list stores them.
 *
 * The SQLite store keeps posting lists of its own for frequent ("hot") terms and appends
 * every new document's occurrences of them in the write transaction. Finding those
 * occurrences means scanning every term of the document (~1,000 for a 3 KB article), which
 * cost the writing thread ~10% of a 3 KB ingest; the analysis workers do it instead
 * (`AnalyzedDocument.located`), against the set the store last handed out, and the writing
 * thread only copies bytes. When the set changed meanwhile (a promotion), the writing thread
 * runs the same matcher itself, so the lists never depend on where the scan ran.
 */
import { ByteWriter } from '../core/bytes.js';

/** A set of terms to locate, as a store hands it out; `id` changes whenever the terms do. */
export interface TermSet {
  id: number;
  /** Terms, and phrases as their terms joined by spaces. A hit names its term by index here. */
  terms: readonly string[];
}

/** Occurrences located against one term set (see TermMatcher.match for the encoding). */
export interface LocatedTerms {
  set: number;
  hits: Uint8Array;
}

let nextSetId = 1;

/** A fresh id for a term set (unique in this process). */
export function newTermSetId(): number {
  return nextSetId++;
}

/** A two-UTF-16-unit term as one number: most index terms are CJK bigrams. */
export function pairKey(a: number, b: number): number {
  return a * 0x10000 + b;
}

/**
 * Call `fn(from, to)` for each term of an index term string (space-separated, paragraphs
 * joined with '\n'), in order: the terms FTS5's ascii tokenizer sees, without substrings
 * (splitting 1,000-term strings cost 0.5 ms a document).
 */
export function forEachTerm(s: string, fn: (from: number, to: number) => void): void {
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 10) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n) {
      const d = s.charCodeAt(j);
      if (d === 32 || d === 10) break;
      j++;
    }
    fn(i, j);
    i = j;
  }
}

/**
 * Positions p where list j holds p + j for every j: a phrase's starts in one column, from
 * each term's ascending positions (a merge).
 */
export function phraseStarts(lists: ArrayLike<number>[]): number[] {
  const out: number[] = [];
  const ptr = lists.map(() => 0);
  const first = lists[0]!;
  scan: for (let i = 0; i < first.length; i++) {
    const p = first[i]!;
    for (let j = 1; j < lists.length; j++) {
      const l = lists[j]!;
      let q = ptr[j]!;
      while (q < l.length && l[q]! < p + j) q++;
      ptr[j] = q;
      if (q >= l.length) break scan; // no later occurrence can complete the phrase
      if (l[q] !== p + j) continue scan;
    }
    out.push(p);
  }
  return out;
}

interface Positions {
  title: number[];
  body: number[];
}

export class TermMatcher {
  /** Terms of two UTF-16 units by pairKey (checked without making a substring), and the others. */
  private readonly pairs = new Map<number, number>();
  private readonly others = new Map<string, number>();
  /** Phrases (index, and their terms' indexes) by their first term's index. */
  private readonly phrases = new Map<number, { index: number; terms: number[] }[]>();
  private readonly out = new ByteWriter();
  private readonly pos = new ByteWriter();

  constructor(readonly set: TermSet) {
    const single = new Map<string, number>();
    set.terms.forEach((t, i) => {
      if (t.includes(' ')) return;
      single.set(t, i);
      if (t.length === 2) this.pairs.set(pairKey(t.charCodeAt(0), t.charCodeAt(1)), i);
      else this.others.set(t, i);
    });
    set.terms.forEach((t, i) => {
      if (!t.includes(' ')) return;
      const terms = t.split(' ').map((w) => single.get(w));
      // A phrase whose terms are not all in the set cannot be located (a store never has one).
      if (terms.some((x) => x === undefined)) return;
      const ids = terms as number[];
      const list = this.phrases.get(ids[0]!) ?? [];
      list.push({ index: i, terms: ids });
      this.phrases.set(ids[0]!, list);
    });
  }

  /**
   * The set's terms and phrases in one document (its title and body index term strings, as
   * FTS5 receives them; positions count tokens as FTS5's ascii tokenizer does). Encoded per
   * term or phrase found: varint(index in the set), varint(tf in title), varint(tf in body),
   * varint(bytes of positions), then the positions — title ones, then body ones, each
   * varint(p - previous p) with the previous restarting at 0 per column, exactly as
   * postings.ts stores them (a phrase's positions are where it starts).
   */
  match(titleTerms: string, bodyTerms: string): Uint8Array {
    const found = new Map<number, Positions>();
    const scan = (s: string, title: boolean) => {
      let pos = 0;
      forEachTerm(s, (i, j) => {
        const t = j - i === 2 ? this.pairs.get(pairKey(s.charCodeAt(i), s.charCodeAt(i + 1))) : this.others.size > 0 ? this.others.get(s.slice(i, j)) : undefined;
        if (t !== undefined) {
          let e = found.get(t);
          if (!e) {
            e = { title: [], body: [] };
            found.set(t, e);
          }
          (title ? e.title : e.body).push(pos);
        }
        pos++;
      });
    };
    scan(titleTerms, true);
    scan(bodyTerms, false);
    this.out.len = 0;
    for (const [t, e] of found) this.write(t, e);
    // A phrase's terms are in the set, so their positions are in `found`: the phrase occurs
    // where each term follows the one before it.
    if (this.phrases.size > 0) {
      for (const first of found.keys()) {
        for (const ph of this.phrases.get(first) ?? []) {
          const lists = ph.terms.map((t) => found.get(t));
          if (lists.some((l) => l === undefined)) continue;
          const ok = lists as Positions[];
          const title = phraseStarts(ok.map((l) => l.title));
          const body = phraseStarts(ok.map((l) => l.body));
          if (title.length > 0 || body.length > 0) this.write(ph.index, { title, body });
        }
      }
    }
    return this.out.buf.slice(0, this.out.len);
  }

  private write(index: number, e: Positions): void {
    const pos = this.pos;
    pos.len = 0;
    for (const col of [e.title, e.body]) {
      let prev = 0;
      for (const p of col) {
        pos.varint(p - prev);
        prev = p;
      }
    }
    const out = this.out;
    out.varint(index);
    out.varint(e.title.length);
    out.varint(e.body.length);
    out.varint(pos.len);
    out.append(pos.buf.subarray(0, pos.len));
  }
}

/**
 * Call `fn` for each term or phrase of an encoded match (TermMatcher.match), in order; its
 * positions are hits[start, end) (no view is made: most are one or two bytes).
 */
export function forEachHit(
  hits: Uint8Array,
  fn: (index: number, tfTitle: number, tfBody: number, start: number, end: number) => void,
): void {
  let i = 0;
  const slow = (first: number): number => {
    let v = first & 0x7f;
    let shift = 7;
    let x: number;
    do {
      x = hits[i++]!;
      v |= (x & 0x7f) << shift;
      shift += 7;
    } while (x & 0x80);
    return v;
  };
  while (i < hits.length) {
    // Almost every number fits in one byte.
    let index = hits[i++]!;
    if (index & 0x80) index = slow(index);
    let tfTitle = hits[i++]!;
    if (tfTitle & 0x80) tfTitle = slow(tfTitle);
    let tfBody = hits[i++]!;
    if (tfBody & 0x80) tfBody = slow(tfBody);
    let bytes = hits[i++]!;
    if (bytes & 0x80) bytes = slow(bytes);
    fn(index, tfTitle, tfBody, i, i + bytes);
    i += bytes;
  }
}
