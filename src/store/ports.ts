/**
 * Store and search-backend interfaces. Every backend (SQLite now, PostgreSQL later)
 * passes the same contract suite in src/store/contract/. Methods are async so that a
 * networked backend fits the same shape.
 */
import type { AnalyzedDocument } from '../analysis/analyzer.js';
import type { ClusterInfo, StoredDocument } from '../core/types.js';
import type { QueryNode } from '../search/query/ast.js';

export type UpsertStatus = 'inserted' | 'updated' | 'unchanged';

export interface UpsertResult {
  key: string;
  id: string;
  rowid: number;
  status: UpsertStatus;
  clusterId: number | null;
}

export interface SearchFilters {
  /** Inclusive lower bound on published_at (epoch ms). */
  from?: number;
  /** Exclusive upper bound on published_at (epoch ms). */
  to?: number;
  types?: string[];
  sources?: string[];
  langs?: string[];
}

export interface SearchRequest {
  query: QueryNode | null;
  filters: SearchFilters;
  sort: 'relevance' | 'newest';
  collapse: boolean;
  limit: number;
  offset: number;
  facets: boolean;
}

export interface RawHit {
  rowid: number;
  /** Higher is better (negated FTS5 bm25); 0 when the query has no text. */
  score: number;
  clusterId: number | null;
  /** Matching members of the cluster collapsed into this hit (1 when not collapsed). */
  collapsed: number;
}

export interface FacetCount {
  value: string;
  count: number;
}

export interface Facets {
  type: FacetCount[];
  source: FacetCount[];
  lang: FacetCount[];
  month: FacetCount[];
}

export interface RawSearchResult {
  total: number;
  hits: RawHit[];
  facets: Facets | null;
}

export interface StoreStats {
  documents: number;
  clusters: number;
  clusteredDocuments: number;
  sources: FacetCount[];
  analyzer: string;
  schemaVersion: number;
}

export interface FetchRecord {
  url: string;
  /** Source name the documents were stored under ('' when it came from each document). */
  source: string;
  at: number;
  /** Documents stored (inserted + updated + unchanged) by this fetch. */
  items: number;
  error: string | null;
}

export interface SourceSummary {
  name: string;
  documents: number;
  lastIngestedAt: number | null;
  /** Set for sources added as a URL. */
  url: string | null;
  lastFetchAt: number | null;
  lastError: string | null;
}

export interface SummaryStatus {
  status: 'pending' | 'done' | 'failed';
  reason: string | null;
  updatedAt: number;
}

export interface SummaryRun {
  startedAt: number;
  finishedAt: number;
  scope: string;
  model: string;
  documents: number;
  failed: number;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  cost: number | null;
}

export interface SummaryKey {
  contentHash: string;
  template: string;
  model: string;
  lang: string;
}

export interface DocumentStore {
  readonly backend: string;
  /** Insert or update a batch in one transaction: documents, index entries and clusters commit together. */
  upsert(batch: AnalyzedDocument[]): Promise<UpsertResult[]>;
  /** Documents whose public id is `id` (several only when two sources share an external id). */
  findByPublicId(id: string): Promise<StoredDocument[]>;
  getByRowid(rowid: number): Promise<StoredDocument | null>;
  getManyByRowid(rowids: number[]): Promise<Map<number, StoredDocument>>;
  /** Delete documents (with index entries); clusters shrink or dissolve. */
  deleteByRowid(rowids: number[]): Promise<number>;
  search(req: SearchRequest): Promise<RawSearchResult>;
  /** Number of documents matching one text leaf (for explain). */
  documentFrequency(ftsLeaf: QueryNode): Promise<number>;
  cluster(clusterId: number): Promise<ClusterInfo | null>;
  clusters(minSize: number): Promise<ClusterInfo[]>;
  stats(): Promise<StoreStats>;
  /** Every source name with its document count and latest ingest, plus fetched URLs and their last outcome. */
  listSources(): Promise<SourceSummary[]>;
  /** Delete every document of a source (and its fetch records); returns how many documents went. */
  deleteSource(name: string): Promise<number>;
  /** Remember the outcome of fetching a URL the user added (shown on the sources page). */
  recordFetch(fetch: FetchRecord): Promise<void>;
  /** A cached summary (JSON text) made from this content with this template, model and language. */
  getSummary(key: SummaryKey): Promise<string | null>;
  putSummary(key: SummaryKey, body: string): Promise<void>;
  /** Where a summary stands: pending while being made, done, or failed with the reason. */
  setSummaryStatus(key: Omit<SummaryKey, 'template'>, status: SummaryStatus): Promise<void>;
  getSummaryStatus(key: Omit<SummaryKey, 'template'>): Promise<SummaryStatus | null>;
  /** Record a summarization run (usage and cost). */
  recordSummaryRun(run: SummaryRun): Promise<void>;
  /** Index statistics BM25 uses: document count and average tokens per document. */
  indexStats(): Promise<{ documents: number; avgTokens: number }>;
  close(): Promise<void>;
}
