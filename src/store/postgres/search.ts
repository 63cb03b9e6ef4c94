/**
 * Search on PostgreSQL: the query tree compiled to one SQL statement that matches, scores,
 * collapses, counts and pages inside the database, so any number of app servers share one
 * index and nothing is rebuilt at start.
 *
 * Matching (terms.ts): a text leaf is `terms @@ tsquery` (GIN), verified by string search
 * when it is a phrase or title-only. Scoring is the BM25 every backend computes
 * (search/ranking.ts) with the SQLite engine's composition: AND and OR add their
 * children's scores, a translated concept takes its best variant, each scaled so its best
 * document scores `weights[i]` times the literal's best (the scales come from a query per
 * concept before the main one), a variant that surely matches nothing is left out first.
 * Ties order as SQLite orders them: by publication time, then the earlier document.
 *
 * Queries past the time budget (LODESTONE_QUERY_TIMEOUT_MS) are cancelled by the server
 * (statement_timeout) and answered with query_too_costly.
 */
import type pg from 'pg';
import { labelFor, normalizeTicker } from '../../analysis/entities.js';
import { LodestoneError } from '../../core/errors.js';
import { config } from '../../core/config.js';
import type { FilterNode, OrNode, QueryNode, TextNode } from '../../search/query/ast.js';
import { B, BODY_WEIGHT, idf, K1, TITLE_WEIGHT } from '../../search/ranking.js';
import type { FacetCount, Facets, RawHit, RawSearchResult, SearchFilters, SearchRequest } from '../ports.js';
import { exactInTsvector, needle, overlapPattern, selfOverlapping, tsquery } from './terms.js';

