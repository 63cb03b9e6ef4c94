/**
 * searchDocuments: the one search use case behind the CLI, the HTTP API and the page.
 * Parses the query, asks the store for the page of hits, then builds highlighted
 * snippets from token offsets, cluster "also in" lists and, on request, an explanation of
 * each score.
 */
import { tokenize } from '../analysis/terms.js';
import { LodestoneError } from '../core/errors.js';
import { parseUserDate, toIso } from '../core/time.js';
import type { StoredDocument } from '../core/types.js';
import { countOccurrences, findMatches, makeSnippet, type Range } from '../search/highlight.js';
import { type OrNode, positiveTextLeaves, printQuery, type QueryNode, type TextNode } from '../search/query/ast.js';
import { prepareQuery, publicTranslations } from './translation.js';
import type { LlmProvider } from '../llm/provider.js';
import { cachedSummary, type Summary } from './summaries.js';
import type { DocumentStore, Facets, SearchFilters } from '../store/ports.js';
import { B, bm25, BODY_WEIGHT, idf as idfOf, K1, TITLE_WEIGHT } from '../search/ranking.js';

export interface SearchParams {
  q: string;
  limit?: number;
  offset?: number;
  sort?: 'relevance' | 'newest';
  from?: string;
  to?: string;
  type?: string[];
  source?: string[];
  lang?: string[];
  collapse?: boolean;
  explain?: boolean;
  facets?: boolean;
  /** Search in both languages: each concept also as its translations (default true). */
  translate?: boolean;
  /** Translations the user switched off, by text. */
  off?: string[];
}

export interface ClusterOther {
  id: string;
  title: string;
  source: string;
  url: string | null;
  published_at: string | null;
}

export interface SearchHit {
  id: string;
  title: string;
  /** `title`, or for untitled items (many flashes) a duplicate's title or the opening words. */
  display_title: string;
  source: string;
  url: string | null;
  published_at: string | null;
  type: string;
  lang: string;
  score: number;
  snippet: string;
  /** [start, end) UTF-16 offsets of matches inside `snippet`. */
  highlights: Range[];
  /** [start, end) offsets of matches inside `title`. */
  title_highlights: Range[];
  /** Paragraph number the snippet comes from. */
  paragraph: number;
  cluster: { id: number; size: number; matched: number; others: ClusterOther[] } | null;
  /** The document's summary when one was made already (search never makes one). */
  summary: Summary | null;
  explain?: Explanation;
}

export interface Explanation {
  /** The store that ranked (sqlite, postgres): each computes the same formula. */
  engine: string;
  formula: string;
  /** The parsed query, as the engine understood it. */
  parsed_query: string;
  documents: number;
  avg_tokens: number;
  doc_tokens: number;
  terms: {
    query: string;
    expression: string;
    df: number;
    idf: number;
    tf_title: number;
    tf_body: number;
    weighted_tf: number;
    contribution: number;
    /** For a variant of a translated concept: the concept, the variant's scale, and whether it gave the concept its score. */
    concept?: string;
    scale?: number;
    counted?: boolean;
  }[];
  computed: number;
  index_score: number;
}

export interface SearchResponse {
  total: number;
  took_ms: number;
  query: string;
  sort: 'relevance' | 'newest';
  offset: number;
  limit: number;
  hits: SearchHit[];
  facets: Facets | null;
  /** What each concept of the query was also searched as (empty with translate=false). */
  translations: ReturnType<typeof publicTranslations>;
}

export const MAX_LIMIT = 100;

export function buildFilters(p: SearchParams): SearchFilters {
  const f: SearchFilters = {};
  if (p.from) f.from = parseUserDate(p.from);
  if (p.to) f.to = parseUserDate(p.to, undefined, true);
  if (f.from !== undefined && f.to !== undefined && f.from >= f.to) {
    throw new LodestoneError('bad_request', `--from ${p.from} is not before --to ${p.to}`);
  }
  if (p.type?.length) f.types = p.type;
  if (p.source?.length) f.sources = p.source;
  if (p.lang?.length) f.langs = p.lang;
  return f;
}

