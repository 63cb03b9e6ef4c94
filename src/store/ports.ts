/**
 * Store and search-backend interfaces. Every backend (src/store/sqlite, src/store/postgres)
 * passes the same contract suite in src/store/contract/. Methods are async so that a
 * networked backend fits the same shape. Nothing here names a backend's mechanics:
 * documents are numbered by `seq` (ingest order, never reused), scores are the BM25 of
 * search/ranking.ts, and what a backend says about itself (its query expression for a
 * leaf, its version and sizes) it says through `leafExpression` and `stats`.
 */
import type { AnalyzedDocument } from '../analysis/analyzer.js';
import type { TermSet } from '../analysis/term-hits.js';
import type { ClusterInfo, StoredDocument } from '../core/types.js';
import type { OrNode, QueryNode, TextNode } from '../search/query/ast.js';
import type {
  Delivery,
  FeedPoll,
  FetchRecord,
  PortableRow,
  PortableTable,
  RunItemRow,
  RunTrigger,
  SourceSummary,
  SummaryKey,
  SummaryRun,
  SummaryStatus,
  UpsertResult,
  Workflow,
  WorkflowRun,
  WorkflowSpec,
} from './records.js';

export type { FetchRecord, SourceSummary, SummaryKey, SummaryRun, SummaryStatus, UpsertResult, UpsertStatus } from './records.js';

export interface SearchFilters {
  /** Only documents stored after this sequence number (ingest order; workflows' "new since"). */
  afterSeq?: number;
  /** Only documents stored up to and including this sequence number. */
  throughSeq?: number;
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
  seq: number;
  /** BM25 (search/ranking.ts), higher is better; 0 when the query has no text. */
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
  /** Per translated concept of the query (ast.ts OrNode.concept): the factor each variant's BM25 scores were scaled by (explain). */
  conceptScales?: Map<OrNode, number[]>;
}

export interface StoreStats {
  documents: number;
  clusters: number;
  clusteredDocuments: number;
  sources: FacetCount[];
  analyzer: string;
  schemaVersion: number;
  backend: BackendInfo;
}

/** What `stats` says about the database itself. */
export interface BackendInfo {
  /** sqlite | postgres */
  name: string;
  /** The engine's version (sqlite_version(), server_version). */
  version: string;
  /** The file, or the database URL without its password. */
  location: string;
  /** Bytes on disk: the whole database, then its largest parts. */
  sizeBytes: number;
  parts: { name: string; bytes: number }[];
}

export interface DocumentStore {
  readonly backend: string;
  /** Insert or update a batch in one transaction: documents, index entries and clusters commit together. */
  upsert(batch: AnalyzedDocument[]): Promise<UpsertResult[]>;
  /**
   * Terms whose occurrences the store records for every document it writes (SQLite: its hot
   * lists), for ingest's analysis workers to locate off the writing thread
   * (`AnalyzedDocument.located`); null when there are none. The set's id changes whenever
   * its terms do, and `upsert` locates them itself for documents located against another id.
   */
  termsToLocate?(): TermSet | null;
  /** Documents whose public id is `id` (several only when two sources share an external id). */
  findByPublicId(id: string): Promise<StoredDocument[]>;
  /** The document stored under a key (DocumentInput.key), or null. */
  findByKey(key: string): Promise<StoredDocument | null>;
  getBySeq(seq: number): Promise<StoredDocument | null>;
  getManyBySeq(seqs: number[]): Promise<Map<number, StoredDocument>>;
  /** Delete documents (with index entries); clusters shrink or dissolve. */
  deleteBySeq(seqs: number[]): Promise<number>;
  /** Remember that a user deleted the documents stored under these keys (feeds must not bring them back). */
  rememberDeleted(keys: string[], at: number): Promise<void>;
  /** Which of these keys a user deleted (and nothing has stored again since). */
  deletedKeys(keys: string[]): Promise<Set<string>>;
  search(req: SearchRequest): Promise<RawSearchResult>;
  /**
   * How many of the stories a request matches (a duplicate cluster counts once) carry each
   * label of a kind (`tag:` / `level:`), most frequent first: over every match when there are
   * at most `max`, else over the first `max` in the request's order (`counted` says which).
   */
  labelCounts(req: SearchRequest, kind: 'tag' | 'level', max: number, top: number): Promise<{ counted: number; total: number; values: { value: string; count: number }[] }>;
  /** Number of documents matching one text leaf (for explain). */
  documentFrequency(leaf: QueryNode): Promise<number>;
  /** The backend's own expression for a text leaf (FTS5 MATCH, tsquery), shown by explain. */
  leafExpression(leaf: TextNode): string;
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
  /** Workflows, their runs, items, deliveries and feed polling state (same database). */
  readonly workflows: WorkflowRepo;
  /**
   * Files every process of a deployment must share (user dictionary, glossary: see
   * services/shared-files.ts), kept in the database by a backend that several machines
   * share; absent when the data directory is shared anyway (SQLite).
   */
  readonly sharedFiles?: {
    all(): Promise<Map<string, string>>;
    put(name: string, body: string, at: number): Promise<void>;
  };
  /** Documents stored after `seq`, in seq order, at most `limit` (copying a store: `lodestone migrate`). */
  documentsAfter(seq: number, limit: number): Promise<StoredDocument[]>;
  /** Every row of a portable table (records.ts PORTABLE_TABLES), in key order. */
  exportRows(table: PortableTable): Promise<PortableRow[]>;
  /** Insert rows of a portable table, leaving rows whose key is already there as they are; returns how many were new. */
  importRows(table: PortableTable, rows: PortableRow[]): Promise<number>;
  /** Index statistics BM25 uses: document count and average tokens per document. */
  indexStats(): Promise<{ documents: number; avgTokens: number }>;
  close(): Promise<void>;
}

