/**
 * The per-posting loops of a search that the scan worker (parallel.ts) runs too: one
 * term's single pass (`scanTerm`) and the collector every match goes to (filters,
 * cluster collapse, facet counts, exact total, top k). Only typed arrays and plain
 * numbers cross into here, so a worker thread can run it over shared columns.
 */
import type { DocColumns } from './columns.js';
import type { PostingChunk } from './postings.js';
import { TopK } from './topk.js';

import { B, BODY_WEIGHT, K1, TITLE_WEIGHT } from '../../search/ranking.js';

export { B, BODY_WEIGHT, K1, TITLE_WEIGHT };

/** The columns a scan reads (shared memory, see columns.ts). */
export type ScanColumns = Pick<DocColumns, 'alive' | 'published' | 'ntokens' | 'facet' | 'cluster'>;

/** Filters checked inside the scan: a date range, allowed facet combinations, other predicates. */
export interface ScanFilter {
  /** Published in [from, to); null when there is no date filter. */
  from: number | null;
  to: number;
  /** 1 for each (type, lang, source, month) combination the type/lang/source filters allow; null = all. */
  combos: Uint8Array | null;
  preds: ((id: number) => boolean)[];
}

/**
 * Where matches go once they pass the filters: cluster collapse (best member per cluster by
 * the sort key), the exact total, facet counts (one per combination) and the top k. Its
 * `add` is small so V8 inlines it into the scan loops.
 */
/** A collector's state before `finish` (see `Collector.part`). */
export interface CollectorPart {
  /** Matches outside clusters (cluster members are counted at finish). */
  total: number;
  counts: Int32Array;
  top: { ids: Int32Array; p: Float64Array; s: Float64Array };
  /** Per cluster touched: its best member (id, keys) and how many members matched. */
  clusters: { cl: Int32Array; id: Int32Array; p: Float64Array; s: Float64Array; n: Int32Array };
}

export class Collector {
  readonly top: TopK;
  readonly counts: Int32Array;
  private readonly touched: number[] = [];
  private total = 0;
  /** `top.floor()` as of the last push by addScored (the only path that pushes scores before finish). */
  private floor: number;

  constructor(
    private readonly cols: ScanColumns,
    combos: number,
    k: number,
    readonly collapse: boolean,
    readonly facets: boolean,
    private readonly bestId: Int32Array,
    private readonly bestP: Float64Array,
    private readonly bestS: Float64Array,
    private readonly bestN: Int32Array,
  ) {
    this.top = new TopK(k);
    this.floor = this.top.floor();
    this.counts = new Int32Array(combos);
  }

  /** A match ranked by (p, s), both descending. */
  add(id: number, p: number, s: number): void {
    const cl = this.collapse ? this.cols.cluster[id]! : 0;
    if (cl !== 0) {
      const bestN = this.bestN;
      if (bestN[cl] === 0) {
        this.touched.push(cl);
        this.bestId[cl] = id;
        this.bestP[cl] = p;
        this.bestS[cl] = s;
        bestN[cl] = 1;
      } else {
        bestN[cl]!++;
        if (p > this.bestP[cl]! || (p === this.bestP[cl]! && s > this.bestS[cl]!)) {
          this.bestId[cl] = id;
          this.bestP[cl] = p;
          this.bestS[cl] = s;
        }
      }
      return;
    }
    this.total++;
    if (this.facets) this.counts[this.cols.facet[id]!]!++;
    if (this.top.accepts(p, s, id)) this.top.push(id, p, s);
  }

  /**
   * A match ranked by score, ties by publication time: the time is read only when the
   * document could enter the top k or belongs to a cluster (most matches do neither).
   */
  addScored(id: number, score: number): void {
    if (this.collapse && this.cols.cluster[id] !== 0) {
      this.add(id, score, pubKey(this.cols.published[id]!));
      return;
    }
    this.total++;
    if (this.facets) this.counts[this.cols.facet[id]!]!++;
    if (score >= this.floor) {
      const s = pubKey(this.cols.published[id]!);
      if (this.top.accepts(score, s, id)) {
        this.top.push(id, score, s);
        this.floor = this.top.floor();
      }
    }
  }

  /** Matches a caller counted itself (outside clusters, already in `counts` and offered to `top`). */
  counted(n: number): void {
    this.total += n;
  }