/** Parameters of one statement: `p(v)` appends a value and returns its placeholder. */
class Params {
  readonly values: unknown[] = [];
  /** The corpus has documents whose terms overflowed their tsvector (CorpusStats.overflow). */
  constructor(readonly overflow = true) {}
  p(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

interface CorpusStats {
  documents: number;
  avgTokens: number;
  rev: number;
  /** Whether any document's terms overflowed its tsvector (terms.ts): only then must a leaf also look at those. */
  overflow: boolean;
}

/** The process's time zone: facet months are local months, as the SQLite engine counts them. */
const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export class PgSearcher {
  /** Document frequency of a leaf by its key, valid for one write generation (`rev`). */
  private readonly df = new Map<string, number>();
  private dfRev = -1;

  constructor(private readonly pool: pg.Pool) {}

  async corpusStats(client: pg.Pool | pg.PoolClient = this.pool): Promise<CorpusStats> {
    const r = await client.query<{ documents: number; tokens: number; rev: number; overflow: boolean }>(
      'SELECT documents, tokens, rev, EXISTS (SELECT 1 FROM documents WHERE overflow) AS overflow FROM doc_stats WHERE id = 1',
    );
    const s = r.rows[0]!;
    return {
      documents: Number(s.documents),
      avgTokens: s.documents > 0 ? Number(s.tokens) / Number(s.documents) : 0,
      rev: Number(s.rev),
      overflow: s.overflow,
    };
  }

  /** Run `fn` on one connection in a read-only snapshot with the query time budget. */
  private async budgeted<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      const ms = Math.max(1, Math.round(config().queryTimeoutMs));
      await c.query(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL statement_timeout = ${ms}`);
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      if ((err as { code?: string }).code === '57014') {
        throw new LodestoneError(
          'query_too_costly',
          `the query was stopped after ${Math.round(config().queryTimeoutMs)} ms (its time budget): use fewer terms, or words of two or more characters`,
        );
      }
      throw err;
    } finally {
      c.release();
    }
  }

  async documentFrequency(leaf: QueryNode): Promise<number> {
    if (leaf.kind !== 'text') return 0;
    return this.budgeted(async (c) => {
      const stats = await this.corpusStats(c);
      return (await this.frequencies(c, [leaf], stats))[0]!;
    });
  }

  /** Document frequencies of leaves over the whole corpus, cached per write generation; one scan for those not cached. */
  private async frequencies(c: pg.PoolClient, leaves: TextNode[], stats: CorpusStats): Promise<number[]> {
    if (this.dfRev !== stats.rev) {
      this.df.clear();
      this.dfRev = stats.rev;
    }
    const missing = [...new Map(leaves.filter((l) => !this.df.has(leafKey(l)) && l.terms.length > 0).map((l) => [leafKey(l), l])).values()];
    // One count a leaf: a count with FILTER clauses would read every candidate's tsvector
    // again, where a plain count over an exact leaf's bitmap reads none.
    for (const l of missing) {
      const ps = new Params(stats.overflow);
      const r = await c.query<{ n: number }>(`SELECT count(*) AS n FROM documents d WHERE ${leafMatch(l, ps)}`, ps.values);
      this.df.set(leafKey(l), Number(r.rows[0]!.n));
    }
    return leaves.map((l) => (l.terms.length === 0 ? 0 : this.df.get(leafKey(l))!));
  }

  async search(req: SearchRequest): Promise<RawSearchResult> {
    return this.budgeted(async (c) => {
      const stats = await this.corpusStats(c);
      const query = req.query === null ? null : await this.prune(c, req.query, stats);
      const conj = conjuncts(query);
      const relevance = req.sort === 'relevance';
      // Text conjuncts are scored (when relevance is asked); filters and negations only match.
      const scored = relevance ? conj.filter((n) => n.kind !== 'not' && scoreable(n)) : [];
      const byScore = scored.length > 0;
      const ctx: Compile = { idf: new Map(), scales: new Map(), stats };
      if (byScore) {
        const leaves = scored.flatMap((n) => textLeaves(n));
        const dfs = await this.frequencies(c, leaves, stats);
        leaves.forEach((l, i) => {
          ctx.idf.set(l, idf(stats.documents, dfs[i]!));
        });
        for (const concept of concepts(scored)) await this.conceptScales(c, concept, req.filters, ctx);
      }
      const ps = new Params(stats.overflow);
      const where = [rangeWhere(req.filters, ps), ...conj.map((n) => match(n, ps))].filter((w) => w !== '').join(' AND ') || 'true';
      const score = byScore ? scored.map((n) => `(${scoreOf(n, ps, ctx)})`).join(' + ') : '0::float8';
      const order = byScore ? 'score DESC, published_at DESC NULLS LAST, seq' : 'published_at DESC NULLS LAST, seq DESC';
      const collapse = req.collapse;
      const grouped = collapse
        ? `b AS (SELECT DISTINCT ON (g) seq, cluster_id, published_at, type, lang, source, score, count(*) OVER (PARTITION BY g) AS n
             FROM (SELECT *, CASE WHEN cluster_id IS NULL THEN -seq ELSE cluster_id END AS g FROM m) x ORDER BY g, ${order})`
        : 'b AS (SELECT m.*, 1 AS n FROM m)';
      const facets = req.facets
        ? `, (SELECT coalesce(json_agg(json_build_array(type, n)), '[]') FROM (SELECT type, count(*) AS n FROM b GROUP BY type) t) AS f_type,
             (SELECT coalesce(json_agg(json_build_array(lang, n)), '[]') FROM (SELECT lang, count(*) AS n FROM b GROUP BY lang) t) AS f_lang,
             (SELECT coalesce(json_agg(json_build_array(source, n)), '[]') FROM (SELECT source, count(*) AS n FROM b GROUP BY source) t) AS f_source,
             (SELECT coalesce(json_agg(json_build_array(mo, n)), '[]') FROM (
               SELECT to_char(to_timestamp(published_at / 1000.0) AT TIME ZONE ${ps.p(TIME_ZONE)}, 'YYYY-MM') AS mo, count(*) AS n
               FROM b WHERE published_at IS NOT NULL GROUP BY mo) t) AS f_month`
        : '';
      const sql = `WITH m AS MATERIALIZED (
          SELECT d.seq, d.cluster_id, d.published_at, d.type, d.lang, d.source, ${score} AS score FROM documents d WHERE ${where}
        ), ${grouped}
        SELECT (SELECT count(*) FROM b) AS total,
          (SELECT coalesce(json_agg(json_build_array(seq, score, cluster_id, n)), '[]') FROM (
            SELECT * FROM b ORDER BY ${order} LIMIT ${ps.p(req.limit)} OFFSET ${ps.p(req.offset)}) p) AS hits${facets}`;
      const r = (await c.query(sql, ps.values)).rows[0] as {
        total: number;
        hits: [number, number, number | null, number][];
        f_type?: [string, number][];
        f_lang?: [string, number][];
        f_source?: [string, number][];
        f_month?: [string, number][];
      };
      const hits: RawHit[] = r.hits.map(([seq, s, cluster, n]) => ({
        seq,
        score: byScore ? s : 0,
        clusterId: cluster,
        collapsed: cluster !== null && collapse ? Math.max(1, n) : 1,
      }));
      let f: Facets | null = null;
      if (req.facets) {
        f = {
          type: facetList(r.f_type!),
          source: facetList(r.f_source!).slice(0, 50),
          lang: facetList(r.f_lang!),
          month: r.f_month!.map(([value, count]) => ({ value, count: Number(count) })).sort((x, y) => (x.value < y.value ? 1 : x.value > y.value ? -1 : 0)),
        };
      }
      return { total: Number(r.total), hits, facets: f, ...(ctx.scales.size > 0 ? { conceptScales: ctx.scales } : {}) };
    });
  }

  /**
   * A concept's scale factors (see the module comment): each variant's best score over the
   * documents it matches inside the request's date and ingest range.
   */
  private async conceptScales(c: pg.PoolClient, node: OrNode, filters: SearchFilters, ctx: Compile): Promise<void> {
    const ps = new Params(ctx.stats.overflow);
    const range = rangeWhere(filters, ps);
    const children = node.children;
    const cols = children.map((_, i) => `max(${variantScore(node, i, ps, ctx)}) FILTER (WHERE ${variantMatch(node, i, ps)}) AS m${i}`);
    const sql = `SELECT ${cols.join(', ')} FROM documents d WHERE ${range === '' ? '' : `${range} AND `}(${children.map((_, i) => variantMatch(node, i, ps)).join(' OR ')})`;
    const row = (await c.query<Record<string, number | null>>(sql, ps.values)).rows[0]!;
    const maxes = children.map((_, i) => Number(row[`m${i}`] ?? 0));
    const { weights } = node.concept!;
    let ref = maxes[0]!;
    if (!(ref > 0)) for (let i = 1; i < maxes.length; i++) if (maxes[i]! > ref) ref = maxes[i]!;
    ctx.scales.set(
      node,
      maxes.map((m, i) => (i > 0 && m > 0 ? ((weights[i] ?? 1) * ref) / m : 1)),
    );
  }

  /**
   * Variants of a translated concept that surely match nothing are left out, and a concept
   * left with one variant is that variant alone, as the SQLite engine plans it: a single
   * term (not a prefix) that no document holds makes its variant empty.
   */
  private async prune(c: pg.PoolClient, q: QueryNode, stats: CorpusStats): Promise<QueryNode> {
    const singles = new Map<string, TextNode>();
    const walk = (n: QueryNode) => {
      if (n.kind === 'or' && n.concept) for (const ch of n.children) for (const t of candidateSingles(ch)) singles.set(leafKey(t), t);
      if (n.kind === 'and' || n.kind === 'or') n.children.forEach(walk);
      else if (n.kind === 'not') walk(n.child);
    };
    walk(q);
    if (singles.size === 0) return q;
    const leaves = [...singles.values()];
    const dfs = await this.frequencies(c, leaves, stats);
    const empty = new Set(leaves.filter((_, i) => dfs[i] === 0).map(leafKey));
    const surelyEmpty = (n: QueryNode): boolean => {
      if (n.kind === 'and') return n.children.some((ch) => ch.kind === 'text' && surelyEmpty(ch));
      if (n.kind !== 'text' || n.prefix || n.terms.length === 0) return false;
      return n.terms.some((t) => empty.has(leafKey(single(n, t))));
    };
    const rewrite = (n: QueryNode): QueryNode => {
      switch (n.kind) {
        case 'text':
        case 'filter':
          return n;
        case 'not': {
          const ch = rewrite(n.child);
          return ch === n.child ? n : { kind: 'not', child: ch };
        }
        case 'and':
        case 'or': {
          if (n.kind === 'or' && n.concept) {
            const alive = n.children.filter((ch) => !surelyEmpty(ch));
            if (alive.length === 1) return alive[0]!;
            if (alive.length === n.children.length) return n;
            // Pruned variants stay in the tree (explain lists them) but match nothing.
            return { ...n, children: n.children.map((ch) => (alive.includes(ch) ? ch : { kind: 'and', children: [ch, NOTHING] })) };
          }
          const children = n.children.map(rewrite);
          return children.every((ch, i) => ch === n.children[i]) ? n : { ...n, children };
        }
      }
    };
    return rewrite(q);
  }
}

/** A leaf that matches nothing (a pruned variant's stand-in). */
const NOTHING: TextNode = { kind: 'text', raw: '', terms: [], prefix: false, field: null as unknown as TextNode['field'], quoted: false };

interface Compile {
  idf: Map<TextNode, number>;
  scales: Map<OrNode, number[]>;
  stats: CorpusStats;
}

function leafKey(l: TextNode): string {
  return `${l.field === 'title' ? 't' : 'a'}|${l.prefix ? 'p' : 'w'}|${l.terms.join(' ')}`;
}

function single(n: TextNode, t: string): TextNode {
  return { kind: 'text', raw: t, terms: [t], prefix: false, field: n.field, quoted: false };
}

/** The single terms whose absence would make a concept's variant surely empty. */
function candidateSingles(n: QueryNode): TextNode[] {
  if (n.kind === 'and') return n.children.flatMap((ch) => (ch.kind === 'text' ? candidateSingles(ch) : []));
  if (n.kind !== 'text' || n.prefix || n.terms.length === 0) return [];
  return n.terms.map((t) => single(n, t));
}

/** A text leaf's match (alias d): see terms.ts. */
function leafMatch(l: TextNode, ps: Params): string {
  if (l.terms.length === 0) return 'false';
  const q = `d.terms @@ ${ps.p(tsquery(l))}::tsquery`;
  const exact = exactInTsvector(l);
  // Where no document's terms overflowed the tsvector, an exact leaf is the index condition
  // alone: no row's tsvector is read again.
  if (exact && !ps.overflow) return q;
  const n = ps.p(needle(l));
  const found = l.field === 'title' ? `strpos(d.title_terms, ${n}) > 0` : `(strpos(d.title_terms, ${n}) > 0 OR strpos(d.body_terms, ${n}) > 0)`;
  if (!ps.overflow) return `(${q} AND ${found})`;
  // Documents whose terms overflowed are always candidates, then verified.
  return exact ? `(${q} OR (d.overflow AND ${found}))` : `((${q} OR d.overflow) AND ${found})`;
}

/** BM25 of a leaf for the row (0 where it does not occur). */
function leafScore(l: TextNode, ps: Params, ctx: Compile): string {
  if (l.terms.length === 0) return '0::float8';
  const overlap = selfOverlapping(l);
  const n = ps.p(overlap ? overlapPattern(l) : needle(l));
  const occ = (col: string) => (overlap ? `regexp_count(${col}, ${n})` : `lodestone_occ(${col}, ${n})`);
  const w =
    l.field === 'title'
      ? `(${TITLE_WEIGHT} * ${occ('d.title_terms')})`
      : `(${TITLE_WEIGHT} * ${occ('d.title_terms')} + ${BODY_WEIGHT} * ${occ('d.body_terms')})`;
  const i = ctx.idf.get(l) ?? idf(ctx.stats.documents, 0);
  const norm = `${K1} * (1 - ${B} + ${B} * d.ntokens / ${Math.max(1, ctx.stats.avgTokens)}::float8)`;
  return `(SELECT CASE WHEN x.w > 0 THEN ${i}::float8 * x.w * ${K1 + 1} / (x.w + ${norm}) ELSE 0 END FROM (SELECT ${w}::float8 AS w) x)`;
}

function filterMatch(f: FilterNode, ps: Params): string {
  const v = f.value;
  switch (f.field) {
    case 'type':
      return `d.type = ${ps.p(v.toLowerCase())}`;
    case 'lang':
      return `d.lang = ${ps.p(v.toLowerCase())}`;
    case 'source':
      return `lower(d.source) = ${ps.p(v.trim().toLowerCase())}`;
    case 'tag':
    case 'level':
      return `EXISTS (SELECT 1 FROM labels l WHERE l.label = ${ps.p(labelFor(f.field, v))} AND l.seq = d.seq)`;
    default:
      return `EXISTS (SELECT 1 FROM tickers t WHERE t.ticker = ${ps.p(normalizeTicker(v))} AND t.seq = d.seq)`;
  }
}

/** Whether a document matches a subtree. */
function match(n: QueryNode, ps: Params): string {
  switch (n.kind) {
    case 'text':
      return leafMatch(n, ps);
    case 'filter':
      return filterMatch(n, ps);
    case 'not':
      return `NOT (${match(n.child, ps)})`;
    case 'and':
      return n.children.length === 0 ? 'true' : `(${n.children.map((ch) => match(ch, ps)).join(' AND ')})`;
    case 'or':
      if (n.concept) return `(${n.children.map((_, i) => variantMatch(n, i, ps)).join(' OR ')})`;
      return n.children.length === 0 ? 'false' : `(${n.children.map((ch) => match(ch, ps)).join(' OR ')})`;
  }
}

/** A concept's variant matches; an English variant only outside Chinese documents. */
function variantMatch(n: OrNode, i: number, ps: Params): string {
  const m = match(n.children[i]!, ps);
  return n.concept!.langs[i] === 'en' ? `(d.lang <> 'zh' AND ${m})` : m;
}

function variantScore(n: OrNode, i: number, ps: Params, ctx: Compile): string {
  const s = scoreOf(n.children[i]!, ps, ctx);
  return n.concept!.langs[i] === 'en' ? `(CASE WHEN d.lang <> 'zh' THEN ${s} ELSE 0 END)` : s;
}

/** The score of a scoreable subtree (see `scoreable`). */
function scoreOf(n: QueryNode, ps: Params, ctx: Compile): string {
  switch (n.kind) {
    case 'text':
      return leafScore(n, ps, ctx);
    case 'filter':
    case 'not':
      return '0::float8';
    case 'and': {
      // The sum of its positive children, where the whole conjunction matches (under an OR
      // it may not, while some of its terms still occur).
      const pos = n.children.filter((ch) => ch.kind !== 'not');
      if (pos.length === 0) return '0::float8';
      return `(CASE WHEN ${match(n, ps)} THEN ${pos.map((ch) => `(${scoreOf(ch, ps, ctx)})`).join(' + ')} ELSE 0 END)`;
    }
    case 'or': {
      if (n.concept) {
        const f = ctx.scales.get(n) ?? n.children.map(() => 1);
        const parts = n.children.map((_, i) => `(CASE WHEN ${variantMatch(n, i, ps)} THEN (${variantScore(n, i, ps, ctx)}) * ${f[i] ?? 1}::float8 END)`);
        return `coalesce(GREATEST(${parts.join(', ')}), 0)`;
      }
      // A union adds the scores of the children a document matches (others score 0).
      return n.children.length === 0 ? '0::float8' : n.children.map((ch) => `(${scoreOf(ch, ps, ctx)})`).join(' + ');
    }
  }
}

/** Whether the SQLite engine scores a subtree as a set (text only; NOT allowed inside AND beside a positive child). */
function scoreable(n: QueryNode): boolean {
  switch (n.kind) {
    case 'text':
      return true;
    case 'filter':
    case 'not':
      return false;
    case 'or':
      return n.children.every(scoreable);
    case 'and': {
      const pos = n.children.filter((ch) => ch.kind !== 'not');
      return pos.length > 0 && n.children.every((ch) => (ch.kind === 'not' ? scoreable(ch.child) : scoreable(ch)));
    }
  }
}

function textLeaves(n: QueryNode, out: TextNode[] = []): TextNode[] {
  if (n.kind === 'text') out.push(n);
  else if (n.kind === 'and' || n.kind === 'or') for (const ch of n.children) textLeaves(ch, out);
  return out;
}

/** Concepts in post-order (inner ones first: an outer concept's variants score with the inner scales). */
function concepts(nodes: QueryNode[], out: OrNode[] = []): OrNode[] {
  for (const n of nodes) {
    if (n.kind === 'and' || n.kind === 'or') concepts(n.children, out);
    if (n.kind === 'or' && n.concept) out.push(n);
  }
  return out;
}

/** The top-level conjunction, nested ANDs flattened (as the SQLite engine plans it). */
function conjuncts(q: QueryNode | null): QueryNode[] {
  if (q === null) return [];
  if (q.kind === 'and') return q.children.flatMap(conjuncts);
  return [q];
}

/** The request's own filters: dates, ingest range, types, sources, languages. */
function rangeWhere(f: SearchFilters, ps: Params): string {
  const w: string[] = [];
  if (f.from !== undefined) w.push(`d.published_at >= ${ps.p(f.from)}`);
  if (f.to !== undefined) w.push(`d.published_at < ${ps.p(f.to)}`);
  if (f.afterSeq !== undefined) w.push(`d.seq > ${ps.p(f.afterSeq)}`);
  if (f.throughSeq !== undefined) w.push(`d.seq <= ${ps.p(f.throughSeq)}`);
  if (f.types) w.push(`d.type = ANY(${ps.p(f.types.map((t) => t.toLowerCase()))}::text[])`);
  if (f.langs) w.push(`d.lang = ANY(${ps.p(f.langs.map((t) => t.toLowerCase()))}::text[])`);
  if (f.sources) w.push(`lower(d.source) = ANY(${ps.p(f.sources.map((t) => t.trim().toLowerCase()))}::text[])`);
  return w.join(' AND ');
}

function facetList(rows: [string, number][]): FacetCount[] {
  return rows.map(([value, count]) => ({ value, count: Number(count) })).sort((x, y) => y.count - x.count || x.value.localeCompare(y.value));
}
