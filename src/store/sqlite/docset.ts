/**
 * Document sets of the SQLite engine: seqs ascending with optional BM25 scores, and the
 * merge joins queries combine them by (AND intersects and adds, OR unites and adds — a
 * translated concept keeps the best —, NOT subtracts).
 */

/** Rowids ascending; scores parallel (null when the caller did not ask for scores). */
export interface DocSet {
  ids: Int32Array;
  scores: Float64Array | null;
}

export interface Range {
  lo: number;
  hi: number;
}

export const EMPTY: DocSet = { ids: new Int32Array(0), scores: null };

/** A set's part within a rowid range (ids ascending), with or without its scores. */
export function within(set: DocSet, withScores: boolean, range?: Range): DocSet {
  let { ids, scores } = set;
  if (range) {
    const lo = lowerBound(ids, range.lo);
    const hi = lowerBound(ids, range.hi + 1);
    ids = ids.subarray(lo, hi);
    scores = scores?.subarray(lo, hi) ?? null;
  }
  return { ids, scores: withScores ? scores : null };
}

/** The first index of `a` (ascending) holding a value >= `v`. */
export function lowerBound(a: Int32Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index >= from whose value is >= target (galloping search over ascending values). */
export function advance(a: Int32Array, from: number, target: number): number {
  const n = a.length;
  if (from >= n || a[from]! >= target) return from;
  let step = 1;
  let lo = from;
  while (lo + step < n && a[lo + step]! < target) {
    lo += step;
    step *= 2;
  }
  let hi = Math.min(lo + step, n);
  // a[lo] < target; a[hi] >= target or hi === n
  while (lo + 1 < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < target) lo = mid;
    else hi = mid;
  }
  return hi;
}

export function intersect(a: DocSet, b: DocSet): DocSet {
  const n = Math.min(a.ids.length, b.ids.length);
  const ids = new Int32Array(n);
  const withScores = a.scores !== null && b.scores !== null;
  const scores = withScores ? new Float64Array(n) : null;
  let i = 0;
  let j = 0;
  let m = 0;
  while (i < a.ids.length && j < b.ids.length) {
    const x = a.ids[i]!;
    const y = b.ids[j]!;
    if (x < y) i++;
    else if (x > y) j++;
    else {
      ids[m] = x;
      if (scores) scores[m] = a.scores![i]! + b.scores![j]!;
      m++;
      i++;
      j++;
    }
  }
  return { ids: ids.subarray(0, m), scores: scores ? scores.subarray(0, m) : null };
}

/** Rowids in either set; a document in both scores the sum (or with `best`, the larger). */
export function union(a: DocSet, b: DocSet, best = false): DocSet {
  // An empty side changes nothing: it must not drop the other side's scores (an empty
  // set carries none), or `稀土 OR <a word nothing holds>` would be ranked newest first.
  if (b.ids.length === 0) return a;
  if (a.ids.length === 0) return b;
  const n = a.ids.length + b.ids.length;
  const ids = new Int32Array(n);
  const withScores = a.scores !== null && b.scores !== null;
  const scores = withScores ? new Float64Array(n) : null;
  let i = 0;
  let j = 0;
  let m = 0;
  while (i < a.ids.length || j < b.ids.length) {
    const x = i < a.ids.length ? a.ids[i]! : 0x7fffffff;
    const y = j < b.ids.length ? b.ids[j]! : 0x7fffffff;
    if (x < y) {
      ids[m] = x;
      if (scores) scores[m] = a.scores![i]!;
      i++;
    } else if (y < x) {
      ids[m] = y;
      if (scores) scores[m] = b.scores![j]!;
      j++;
    } else {
      ids[m] = x;
      if (scores) scores[m] = best ? Math.max(a.scores![i]!, b.scores![j]!) : a.scores![i]! + b.scores![j]!;
      i++;
      j++;
    }
    m++;
  }
  return { ids: ids.subarray(0, m), scores: scores ? scores.subarray(0, m) : null };
}

export function subtract(a: DocSet, b: DocSet): DocSet {
  const ids = new Int32Array(a.ids.length);
  const scores = a.scores ? new Float64Array(a.ids.length) : null;
  let j = 0;
  let m = 0;
  for (let i = 0; i < a.ids.length; i++) {
    const x = a.ids[i]!;
    while (j < b.ids.length && b.ids[j]! < x) j++;
    if (j < b.ids.length && b.ids[j] === x) continue;
    ids[m] = x;
    if (scores) scores[m] = a.scores![i]!;
    m++;
  }
  return { ids: ids.subarray(0, m), scores: scores ? scores.subarray(0, m) : null };
}

/** The set's documents whose language code is not `code`. */
export function notInLang(s: DocSet, lang: Uint16Array, code: number): DocSet {
  const ids = new Int32Array(s.ids.length);
  const scores = s.scores ? new Float64Array(s.ids.length) : null;
  let m = 0;
  for (let i = 0; i < s.ids.length; i++) {
    const id = s.ids[i]!;
    if (lang[id] === code) continue;
    ids[m] = id;
    if (scores) scores[m] = s.scores![i]!;
    m++;
  }
  return { ids: ids.subarray(0, m), scores: scores ? scores.subarray(0, m) : null };
}