  /**
   * What this collector holds before `finish`, to hand to the collector of a scan over the
   * earlier documents (`merge`): a scan worker's half of a list.
   */
  part(): CollectorPart {
    const t = this.top.sorted();
    const m = this.touched.length;
    const c = { cl: new Int32Array(m), id: new Int32Array(m), p: new Float64Array(m), s: new Float64Array(m), n: new Int32Array(m) };
    this.touched.forEach((cl, i) => {
      c.cl[i] = cl;
      c.id[i] = this.bestId[cl]!;
      c.p[i] = this.bestP[cl]!;
      c.s[i] = this.bestS[cl]!;
      c.n[i] = this.bestN[cl]!;
    });
    return {
      total: this.total,
      counts: this.counts,
      top: { ids: Int32Array.from(t, (x) => x.id), p: Float64Array.from(t, (x) => x.primary), s: Float64Array.from(t, (x) => x.secondary) },
      clusters: c,
    };
  }

  /**
   * Take in a part collected over later documents than this collector's (call before
   * `finish`). The result is the one a single scan of both would give: on equal keys the
   * earlier document stays, in the top k as in a cluster's best member.
   */
  merge(o: CollectorPart): void {
    this.total += o.total;
    for (let i = 0; i < o.counts.length; i++) this.counts[i]! += o.counts[i]!;
    for (let i = 0; i < o.top.ids.length; i++) {
      if (this.top.accepts(o.top.p[i]!, o.top.s[i]!, o.top.ids[i]!)) this.top.push(o.top.ids[i]!, o.top.p[i]!, o.top.s[i]!);
    }
    this.floor = this.top.floor();
    const c = o.clusters;
    for (let i = 0; i < c.cl.length; i++) {
      const cl = c.cl[i]!;
      if (this.bestN[cl] === 0) {
        this.touched.push(cl);
        this.bestId[cl] = c.id[i]!;
        this.bestP[cl] = c.p[i]!;
        this.bestS[cl] = c.s[i]!;
        this.bestN[cl] = c.n[i]!;
        continue;
      }
      this.bestN[cl]! += c.n[i]!;
      if (c.p[i]! > this.bestP[cl]! || (c.p[i]! === this.bestP[cl]! && c.s[i]! > this.bestS[cl]!)) {
        this.bestId[cl] = c.id[i]!;
        this.bestP[cl] = c.p[i]!;
        this.bestS[cl] = c.s[i]!;
      }
    }
  }

  /** Add each collapsed cluster's best member; returns the exact total. */
  finish(): number {
    for (const cl of this.touched) {
      const id = this.bestId[cl]!;
      this.total++;
      this.top.push(id, this.bestP[cl]!, this.bestS[cl]!);
      if (this.facets) this.counts[this.cols.facet[id]!]!++;
    }
    return this.total;
  }

  /** Clear the per-cluster scratch (shared across queries) after reading bestN. */
  reset(): void {
    for (const cl of this.touched) this.bestN[cl] = 0;
    this.touched.length = 0;
  }
}

/** Publication time as a sort key: undated (NaN) sorts last. */
export function pubKey(pub: number): number {
  return Number.isNaN(pub) ? Number.NEGATIVE_INFINITY : pub;
}

/** Whether a live document passes the date, combination and predicate filters. */
export function passes(cols: ScanColumns, f: ScanFilter, id: number): boolean {
  if (f.from !== null) {
    const pub = cols.published[id]!;
    if (!(pub >= f.from && pub < f.to)) return false;
  }
  if (f.combos !== null && f.combos[cols.facet[id]!] !== 1) return false;
  return f.preds.length === 0 || allPass(f.preds, id);
}

/**
 * One term's postings, decoded as they are scanned (no intermediate arrays): live documents
 * in [lo, hi] passing the filters go to `out`, scored (when `byScore`) by BM25 without its
 * idf factor, w / (w + k1(1 - b) + c2 len), which ranks the same; the caller scales the
 * kept scores by idf (k1 + 1). Returns the term's live document frequency over all chunks.
 */