export async function searchDocuments(
  store: DocumentStore,
  p: SearchParams,
  /** With a model configured, results show its cached summary (in the document's language) before the extractive one. */
  opts: { llm?: LlmProvider | null } = {},
): Promise<SearchResponse> {
  const started = performance.now();
  const limit = p.limit ?? 10;
  const offset = p.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT)
    throw new LodestoneError('bad_request', `limit must be an integer from 0 to ${MAX_LIMIT}`);
  if (!Number.isInteger(offset) || offset < 0 || offset > 100_000)
    throw new LodestoneError('bad_request', 'offset must be an integer from 0 to 100000');
  const sort = p.sort ?? 'relevance';
  const { query, translations } = await prepareQuery(store, p.q ?? '', queryOptions(p));
  const raw = await store.search({
    query,
    filters: buildFilters(p),
    sort,
    collapse: p.collapse ?? true,
    limit,
    offset,
    facets: p.facets ?? true,
  });
  const docs = await store.getManyBySeq(raw.hits.map((h) => h.seq));
  const leaves = positiveTextLeaves(query);
  const hits: SearchHit[] = [];
  const stats = p.explain ? await store.indexStats() : null;
  const dfCache = new Map<TextNode, number>();
  for (const h of raw.hits) {
    const d = docs.get(h.seq);
    if (!d) continue; // deleted between the match and the fetch
    const texts = d.paragraphs.map((x) => x.text);
    const snip = makeSnippet(texts, leaves);
    let cluster: SearchHit['cluster'] = null;
    if (h.clusterId !== null) {
      const info = await store.cluster(h.clusterId);
      if (info) {
        cluster = {
          id: info.id,
          size: info.size,
          matched: h.collapsed,
          others: info.members
            .filter((m) => m.id !== d.id || m.source !== d.source)
            .map((m) => ({ id: m.id, title: m.title, source: m.source, url: m.url, published_at: toIso(m.publishedAt) })),
        };
      }
    }
    const display = displayTitle(d, cluster?.others ?? []);
    const hit: SearchHit = {
      id: d.id,
      title: d.title,
      display_title: display,
      source: d.source,
      url: d.url,
      published_at: toIso(d.publishedAt),
      type: d.type,
      lang: d.lang,
      score: Math.round(h.score * 1e4) / 1e4,
      snippet: snip.text,
      highlights: snip.highlights,
      title_highlights: findMatches(display, leaves, true),
      paragraph: snip.paragraph,
      cluster,
      summary: (opts.llm ? await cachedSummary(store, d, { llm: opts.llm }) : null) ?? (await cachedSummary(store, d)),
    };
    if (p.explain && stats) hit.explain = await explain(store, query, leaves, d, h.score, stats, dfCache, raw.conceptScales);
    hits.push(hit);
  }
  return {
    total: raw.total,
    took_ms: Math.round((performance.now() - started) * 10) / 10,
    query: printQuery(query),
    sort,
    offset,
    limit,
    hits,
    facets: raw.facets,
    translations: publicTranslations(translations, p.explain ?? false),
  };
}

export function queryOptions(p: { translate?: boolean | undefined; off?: string[] | undefined }) {
  return { translate: p.translate ?? true, ...(p.off ? { off: p.off } : {}) };
}

/**
 * Recompute a hit's score the way FTS5's bm25() does (k1 = 1.2, b = 0.75, column weights,
 * idf floored at 1e-6), term by term, so a user can see which term carried the score. The
 * query tree is evaluated as the store scores it: AND and OR add their children, a
 * translated concept takes its best variant, each variant scaled by the factor the store
 * used (`scale`; `counted` marks the variant that gave the concept its score).
 */
