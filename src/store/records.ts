/**
 * Persisted shapes: what the stores keep and hand back, in one place that every backend
 * (src/store/sqlite, src/store/postgres) and the domain modules (src/workflows, services)
 * import. Workflows are tracked topics that run on a schedule and deliver digests; the
 * repositories that keep them are in ports.ts.
 */

export interface WebhookTarget {
  url: string;
  /** HMAC-SHA256 key for the X-Lodestone-Signature header (generated when not given). */
  secret: string;
}

export interface WorkflowSpec {
  name: string;
  /** Full query language (src/search/query). */
  query: string;
  filters: { type?: string[]; source?: string[]; lang?: string[] };
  /** Output language of summaries and the brief; null: each document's own. */
  lang: 'en' | 'zh' | null;
  /** Five- or six-field cron expression, or null for manual runs only. */
  schedule: string | null;
  /** IANA time zone the schedule is read in. */
  tz: string;
  summarize: boolean;
  brief: boolean;
  webhook: WebhookTarget | null;
  /** Most items one run delivers; the rest are counted and reported as capped. */
  maxItems: number;
  /** Poll the feeds the workflow depends on (its source filter, or every feed) before selecting. */
  refreshFeeds: boolean;
  /**
   * How far the first run reaches back: documents published in the last N days before the
   * workflow was created (undated documents are left out of it); 0 starts from now.
   */
  firstRunDays: number;
  /** Search in both languages (search/translate), as a search does by default. */
  translate: boolean;
}

export interface Workflow extends WorkflowSpec {
  id: number;
  paused: boolean;
  createdAt: number;
  updatedAt: number;
  /** The first run takes documents stored after this document id. */
  startAfter: number;
}

/** `skipped`: a trigger that found another run of the workflow in progress (kept for the history). */
export type RunStatus = 'running' | 'done' | 'failed' | 'skipped';
export type RunTrigger = 'manual' | 'schedule' | 'catch-up' | 'api';

export interface WorkflowRun {
  id: number;
  /** 1 for a workflow's first run, 2 for its second, …: what users call it (`id` is store-wide). */
  number: number;
  workflowId: number;
  trigger: RunTrigger;
  scheduledFor: number | null;
  status: RunStatus;
  reason: string | null;
  fromDoc: number;
  toDoc: number;
  selected: boolean;
  matched: number;
  capped: number;
  owner: string;
  startedAt: number;
  heartbeatAt: number;
  finishedAt: number | null;
  brief: string | null;
}

export interface RunItemRow {
  pos: number;
  kind: 'item' | 'repeat';
  docId: number;
  docKey: string;
  clusterId: number | null;
  repeatOfRun: number | null;
  summaryState: 'none' | 'done' | 'failed';
  summaryError: string | null;
}