export function scanTerm(
  chunks: PostingChunk[],
  titleOnly: boolean,
  byScore: boolean,
  c2: number,
  lo: number,
  hi: number,
  cols: ScanColumns,
  f: ScanFilter,
  out: Collector,
): number {
  const { alive, published, ntokens, facet } = cols;
  const cluster = out.collapse ? cols.cluster : null;
  const counts = out.facets ? out.counts : null;
  const top = out.top;
  let floor = top.floor();
  let counted = 0;
  const filtered = f.from !== null || f.combos !== null || f.preds.length > 0;
  const bodyWeight = titleOnly ? 0 : BODY_WEIGHT;
  const c1 = K1 * (1 - B);
  let df = 0;
  for (const c of chunks) {
    const b = c.docs;
    const cn = c.n;
    let i = 0;
    let doc = 0;
    for (let j = 0; j < cn; j++) {
      // Gap, tf in the title, tf in the body, bytes of positions: varints, almost always one byte.
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
      doc += x;
      let tt = b[i++]!;
      if (tt >= 0x80) {
        let v = tt & 0x7f;
        let shift = 7;
        let y: number;
        do {
          y = b[i++]!;
          v |= (y & 0x7f) << shift;
          shift += 7;
        } while (y & 0x80);
        tt = v;
      }
      let tb = b[i++]!;
      if (tb >= 0x80) {
        let v = tb & 0x7f;
        let shift = 7;
        let y: number;
        do {
          y = b[i++]!;
          v |= (y & 0x7f) << shift;
          shift += 7;
        } while (y & 0x80);
        tb = v;
      }
      // Bytes of positions: not needed here, skipped.
      x = b[i++]!;
      while (x >= 0x80) x = b[i++]!;
      const w = TITLE_WEIGHT * tt + bodyWeight * tb;
      if (w === 0 || alive[doc] !== 1) continue;
      df++;
      if (doc < lo || doc > hi) continue;
      if (filtered && !passes(cols, f, doc)) continue;
      if (!byScore) {
        out.add(doc, pubKey(published[doc]!), doc);
        continue;
      }
      // Collector.addScored written out: this loop runs once per posting of a common term.
      const score = w / (w + c1 + c2 * ntokens[doc]!);
      if (cluster !== null && cluster[doc] !== 0) {
        out.add(doc, score, pubKey(published[doc]!));
        continue;
      }
      counted++;
      if (counts !== null) counts[facet[doc]!]!++;
      if (score >= floor) {
        const s = pubKey(published[doc]!);
        if (top.accepts(score, s, doc)) {
          top.push(doc, score, s);
          floor = top.floor();
        }
      }
    }
  }
  out.counted(counted);
  return df;
}

function allPass(preds: ((id: number) => boolean)[], id: number): boolean {
  for (const p of preds) if (!p(id)) return false;
  return true;
}

/**
 * One term's live documents in [lo, hi] into `ids`, decoded from its chunks as they are
 * read, with (when `part` is given) BM25's per-document factor w / (w + k1(1 - b) + c2 len),
 * where w is the weighted frequency (title hits weigh TITLE_WEIGHT); and the term's live
 * document frequency over all chunks. With `probe` (a conjunction's other lists, `hotJoin`):
 * only documents with a non-zero entry there count, the entry being 1 + an index into the
 * driving list's arrays; `add` goes to hits[index] and the factor to part[index]; with
 * `want` >= 0, the indexes whose hits reach `want` are written to `ids`.
 */
export function termMatches(
  chunks: PostingChunk[],
  titleOnly: boolean,
  alive: Uint8Array,
  lo: number,
  hi: number,
  ids: Int32Array,
  part: Float64Array | null,
  ntok: Uint32Array,
  c2: number,
  probe: Int32Array | null = null,
  hits: Int32Array | null = null,
  add = 0,
  want = -1,
): { m: number; df: number } {
  const bodyWeight = titleOnly ? 0 : BODY_WEIGHT;
  const c1 = K1 * (1 - B);
  let m = 0;
  let df = 0;
  for (const c of chunks) {
    const b = c.docs;
    const cn = c.n;
    let i = 0;
    let doc = 0;
    for (let j = 0; j < cn; j++) {
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
      doc += x;
      let tt = b[i++]!;
      if (tt >= 0x80) {
        let v = tt & 0x7f;
        let shift = 7;
        let y: number;
        do {
          y = b[i++]!;
          v |= (y & 0x7f) << shift;
          shift += 7;
        } while (y & 0x80);
        tt = v;
      }
      let tb = b[i++]!;
      if (tb >= 0x80) {
        let v = tb & 0x7f;
        let shift = 7;
        let y: number;
        do {
          y = b[i++]!;
          v |= (y & 0x7f) << shift;
          shift += 7;
        } while (y & 0x80);
        tb = v;
      }
      // Bytes of positions: not needed here, skipped.
      x = b[i++]!;
      while (x >= 0x80) x = b[i++]!;
      const w = TITLE_WEIGHT * tt + bodyWeight * tb;
      if (w === 0 || alive[doc] !== 1) continue;
      df++;
      if (doc < lo || doc > hi) continue;
      if (probe === null) {
        ids[m] = doc;
        if (part !== null) part[m] = w / (w + c1 + c2 * ntok[doc]!);
        m++;
        continue;
      }
      const at = probe[doc]! - 1;
      if (at < 0) continue;
      // Hits are not counted when one list probes alone (every probed entry then matches).
      if (hits !== null) {
        hits[at]! += add;
        // The last list of a conjunction lists the entries that now have every hit.
        if (want >= 0 && hits[at] !== want) continue;
      }
      if (part !== null) part[at] = w / (w + c1 + c2 * ntok[doc]!);
      if (want >= 0) ids[m] = at;
      m++;
    }
  }
  return { m, df };
}

