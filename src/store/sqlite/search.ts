/**
 * Query execution for the SQLite store: FTS5 answers which rows match a text expression
 * (and their BM25 when sorting by relevance); filters, facets, cluster collapse, exact
 * totals and top-k run over the in-memory columns (columns.ts).
 */
import type Database from 'better-sqlite3';
import { normalizeTicker } from '../../analysis/entities.js';
import { LodestoneError } from '../../core/errors.js';
import type { QueryNode } from '../../search/query/ast.js';
import type { FacetCount, Facets, RawHit, RawSearchResult, SearchRequest } from '../ports.js';
import type { DocColumns } from './columns.js';
import { compileFts } from './fts.js';
import { TopK } from './topk.js';

/** BM25 column weights: a term in the title counts three times a term in the body. */
export const TITLE_WEIGHT = 3;
export const BODY_WEIGHT = 1;

export class SqliteSearcher {
  private readonly tickerDocs: Database.Statement<[string], number>;

  constructor(
    private readonly db: Database.Database,
    private readonly columns: DocColumns,
  ) {
    this.tickerDocs = db.prepare<[string], number>('SELECT doc_id FROM tickers WHERE ticker = ?').pluck();
  }

  /**
   * Rowids (ascending) and negated bm25 scores of the documents matching an FTS5 expression,
   * optionally only within [range.lo, range.hi] (FTS5 seeks its doclists to the range).
   */
  private ftsMatch(
    expr: string,
    withScores: boolean,
    range?: { lo: number; hi: number },
  ): { ids: Int32Array; scores: Float64Array | null } {
    const where = range ? 'fts MATCH ? AND rowid BETWEEN ? AND ?' : 'fts MATCH ?';
    const args: (string | number)[] = range ? [expr, range.lo, range.hi] : [expr];
    try {
      if (withScores) {
        const rows = this.db
          .prepare(`SELECT rowid, bm25(fts, ${TITLE_WEIGHT}, ${BODY_WEIGHT}) FROM fts WHERE ${where}`)
          .raw(true)
          .all(...args) as [number, number][];
        const ids = new Int32Array(rows.length);
        const scores = new Float64Array(rows.length);
        for (let i = 0; i < rows.length; i++) {
          ids[i] = rows[i]![0];
          scores[i] = -rows[i]![1];
        }
        return { ids, scores };
      }
      const ids = this.db.prepare(`SELECT rowid FROM fts WHERE ${where}`).pluck().all(...args) as number[];
      return { ids: Int32Array.from(ids), scores: null };
    } catch (err) {
      throw new LodestoneError('query_syntax', `The full-text index rejected the query: ${(err as Error).message}`, {
        expression: expr,
      });
    }
  }

  private ftsSet(expr: string): Set<number> {
    return new Set(this.ftsMatch(expr, false).ids);
  }

  /** A predicate over rowids for any subtree (text subtrees run as their own FTS query). */
  private predicate(node: QueryNode): (id: number) => boolean {
    const cols = this.columns;
    switch (node.kind) {
      case 'filter': {
        const v = node.value;
        if (node.field === 'type') {
          const code = cols.types.find(v.toLowerCase());
          return code === undefined ? () => false : (id) => cols.type[id] === code;
        }
        if (node.field === 'lang') {
          const code = cols.langs.find(v.toLowerCase());
          return code === undefined ? () => false : (id) => cols.lang[id] === code;
        }
        if (node.field === 'source') {
          const codes = new Set(cols.sourceCodes(v));
          return (id) => codes.has(cols.source[id]!);
        }
        const docs = new Set(this.tickerDocs.all(normalizeTicker(v)));
        return (id) => docs.has(id);
      }
      case 'not': {
        const p = this.predicate(node.child);
        return (id) => !p(id);
      }
      case 'text': {
        const s = this.ftsSet(compileFts(node)!);
        return (id) => s.has(id);
      }
      case 'and':
      case 'or': {
        const expr = compileFts(node);
        if (expr !== null) {
          const s = this.ftsSet(expr);
          return (id) => s.has(id);
        }
        const ps = node.children.map((c) => this.predicate(c));
        return node.kind === 'and' ? (id) => ps.every((p) => p(id)) : (id) => ps.some((p) => p(id));
      }
    }
  }