export interface Delivery {
  id: number;
  workflowId: number;
  runId: number;
  target: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface FeedPoll {
  url: string;
  source: string;
  schedule: string | null;
  etag: string | null;
  lastModified: string | null;
  failures: number;
  nextPollAt: number | null;
  lastFetchAt: number;
  lastError: string | null;
}

export type UpsertStatus = 'inserted' | 'updated' | 'unchanged';

export interface UpsertResult {
  key: string;
  id: string;
  seq: number;
  status: UpsertStatus;
  clusterId: number | null;
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
  /** Feeds: consecutive failed polls and the back-off's next attempt. */
  failures: number;
  nextPollAt: number | null;
  feed: boolean;
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

/**
 * The tables besides documents that `lodestone migrate` copies between backends, with
 * their columns in a backend-neutral form: whole numbers (times, ids, counts), text,
 * reals, and booleans (0/1). Every backend keeps these tables under these names and
 * columns; `ref` marks columns that hold a document seq, mapped to the target's seqs.
 */
export type PortableKind = 'int' | 'text' | 'real' | 'bool';
export interface PortableTable {
  name: string;
  /** The primary key's columns: a row already in the target is left as it is (a re-run copies nothing twice). */
  key: string[];
  columns: { name: string; kind: PortableKind; ref?: 'seq' }[];
}
export type PortableRow = Record<string, string | number | null>;

const col = (name: string, kind: PortableKind, ref?: 'seq') => (ref ? { name, kind, ref } : { name, kind });

export const PORTABLE_TABLES: PortableTable[] = [
  {
    name: 'summaries',
    key: ['content_hash', 'template', 'model', 'lang'],
    columns: [col('content_hash', 'text'), col('template', 'text'), col('model', 'text'), col('lang', 'text'), col('created_at', 'int'), col('body', 'text')],
  },
  {
    name: 'summary_status',
    key: ['content_hash', 'model', 'lang'],
    columns: [col('content_hash', 'text'), col('model', 'text'), col('lang', 'text'), col('status', 'text'), col('reason', 'text'), col('updated_at', 'int')],
  },
  {
    name: 'summary_runs',
    key: ['id'],
    columns: [
      col('id', 'int'),
      col('started_at', 'int'),
      col('finished_at', 'int'),
      col('scope', 'text'),
      col('model', 'text'),
      col('documents', 'int'),
      col('failed', 'int'),
      col('requests', 'int'),
      col('prompt_tokens', 'int'),
      col('completion_tokens', 'int'),
      col('cost', 'real'),
    ],
  },
  {
    name: 'fetches',
    key: ['url'],
    columns: [
      col('url', 'text'),
      col('source', 'text'),
      col('last_fetch_at', 'int'),
      col('items', 'int'),
      col('last_error', 'text'),
      col('kind', 'text'),
      col('schedule', 'text'),
      col('etag', 'text'),
      col('last_modified', 'text'),
      col('failures', 'int'),
      col('next_poll_at', 'int'),
    ],
  },
  { name: 'deleted_keys', key: ['key'], columns: [col('key', 'text'), col('deleted_at', 'int')] },
  {
    name: 'workflows',
    key: ['id'],
    columns: [
      col('id', 'int'),
      col('name', 'text'),
      col('spec', 'text'),
      col('paused', 'bool'),
      col('created_at', 'int'),
      col('updated_at', 'int'),
      col('start_after', 'int', 'seq'),
    ],
  },
  {
    name: 'workflow_runs',
    key: ['id'],
    columns: [
      col('id', 'int'),
      col('workflow_id', 'int'),
      col('trigger', 'text'),
      col('scheduled_for', 'int'),
      col('status', 'text'),
      col('reason', 'text'),
      col('from_doc', 'int', 'seq'),
      col('to_doc', 'int', 'seq'),
      col('selected', 'bool'),
      col('matched', 'int'),
      col('capped', 'int'),
      col('owner', 'text'),
      col('started_at', 'int'),
      col('heartbeat_at', 'int'),
      col('finished_at', 'int'),
      col('brief', 'text'),
    ],
  },
  {
    name: 'workflow_items',
    key: ['run_id', 'pos'],
    columns: [
      col('run_id', 'int'),
      col('pos', 'int'),
      col('kind', 'text'),
      col('doc_id', 'int', 'seq'),
      col('doc_key', 'text'),
      col('cluster_id', 'int'),
      col('repeat_of_run', 'int'),
      col('summary_state', 'text'),
      col('summary_error', 'text'),
    ],
  },
  { name: 'workflow_seen', key: ['workflow_id', 'doc_key'], columns: [col('workflow_id', 'int'), col('doc_key', 'text'), col('run_id', 'int')] },
  {
    name: 'deliveries',
    key: ['id'],
    columns: [
      col('id', 'int'),
      col('workflow_id', 'int'),
      col('run_id', 'int'),
      col('target', 'text'),
      col('status', 'text'),
      col('attempts', 'int'),
      col('last_status', 'int'),
      col('last_error', 'text'),
      col('next_attempt_at', 'int'),
      col('created_at', 'int'),
      col('updated_at', 'int'),
    ],
  },
];