export type BeginRun = { run: WorkflowRun; resumed: boolean } | { busy: WorkflowRun };

export interface NewRunItem {
  kind: RunItemRow['kind'];
  docId: number;
  docKey: string;
  clusterId: number | null;
  repeatOfRun: number | null;
}

/** Persistence of workflows (src/workflows). Every method commits on its own. */
export interface WorkflowRepo {
  create(spec: WorkflowSpec, startAfter: number, now: number): Promise<Workflow>;
  update(id: number, spec: WorkflowSpec, now: number): Promise<Workflow>;
  setPaused(id: number, paused: boolean, now: number): Promise<void>;
  /** Delete a workflow with its runs, items, delivered-set and deliveries. */
  remove(id: number): Promise<void>;
  get(name: string): Promise<Workflow | null>;
  list(): Promise<Workflow[]>;
  /** Highest document id stored so far: documents are numbered in ingest order. */
  maxDocId(): Promise<number>;
  /** Highest document id stored before `at` (epoch ms), 0 when none. */
  lastDocIdBefore(at: number): Promise<number>;
  /**
   * Start a run covering documents after the last done run, or take over the workflow's
   * running run when `abandoned(run)` says its owner is gone. Atomic: of two concurrent
   * callers one gets the run, the other `busy`.
   */
  beginRun(
    workflow: Workflow,
    opts: { trigger: RunTrigger; scheduledFor: number | null; owner: string; now: number; abandoned: (run: WorkflowRun) => boolean },
  ): Promise<BeginRun>;
  /** Record a trigger that was skipped (another run in progress), for the history. */
  recordSkipped(workflowId: number, trigger: RunTrigger, scheduledFor: number | null, reason: string, now: number): Promise<number>;
  /** Store the run's selection and mark its documents delivered for this workflow, in one transaction. */
  recordSelection(run: WorkflowRun, items: NewRunItem[], seenKeys: string[], matched: number, capped: number): Promise<void>;
  items(runId: number): Promise<RunItemRow[]>;
  setItemSummary(runId: number, pos: number, state: RunItemRow['summaryState'], error: string | null): Promise<void>;
  heartbeat(runId: number, now: number): Promise<void>;
  /** Close a run; a done run queues one pending delivery per target in the same transaction. */
  finishRun(runId: number, status: 'done' | 'failed', reason: string | null, brief: string | null, now: number, targets: string[]): Promise<void>;
  runs(workflowId: number, limit: number): Promise<WorkflowRun[]>;
  run(runId: number): Promise<WorkflowRun | null>;
  lastDone(workflowId: number): Promise<WorkflowRun | null>;
  /** Which of `keys` this workflow delivered before. */
  seen(workflowId: number, keys: string[]): Promise<Set<string>>;
  /** Key and cluster of each stored document (what a selection needs, without the text). */
  docKeys(seqs: number[]): Promise<Map<number, { key: string; clusterId: number | null }>>;
  /** Keys of the documents in a duplicate cluster. */
  clusterKeys(clusterId: number): Promise<string[]>;
  /** Items of the workflow's latest done runs, newest run first (Atom feed). */
  recentItems(workflowId: number, limit: number): Promise<(RunItemRow & { runId: number; finishedAt: number })[]>;
  deliveries(workflowId: number, limit: number): Promise<Delivery[]>;
  dueDeliveries(now: number, workflowId?: number): Promise<Delivery[]>;
  updateDelivery(d: Delivery): Promise<void>;
  /** Feeds the user added by URL, with their polling state. */
  feeds(): Promise<FeedPoll[]>;
  updateFeed(url: string, patch: Partial<Pick<FeedPoll, 'schedule' | 'etag' | 'lastModified' | 'failures' | 'nextPollAt'>> & { kind?: 'feed' | 'page' }): Promise<void>;
}