  search(req: SearchRequest): RawSearchResult {
    const cols = this.columns;
    cols.refresh();
    // Split the top-level conjunction: text conjuncts go to FTS5 in one expression, the rest
    // become predicates over the in-memory columns.
    const conj = req.query === null ? [] : req.query.kind === 'and' ? req.query.children : [req.query];
    const pos: string[] = [];
    const neg: string[] = [];
    const rest: QueryNode[] = [];
    for (const c of conj) {
      const e = c.kind === 'not' ? compileFts(c.child) : compileFts(c);
      if (e === null) rest.push(c);
      else if (c.kind === 'not') neg.push(e);
      else pos.push(e);
    }
    const hasText = pos.length > 0;
    const f = req.filters;
    const byScore = hasText && req.sort === 'relevance';
    let ids: Int32Array;
    let scores: Float64Array | null = null;
    if (hasText) {
      const expr = pos.join(' AND ') + neg.map((n) => ` NOT (${n})`).join('');
      // With a date range, only rowids from the first to the last document inside the range
      // can match. Feeds are mostly ingested in publication order, so this narrows the
      // full-text scan (and the scoring) to the range's stretch of the index; the columns
      // below still check every date exactly.
      const range = f.from !== undefined || f.to !== undefined ? cols.rowidRange(f.from, f.to) : undefined;
      if (range === null) ids = new Int32Array(0);
      else ({ ids, scores } = this.ftsMatch(expr, byScore, range));
    } else {
      const excluded = neg.length > 0 ? this.ftsSet(neg.map((n) => `(${n})`).join(' OR ')) : null;
      const all: number[] = [];
      for (let id = 1; id <= cols.maxRowid; id++) if (cols.alive[id] === 1 && !excluded?.has(id)) all.push(id);
      ids = Int32Array.from(all);
    }
    const preds = rest.map((n) => this.predicate(n));
    const from = f.from ?? Number.NEGATIVE_INFINITY;
    const to = f.to ?? Number.POSITIVE_INFINITY;
    const dated = f.from !== undefined || f.to !== undefined;
    const typeCodes = codeSet(f.types, (v) => cols.types.find(v.toLowerCase()));
    const langCodes = codeSet(f.langs, (v) => cols.langs.find(v.toLowerCase()));
    const sourceCodes = f.sources ? new Set(f.sources.flatMap((s) => cols.sourceCodes(s))) : null;

    const k = req.offset + req.limit;
    const top = new TopK(k);
    const facetOn = req.facets;
    const typeCount = new Map<number, number>();
    const langCount = new Map<number, number>();
    const sourceCount = new Map<number, number>();
    const monthCount = new Map<number, number>();
    const bump = (m: Map<number, number>, key: number) => m.set(key, (m.get(key) ?? 0) + 1);
    // Cluster collapse: best member per cluster, and how many members matched.
    const best = new Map<number, { id: number; p: number; s: number; n: number }>();
    let total = 0;

    const emit = (id: number, p: number, s: number) => {
      total++;
      top.push(id, p, s);
      if (facetOn) {
        bump(typeCount, cols.type[id]!);
        bump(langCount, cols.lang[id]!);
        bump(sourceCount, cols.source[id]!);
        bump(monthCount, cols.month[id]!);
      }
    };

    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (cols.alive[id] !== 1) continue;
      const pub = cols.published[id]!;
      if (dated && !(pub >= from && pub < to)) continue;
      if (typeCodes && !typeCodes.has(cols.type[id]!)) continue;
      if (langCodes && !langCodes.has(cols.lang[id]!)) continue;
      if (sourceCodes && !sourceCodes.has(cols.source[id]!)) continue;
      let ok = true;
      for (const p of preds) {
        if (!p(id)) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      const pubKey = Number.isNaN(pub) ? Number.NEGATIVE_INFINITY : pub;
      const p = byScore ? scores![i]! : pubKey;
      const s = byScore ? pubKey : id;
      const cl = cols.cluster[id]!;
      if (req.collapse && cl !== 0) {
        const b = best.get(cl);
        if (b === undefined) best.set(cl, { id, p, s, n: 1 });
        else {
          b.n++;
          if (p > b.p || (p === b.p && s > b.s)) {
            b.id = id;
            b.p = p;
            b.s = s;
          }
        }
        continue;
      }
      emit(id, p, s);
    }
    for (const b of best.values()) emit(b.id, b.p, b.s);

    const page = top.sorted().slice(req.offset);
    const hits: RawHit[] = page.map((h) => {
      const cl = cols.cluster[h.id]!;
      return {
        rowid: h.id,
        score: byScore ? h.primary : 0,
        clusterId: cl === 0 ? null : cl,
        collapsed: cl !== 0 && req.collapse ? (best.get(cl)?.n ?? 1) : 1,
      };
    });
    let facets: Facets | null = null;
    if (facetOn) {
      facets = {
        type: facetList(typeCount, (c) => cols.types.values[c]!),
        source: facetList(sourceCount, (c) => cols.sources.values[c]!).slice(0, 50),
        lang: facetList(langCount, (c) => cols.langs.values[c]!),
        month: [...monthCount.entries()]
          .filter(([m]) => m !== 0)
          .sort((x, y) => y[0] - x[0])
          .map(([m, count]) => ({ value: `${Math.floor(m / 100)}-${String(m % 100).padStart(2, '0')}`, count })),
      };
    }
    return { total, hits, facets };
  }

  documentFrequency(leaf: QueryNode): number {
    const expr = compileFts(leaf);
    if (expr === null) return 0;
    return this.ftsMatch(expr, false).ids.length;
  }
}

function codeSet(values: string[] | undefined, find: (v: string) => number | undefined): Set<number> | null {
  if (!values || values.length === 0) return null;
  const out = new Set<number>();
  for (const v of values) {
    const c = find(v);
    if (c !== undefined) out.add(c);
  }
  return out;
}

function facetList(m: Map<number, number>, name: (code: number) => string): FacetCount[] {
  return [...m.entries()]
    .map(([c, count]) => ({ value: name(c), count }))
    .sort((x, y) => y.count - x.count || x.value.localeCompare(y.value));
}

