/**
 * Rows as both backends read them, and their mapping to the persisted shapes (records.ts):
 * documents, the sources page's merge of documents and fetched URLs, workflows, runs, items
 * and deliveries. SQLite stores booleans as 0/1, PostgreSQL as booleans: both read here.
 */
import { type DocType, isDocType, type Paragraph, type StoredDocument } from '../core/types.js';
import { saneTime } from '../core/time.js';
import { DEFAULT_FIRST_RUN_DAYS } from '../workflows/spec.js';
import type { Delivery, RunItemRow, SourceSummary, Workflow, WorkflowRun, WorkflowSpec } from './records.js';

export interface DocRow {
  seq: number;
  public_id: string;
  key: string;
  external_id: string | null;
  title: string;
  source: string;
  url: string | null;
  published_at: number | null;
  fetched_at: number;
  ingested_at: number;
  type: string;
  lang: string;
  script: string;
  paragraphs: string;
  pages: string | null;
  metadata: string;
  tickers: string;
  content_hash: string;
  cluster_id: number | null;
  original_hash: string | null;
}

/** A stored document from its row (a date outside the sane range reads as undated). */
export function toStored(r: DocRow): StoredDocument {
  const texts = JSON.parse(r.paragraphs) as string[];
  const pages = r.pages ? (JSON.parse(r.pages) as (number | null)[]) : null;
  const paragraphs: Paragraph[] = texts.map((text, i) => {
    const page = pages?.[i];
    return page === null || page === undefined ? { n: i + 1, text } : { n: i + 1, text, page };
  });
  return {
    seq: r.seq,
    id: r.public_id,
    key: r.key,
    externalId: r.external_id,
    title: r.title,
    source: r.source,
    url: r.url,
    publishedAt: saneTime(r.published_at),
    fetchedAt: r.fetched_at,
    ingestedAt: r.ingested_at,
    type: (isDocType(r.type) ? r.type : 'news') as DocType,
    lang: r.lang,
    script: r.script,
    paragraphs,
    metadata: JSON.parse(r.metadata) as Record<string, unknown>,
    tickers: r.tickers === '' ? [] : r.tickers.split(' '),
    contentHash: r.content_hash,
    clusterId: r.cluster_id,
    originalHash: r.original_hash,
  };
}

export interface SourceCountRow {
  source: string;
  n: number;
  last: number | null;
}

export interface FetchRow {
  url: string;
  source: string;
  last_fetch_at: number;
  items: number;
  last_error: string | null;
  failures: number;
  next_poll_at: number | null;
  kind: string | null;
}

/** The sources page: each source's documents, and the URLs the user added with their last outcome. */
export function mergeSources(docs: SourceCountRow[], fetches: FetchRow[]): SourceSummary[] {
    const out = new Map<string, SourceSummary>();
    const row = (name: string, documents: number, lastIngestedAt: number | null): SourceSummary => ({
      name,
      documents,
      lastIngestedAt,
      url: null,
      lastFetchAt: null,
      lastError: null,
      failures: 0,
      nextPollAt: null,
      feed: false,
    });
    for (const d of docs) out.set(d.source, row(d.source, d.n, d.last));
    for (const f of fetches) {
      // A URL whose documents carry their own source names is listed under the URL itself.
      const name = f.source !== '' ? f.source : f.url;
      const r = out.get(name) ?? row(name, 0, null);
      if (r.lastFetchAt === null || f.last_fetch_at > r.lastFetchAt) {
        r.url = f.url;
        r.lastFetchAt = f.last_fetch_at;
        r.lastError = f.last_error;
        r.failures = f.failures;
        r.nextPollAt = f.next_poll_at;
        r.feed = f.kind === 'feed';
      }
      out.set(name, r);
    }
    return [...out.values()].sort((a, b) => (b.lastIngestedAt ?? b.lastFetchAt ?? 0) - (a.lastIngestedAt ?? a.lastFetchAt ?? 0));
}

export interface WorkflowRow {
  id: number;
  name: string;
  spec: string;
  paused: boolean | number;
  created_at: number;
  updated_at: number;
  start_after: number;
}

export interface RunRow {
  id: number;
  number: number;
  workflow_id: number;
  trigger: WorkflowRun['trigger'];
  scheduled_for: number | null;
  status: WorkflowRun['status'];
  reason: string | null;
  from_doc: number;
  to_doc: number;
  selected: boolean | number;
  matched: number;
  capped: number;
  owner: string;
  started_at: number;
  heartbeat_at: number;
  finished_at: number | null;
  brief: string | null;
}

export interface ItemRow {
  run_id: number;
  pos: number;
  kind: RunItemRow['kind'];
  doc_id: number;
  doc_key: string;
  cluster_id: number | null;
  repeat_of_run: number | null;
  summary_state: RunItemRow['summaryState'];
  summary_error: string | null;
}

export interface DeliveryRow {
  id: number;
  workflow_id: number;
  run_id: number;
  target: string;
  status: Delivery['status'];
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: number | null;
  created_at: number;
  updated_at: number;
}

export function toWorkflow(r: WorkflowRow): Workflow {
  const spec = JSON.parse(r.spec) as Omit<WorkflowSpec, 'name' | 'firstRunDays' | 'translate'> & { firstRunDays?: number; translate?: boolean };
  return {
    ...spec,
    firstRunDays: spec.firstRunDays ?? DEFAULT_FIRST_RUN_DAYS,
    translate: spec.translate ?? true,
    name: r.name,
    id: r.id,
    paused: Boolean(r.paused),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    startAfter: r.start_after,
  };
}

export function toRun(r: RunRow): WorkflowRun {
  return {
    id: r.id,
    number: r.number,
    workflowId: r.workflow_id,
    trigger: r.trigger,
    scheduledFor: r.scheduled_for,
    status: r.status,
    reason: r.reason,
    fromDoc: r.from_doc,
    toDoc: r.to_doc,
    selected: Boolean(r.selected),
    matched: r.matched,
    capped: r.capped,
    owner: r.owner,
    startedAt: r.started_at,
    heartbeatAt: r.heartbeat_at,
    finishedAt: r.finished_at,
    brief: r.brief,
  };
}

export function toItem(r: ItemRow): RunItemRow {
  return {
    pos: r.pos,
    kind: r.kind,
    docId: r.doc_id,
    docKey: r.doc_key,
    clusterId: r.cluster_id,
    repeatOfRun: r.repeat_of_run,
    summaryState: r.summary_state,
    summaryError: r.summary_error,
  };
}

export function toDelivery(r: DeliveryRow): Delivery {
  return {
    id: r.id,
    workflowId: r.workflow_id,
    runId: r.run_id,
    target: r.target,
    status: r.status,
    attempts: r.attempts,
    lastStatus: r.last_status,
    lastError: r.last_error,
    nextAttemptAt: r.next_attempt_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function specJson(spec: WorkflowSpec): string {
  const { name: _name, ...rest } = spec;
  return JSON.stringify(rest);
}