async function explain(
  store: DocumentStore,
  query: QueryNode | null,
  leaves: TextNode[],
  d: StoredDocument,
  indexScore: number,
  stats: { documents: number; avgTokens: number },
  dfCache: Map<TextNode, number>,
  scales: Map<OrNode, number[]> | undefined,
): Promise<Explanation> {
  const body = d.paragraphs.map((p) => p.text).join('\n');
  const docTokens = tokenize(`${d.title}\n${body}`).length;
  const terms: Explanation['terms'] = [];
  const byLeaf = new Map<TextNode, Explanation['terms'][number]>();
  for (const leaf of leaves) {
    let df = dfCache.get(leaf);
    if (df === undefined) {
      df = await store.documentFrequency(leaf);
      dfCache.set(leaf, df);
    }
    const idf = idfOf(stats.documents, df);
    const tfTitle = countOccurrences(d.title, leaf);
    const tfBody = leaf.field === 'title' ? 0 : d.paragraphs.reduce((s, p) => s + countOccurrences(p.text, leaf), 0);
    const w = TITLE_WEIGHT * tfTitle + BODY_WEIGHT * tfBody;
    const contribution = bm25(idf, w, docTokens, stats.avgTokens);
    const row = {
      query: leaf.raw,
      expression: store.leafExpression(leaf),
      df,
      idf: round(idf),
      tf_title: tfTitle,
      tf_body: tfBody,
      weighted_tf: w,
      contribution: round(contribution),
    };
    byLeaf.set(leaf, row);
    terms.push(row);
  }
  type Row = Explanation['terms'][number];
  const value = (n: QueryNode): { score: number; rows: Row[] } => {
    switch (n.kind) {
      case 'text': {
        const r = byLeaf.get(n);
        return { score: r?.contribution ?? 0, rows: r ? [r] : [] };
      }
      case 'filter':
      case 'not':
        return { score: 0, rows: [] };
      case 'and':
      case 'or': {
        const parts = n.children.map(value);
        if (n.kind === 'or' && n.concept) {
          const f = scales?.get(n) ?? n.children.map(() => 1);
          let best = -1;
          let score = 0;
          parts.forEach((p, i) => {
            const s = p.score * (f[i] ?? 1);
            for (const r of p.rows) {
              r.concept = n.concept!.source;
              r.scale = round(f[i] ?? 1);
            }
            // The variant the document matches with the best score (the first one on a tie).
            const matched = p.rows.length > 0 && p.rows.every((r) => r.weighted_tf > 0);
            if (matched && (best < 0 || s > score)) {
              score = s;
              best = i;
            }
          });
          parts.forEach((p, i) => {
            for (const r of p.rows) r.counted = i === best;
          });
          return { score, rows: parts.flatMap((p) => p.rows) };
        }
        return { score: parts.reduce((a, p) => a + p.score, 0), rows: parts.flatMap((p) => p.rows) };
      }
    }
  };
  const computed = query ? value(query).score : 0;
  return {
    engine: store.backend,
    formula: `BM25 (k1=${K1}, b=${B}); weighted_tf = ${TITLE_WEIGHT}*tf_title + ${BODY_WEIGHT}*tf_body; contribution = idf*weighted_tf*(k1+1)/(weighted_tf + k1*(1-b+b*doc_tokens/avg_tokens)); a translated concept scores its best variant, each variant's contributions times its scale`,
    parsed_query: printQuery(query),
    documents: stats.documents,
    avg_tokens: round(stats.avgTokens),
    doc_tokens: docTokens,
    terms,
    computed: round(computed),
    index_score: round(indexScore),
  };
}

/** Title to show: the document's own, a duplicate's, or the opening of the first paragraph. */
export function displayTitle(d: StoredDocument, others: { title: string }[]): string {
  if (d.title.trim() !== '') return d.title;
  const fromCluster = others.find((o) => o.title.trim() !== '');
  if (fromCluster) return fromCluster.title;
  const first = (d.paragraphs[0]?.text ?? '').trim();
  const bracket = /^【([^】]{2,80})】/.exec(first);
  if (bracket) return bracket[1]!;
  // A reprint that names its original headline: （原标题：…）
  const original = /^[（(]原标题[:：]\s*([^）)]{2,80})[）)]/.exec(first);
  if (original) return original[1]!.trim();
  // Skip an outlet dateline ("财联社8月18日电，", "人民网柏林7月28日电 ") and a byline in
  // brackets ("（记者黄浩然）", "(王利文)"), then cut at the first sentence end: a title never
  // starts with half a byline.
  const body = first
    .replace(/^[^，,。]{0,16}?\d{1,2}月\d{1,2}日(?:电|讯|消息)[，,：:]?\s*/, '')
    .replace(/^本报讯\s*/, '')
    .replace(/^[（(][^）)]{1,30}[）)]\s*/, '')
    .replace(/^记者(?:\s+[\u4e00-\u9fff]{2,3})+(?=\S)/, '')
    .replace(/^[▎|｜]\s*\S{0,12}(?:编辑|记者|撰文|作者)\s*/, '');
  const sentence = /^(.{4,60}?)[。！？!?；;]/.exec(body)?.[1] ?? body;
  return sentence.length > 60 ? `${sentence.slice(0, 60)}…` : sentence;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** Matches whose tags and levels are counted at most (the newest this many beyond): ~20-40 ms of the server at 10,000 on the flash corpus, 60-160 ms at 50,000. */
export const LABEL_FACET_MAX = 10_000;

/**
 * The publisher's tags and importance levels among a query's matches (`GET /api/search/labels`),
 * asked apart from the search so the results never wait for it: exact over every match up to
 * LABEL_FACET_MAX, else over the newest LABEL_FACET_MAX (`counted` < `total` says so).
 * A duplicate cluster counts once, as in the collapsed results.
 */
export async function searchLabels(store: DocumentStore, p: SearchParams) {
  const { query } = await prepareQuery(store, p.q ?? '', queryOptions(p));
  const req = { query, filters: buildFilters(p), sort: 'newest' as const, collapse: false, limit: 0, offset: 0, facets: false };
  const [tags, levels] = await Promise.all([store.labelCounts(req, 'tag', LABEL_FACET_MAX, 15), store.labelCounts(req, 'level', LABEL_FACET_MAX, 10)]);
  return { total: tags.total, counted: tags.counted, tags: tags.values, levels: levels.values };
}