/** Where to split a list's chunks between two threads: the cut (1 .. length - 1) nearest half its postings. */
export function evenCut(chunks: PostingChunk[]): number {
  let total = 0;
  for (const c of chunks) total += c.n;
  let cut = 1;
  let a = chunks[0]?.n ?? 0;
  let best = Math.abs(total - 2 * a);
  for (let i = 1; i < chunks.length - 1; i++) {
    a += chunks[i]!.n;
    if (Math.abs(total - 2 * a) < best) {
      best = Math.abs(total - 2 * a);
      cut = i + 1;
    }
  }
  return cut;
}

/** One list of a hot-list conjunction (search.ts `hotJoin`), for this thread or the scan worker. */
export interface MatchJob {
  chunks: PostingChunk[];
  titleOnly: boolean;
  lo: number;
  hi: number;
  c2: number;
  /**
   * Output (shared memory). Without `probe`: matching documents and their BM25 factors,
   * written from `base`. With it: factors at the driving list's indexes, and (`want` >= 0)
   * the indexes that reached `want` hits written from `base` (`termMatches`).
   */
  ids: Int32Array;
  part: Float64Array | null;
  /** Keep only documents whose entry here is non-zero, adding `add` to hits[entry - 1]. */
  probe: Int32Array | null;
  hits: Int32Array | null;
  add: number;
  want: number;
  /** Set mark[doc] = index + 1 for every document written. */
  mark: Int32Array | null;
  base?: number;
}

/** `termMatches` for a MatchJob: writes from `base`, marks what it wrote. */
export function matchesInto(job: MatchJob, cols: ScanColumns): { m: number; df: number } {
  const base = job.base ?? 0;
  const ids = base === 0 ? job.ids : job.ids.subarray(base);
  // With a probe, factors go to the driving list's indexes: no offset.
  const part = job.part === null || job.probe !== null || base === 0 ? job.part : job.part.subarray(base);
  const r = termMatches(job.chunks, job.titleOnly, cols.alive, job.lo, job.hi, ids, part, cols.ntokens, job.c2, job.probe, job.hits, job.add, job.want);
  const mark = job.mark;
  if (mark !== null) for (let i = 0; i < r.m; i++) mark[ids[i]!] = base + i + 1;
  return r;
}

/**
 * One stretch of a hot-list conjunction's matches (`hotJoin`), in document order: entries
 * [start, start + m) of `sel`, indexes into the driving list's arrays that the last list
 * found with every hit; or, when no list wrote them (one positive list and negated ones),
 * entries [start, start + m) of the driving list whose hits equal `need` (a negated list
 * subtracts more than there are lists). Scored with every list's idf factor (relevance) or
 * keyed by time (newest), filtered, and handed to the collector.
 */
export interface JoinJob {
  /** The driving list's documents, their hits, and the matching entries (or null). */
  ids: Int32Array;
  hits: Int32Array;
  need: number;
  sel: Int32Array | null;
  /** BM25 factors without idf: the driving list's, then each other positive list's (by entry); null for newest. */
  parts: Float64Array[] | null;
  /** Their idf factors, in the same order. */
  idf: number[];
  start: number;
  m: number;
}

/**
 * Every live document with a rowid in [lo, hi] that passes the filters, ranked newest first:
 * a query of filters only (browsing the newest documents, `type:news`).
 */
export function collectRange(lo: number, hi: number, cols: ScanColumns, f: ScanFilter, out: Collector): void {
  const { alive, published } = cols;
  const filtered = f.from !== null || f.combos !== null || f.preds.length > 0;
  for (let id = lo; id <= hi; id++) {
    if (alive[id] !== 1) continue;
    if (filtered && !passes(cols, f, id)) continue;
    out.add(id, pubKey(published[id]!), id);
  }
}

export function collectJoin(job: JoinJob, cols: ScanColumns, f: ScanFilter, out: Collector): void {
  const { ids, hits, need, sel, parts, idf } = job;
  const { published } = cols;
  const filtered = f.from !== null || f.combos !== null || f.preds.length > 0;
  const end = job.start + job.m;
  // The first two lists' factors held apart: most conjunctions have two terms.
  const k = parts === null ? 0 : parts.length;
  const p0 = parts?.[0] ?? null;
  const p1 = parts?.[1] ?? null;
  const f0 = idf[0] ?? 0;
  const f1 = idf[1] ?? 0;
  for (let q = job.start; q < end; q++) {
    let i = q;
    if (sel !== null) i = sel[q]!;
    else if (hits[q] !== need) continue;
    const id = ids[i]!;
    if (filtered && !passes(cols, f, id)) continue;
    if (p0 === null) {
      out.add(id, pubKey(published[id]!), id);
      continue;
    }
    let score = p0[i]! * f0;
    if (p1 !== null) score += p1[i]! * f1;
    for (let j = 2; j < k; j++) score += parts![j]![i]! * idf[j]!;
    out.addScored(id, score);
  }
}
