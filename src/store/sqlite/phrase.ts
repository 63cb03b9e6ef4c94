/**
 * Scoring and phrase matching over decoded posting lists (hot lists, occurrences read from
 * FTS5): BM25 as FTS5 computes it, and phrases from positions.
 */
import { B, BODY_WEIGHT, idf, K1, TITLE_WEIGHT } from '../../search/ranking.js';
import { advance } from './docset.js';
import type { Postings } from './postings.js';

/** BM25's idf as FTS5 computes it (search/ranking.ts). */
export const idfOf = idf;

/** FTS5's BM25 for one leaf from weighted frequencies: idf from the live document frequency, k1 1.2, b 0.75. */
export function bm25Scores(ids: Int32Array, freq: Float64Array, df: number, live: number, avgTokens: number, ntok: Uint32Array): Float64Array {
  const m = ids.length;
  const scores = new Float64Array(m);
  const c1 = K1 * (1 - B);
  const c2 = (K1 * B) / Math.max(avgTokens, 1e-9);
  const k1p = idfOf(live, df) * (K1 + 1);
  for (let i = 0; i < m; i++) {
    const w = freq[i]!;
    scores[i] = (k1p * w) / (w + c1 + c2 * ntok[ids[i]!]!);
  }
  return scores;
}

/**
 * Documents where the terms occur at consecutive positions within one column, with the
 * phrase's weighted frequency (occurrences in the title weigh TITLE_WEIGHT). The shortest
 * list drives; positions are decoded only for documents that hold every term.
 */
export function phraseMatches(lists: Postings[], titleOnly: boolean, keep: (doc: number, w: number) => void, lo = 0, hi = 0x7fffffff): void {
  const k = lists.length;
  let driver = 0;
  for (let j = 1; j < k; j++) if (lists[j]!.n < lists[driver]!.n) driver = j;
  // Each list's arrays as locals (no property loads in the loop).
  const docsOf = lists.map((l) => l.docs);
  const ttOf = lists.map((l) => l.tfTitle);
  const tbOf = lists.map((l) => l.tfBody);
  const posOf = lists.map((l) => l.pos!);
  const offOf = lists.map((l) => l.posOff!);
  const cur = new Int32Array(k);
  // One document's positions of every term: term j's title positions at [tStart[j], bStart[j]),
  // its body positions at [bStart[j], bEnd[j]).
  let buf = new Int32Array(256);
  const tStart = new Int32Array(k);
  const bStart = new Int32Array(k);
  const bEnd = new Int32Array(k);
  const ptr = new Int32Array(k);
  const end = new Int32Array(k);
  const dd = docsOf[driver]!;
  const dn = dd.length;
  // Documents outside [lo, hi] are not looked at (positions are the expensive part).
  outer: for (let a = advance(dd, 0, lo); a < dn; a++) {
    const doc = dd[a]!;
    if (doc > hi) break;
    let need = 0;
    for (let j = 0; j < k; j++) {
      let c = a;
      if (j !== driver) {
        const o = docsOf[j]!;
        c = cur[j]!;
        // Lists of a phrase's terms are usually close: a few steps, else gallop.
        const stop = Math.min(c + 4, o.length);
        while (c < stop && o[c]! < doc) c++;
        if (c === stop && c < o.length) c = advance(o, c, doc);
        cur[j] = c;
        if (c >= o.length) break outer;
        if (o[c] !== doc) continue outer;
      } else cur[j] = a;
      need += ttOf[j]![c]! + tbOf[j]![c]!;
    }
    if (buf.length < need) buf = new Int32Array(need * 2);
    // Decode the positions of every term for this document (varints, restarting per column).
    let o = 0;
    for (let j = 0; j < k; j++) {
      const c = cur[j]!;
      const b = posOf[j]!;
      let i = offOf[j]![c]!;
      const nt = ttOf[j]![c]!;
      const total = nt + tbOf[j]![c]!;
      tStart[j] = o;
      bStart[j] = o + nt;
      bEnd[j] = o + total;
      let prev = 0;
      for (let t = 0; t < total; t++) {
        if (t === nt) prev = 0;
        let x = b[i++]!;
        if (x >= 0x80) {
          let v = x & 0x7f;
          let shift = 7;
          let y: number;
          do {
            y = b[i++]!;
            v |= (y & 0x7f) << shift;
            shift += 7;
          } while (y & 0x80);
          x = v;
        }
        prev += x;
        buf[o++] = prev;
      }
    }
    let w = 0;
    for (let col = 0; col < (titleOnly ? 1 : 2); col++) {
      let empty = false;
      for (let j = 0; j < k; j++) {
        ptr[j] = col === 0 ? tStart[j]! : bStart[j]!;
        end[j] = col === 0 ? bStart[j]! : bEnd[j]!;
        if (ptr[j] === end[j]) empty = true;
      }
      if (empty) continue;
      let occ = 0;
      const e0 = end[0]!;
      scan: for (let i = ptr[0]!; i < e0; i++) {
        const p = buf[i]!;
        for (let j = 1; j < k; j++) {
          const ej = end[j]!;
          const want = p + j;
          let q = ptr[j]!;
          while (q < ej && buf[q]! < want) q++;
          ptr[j] = q;
          if (q >= ej) break scan; // no later occurrence can complete the phrase
          if (buf[q] !== want) continue scan;
        }
        occ++;
      }
      w += (col === 0 ? TITLE_WEIGHT : BODY_WEIGHT) * occ;
    }
    if (w > 0) keep(doc, w);
  }
}
