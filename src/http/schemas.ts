/**
 * Request and response schemas of the HTTP API (zod). The OpenAPI document is generated
 * from these, and the web app imports the same schemas, so nothing is written twice.
 */
import { z } from 'zod';
import { LodestoneError } from '../core/errors.js';
import { DOC_TYPES } from '../core/types.js';

const listParam = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => {
    if (v === undefined) return undefined;
    const arr = (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
    return arr.length > 0 ? arr : undefined;
  });

const boolParam = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1'));

export const SearchQuery = z.object({
  q: z.string().max(2000).default(''),
  limit: z.coerce.number().int().min(0).max(100).default(10),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
  sort: z.enum(['relevance', 'newest']).default('relevance'),
  from: z.string().optional(),
  to: z.string().optional(),
  type: listParam,
  source: listParam,
  lang: listParam,
  collapse: boolParam,
  explain: boolParam,
  facets: boolParam,
  /** Search in both languages (default true): each concept also as its English or Chinese translations. */
  translate: boolParam,
  /** Translations to leave out (the chips a user switched off), by text; repeat or comma-separate. */
  off: listParam,
});

/** `GET /api/search?format=csv|ndjson`: the same query, as a download of up to 10,000 hits (services/export.ts). */
export const ExportQuery = SearchQuery.extend({
  format: z.enum(['csv', 'ndjson']),
  limit: z.coerce.number().int().min(0).max(10_000).default(1_000),
});

const Range = z.tuple([z.number(), z.number()]);

const ClusterOther = z.object({
  id: z.string(),
  title: z.string(),
  source: z.string(),
  url: z.string().nullable(),
  published_at: z.string().nullable(),
});

export const SearchHit = z.object({
  id: z.string(),
  title: z.string(),
  display_title: z.string(),
  source: z.string(),
  url: z.string().nullable(),
  published_at: z.string().nullable(),
  type: z.string(),
  lang: z.string(),
  score: z.number(),
  snippet: z.string(),
  highlights: z.array(Range),
  title_highlights: z.array(Range),
  paragraph: z.number(),
  cluster: z.object({ id: z.number(), size: z.number(), matched: z.number(), others: z.array(ClusterOther) }).nullable(),
  /** The document's summary when one was made already; search never makes one. */
  get summary() {
    return SummaryResponse.nullable();
  },
  explain: z.record(z.string(), z.unknown()).optional(),
});

const FacetCount = z.object({ value: z.string(), count: z.number() });

export const SearchResponse = z.object({
  total: z.number(),
  took_ms: z.number(),
  query: z.string(),
  sort: z.enum(['relevance', 'newest']),
  offset: z.number(),
  limit: z.number(),
  hits: z.array(SearchHit),
  facets: z
    .object({ type: z.array(FacetCount), source: z.array(FacetCount), lang: z.array(FacetCount), month: z.array(FacetCount) })
    .nullable(),
  /** What each concept of the query was also searched as; with explain, why (note, weights, dropped candidates). */
  translations: z.array(
    z.object({
      source: z.string(),
      lang: z.enum(['en', 'zh']),
      targets: z.array(z.object({ text: z.string(), lang: z.enum(['en', 'zh']), origin: z.enum(['user', 'glossary', 'alias', 'cedict']) }).catchall(z.unknown())),
    }).catchall(z.unknown()),
  ),
});

export const DocumentRecord = z
  .object({
    id: z.union([z.string(), z.number()]).optional(),
    title: z.string().optional(),
    body: z.string().optional(),
    paragraphs: z.array(z.string()).optional(),
    published_at: z.union([z.string(), z.number()]).nullable().optional(),
    source: z.string().optional(),
    url: z.string().nullable().optional(),
    lang: z.string().nullable().optional(),
    type: z.enum(DOC_TYPES).optional(),
  })
  .catchall(z.unknown());

/** For the OpenAPI document: what a record looks like. The route judges each record by itself (see `postedRecords`). */
export const PostDocuments = z.union([
  DocumentRecord,
  z.array(DocumentRecord).max(10_000),
  z.object({ documents: z.array(DocumentRecord).max(10_000) }),
]);

/**
 * The records of a POST /api/documents body: one record, an array, or {documents: [...]}.
 * Records are not validated here: one malformed record is one per-record error in the
 * report (ingestRecords), not a 400 for the batch.
 */
export function postedRecords(body: unknown): unknown[] {
  const list = Array.isArray(body)
    ? body
    : body !== null && typeof body === 'object' && Array.isArray((body as { documents?: unknown }).documents)
      ? ((body as { documents: unknown[] }).documents)
      : body !== null && typeof body === 'object'
        ? [body]
        : null;
  if (list === null) throw new LodestoneError('bad_request', 'send a JSON object (one record), an array of records, or {"documents": [...]}');
  if (list.length > 10_000) throw new LodestoneError('too_large', `${list.length} records in one request (at most 10,000)`);
  return list;
}

export const DocumentView = z.object({
  id: z.string(),
  internal_id: z.string(),
  external_id: z.string().nullable(),
  title: z.string(),
  source: z.string(),
  url: z.string().nullable(),
  published_at: z.string().nullable(),
  fetched_at: z.string().nullable(),
  ingested_at: z.string().nullable(),
  type: z.string(),
  lang: z.string(),
  script: z.string(),
  tickers: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()),
  content_hash: z.string(),
  paragraphs: z.array(z.object({ n: z.number(), text: z.string(), page: z.number().optional() })),
  cluster: z
    .object({ id: z.number(), size: z.number(), canonical: z.string(), members: z.array(ClusterOther) })
    .nullable(),
  /** With ?q=: where the query's terms occur, [start, end) offsets in the title and each paragraph. */
  highlights: z.object({ title: z.array(Range), paragraphs: z.array(z.array(Range)) }).optional(),
});

export const IngestResult = z.object({
  inserted: z.number(),
  updated: z.number(),
  unchanged: z.number(),
  failed: z.number(),
  warnings: z.number(),
  errors: z.array(z.object({ location: z.string(), reason: z.string() })),
  documents: z.array(z.object({ id: z.string(), status: z.string(), cluster_id: z.number().nullable() })),
});

export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
});

export const IngestUrl = z.object({
  url: z.string().url(),
  source: z.string().optional(),
  type: z.enum(DOC_TYPES).optional(),
  /** For feeds: a cron expression to poll it on (default every 15 minutes); null clears it. */
  schedule: z.string().nullable().optional(),
});

export const SourceList = z.object({
  sources: z.array(
    z.object({
      name: z.string(),
      documents: z.number(),
      last_ingested_at: z.string().nullable(),
      /** The URL last fetched for this source, when it was added as a URL. */
      url: z.string().nullable(),
      last_fetch_at: z.string().nullable(),
      last_error: z.string().nullable(),
      /** Feeds: consecutive failed polls, and when the next attempt is due (back-off). */
      failures: z.number(),
      next_poll_at: z.string().nullable(),
      feed: z.boolean(),
    }),
  ),
});

export const DeletedSource = z.object({ deleted: z.number() });

export const VerifyRequest = z.object({ text: z.string().min(1).max(100_000) });

export const VerifyResponse = z.object({
  points: z.array(
    z.object({ text: z.string(), citations: z.array(z.number()), verified: z.boolean(), problems: z.array(z.string()) }),
  ),
});

const SummaryPoint = z.object({
  text: z.string(),
  citations: z.array(z.number()),
  verified: z.boolean(),
  problems: z.array(z.string()),
});

export const SummaryResponse = z.object({
  document_id: z.string(),
  lang: z.string(),
  template: z.string(),
  /** `none`: the document is short enough to read whole; `sections` is empty and `text` is the document's text. */
  method: z.enum(['llm', 'extractive', 'none']),
  model: z.string().nullable(),
  sections: z.array(z.object({ heading: z.string(), points: z.array(SummaryPoint) })),
  dropped: z.array(z.object({ text: z.string(), citations: z.array(z.number()), reason: z.string() })),
  text: z.string(),
});

// Workflows (src/workflows). The server builds these shapes; the web app types its calls by them.

const Filters = z.object({ type: z.array(z.string()).optional(), source: z.array(z.string()).optional(), lang: z.array(z.string()).optional() });

export const RunView = z.object({
  run_id: z.number(),
  number: z.number().int().describe("The run's number within its workflow (Run 3); run_id addresses it"),
  status: z.enum(['running', 'done', 'failed', 'skipped']),
  reason: z.string().nullable(),
  trigger: z.enum(['manual', 'schedule', 'catch-up', 'api']),
  scheduled_for: z.string().nullable(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  matched: z.number(),
  capped: z.number(),
  items: z.number(),
  repeats: z.number(),
});

export const WorkflowView = z.object({
  name: z.string(),
  query: z.string(),
  filters: Filters,
  lang: z.enum(['en', 'zh']).nullable(),
  schedule: z.string().nullable(),
  tz: z.string(),
  summarize: z.boolean(),
  brief: z.boolean(),
  webhook: z.object({ url: z.string(), secret: z.string().optional() }).nullable(),
  max_items: z.number(),
  refresh_feeds: z.boolean(),
  first_run_days: z.number().int().describe('How many days before its creation the first run reaches back (by publication date); 0: from now'),
  translate: z.boolean().describe('Searches in both languages (default true)'),
  paused: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
  next_run_at: z.string().nullable(),
  last_run: RunView.nullable(),
});

export const WorkflowList = z.object({ workflows: z.array(WorkflowView) });
export const RunList = z.object({ workflow: z.string(), runs: z.array(RunView) });


export const DigestItem = SearchHit.pick({
  id: true,
  title: true,
  display_title: true,
  source: true,
  url: true,
  published_at: true,
  type: true,
  lang: true,
}).extend({
  n: z.number(),
  ingested_at: z.string().nullable(),
  cluster: z.object({ id: z.number(), size: z.number(), also_in: z.array(ClusterOther) }).nullable(),
  summary: SummaryResponse.nullable(),
  summary_error: z.string().nullable(),
  excerpt: z.string(),
});

const BriefPoint = z.object({
  text: z.string(),
  citations: z.array(z.object({ doc: z.number(), paragraph: z.number(), id: z.string() })),
  verified: z.boolean(),
  problems: z.array(z.string()),
});

export const BriefView = z.object({
  method: z.enum(['extractive', 'llm']),
  model: z.string().nullable(),
  lang: z.string(),
  documents: z.number(),
  themes: z.array(z.object({ heading: z.string(), points: z.array(BriefPoint) })),
  dropped: z.array(z.object({ text: z.string(), reason: z.string() })),
  fallback: z.string().nullable(),
  text: z.string(),
});

export const DigestView = z.object({
  workflow: z.string(),
  query: z.string(),
  run_id: z.number(),
  run_number: z.number().int(),
  status: z.enum(['running', 'done', 'failed', 'skipped']),
  outcome: z.enum(['running', 'done', 'failed', 'skipped']),
  reason: z.string().nullable(),
  trigger: z.enum(['manual', 'schedule', 'catch-up', 'api']),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  matched: z.number(),
  capped: z.number(),
  items: z.array(DigestItem),
  repeats: z.array(z.object({ id: z.string(), title: z.string(), source: z.string(), published_at: z.string().nullable(), cluster_id: z.number().nullable() })),
  brief: BriefView.nullable(),
});

export const RunOutcome = z.object({
  run_id: z.number().nullable(),
  /** `running`: answered early (?wait=false); the run goes on in the background. */
  outcome: z.enum(['done', 'skipped', 'failed', 'running']),
  reason: z.string().optional(),
  resumed: z.boolean().optional(),
  matched: z.number().optional(),
  capped: z.number().optional(),
  timings: z.object({ select_ms: z.number(), summarize_ms: z.number(), total_ms: z.number() }).optional(),
  items: z.array(DigestItem),
  repeats: DigestView.shape.repeats.optional(),
  brief: BriefView.nullable().optional(),
});

export const DeliveryList = z.object({
  deliveries: z.array(
    z.object({
      id: z.number(),
      run_id: z.number(),
      target: z.string(),
      status: z.enum(['pending', 'delivered', 'failed']),
      attempts: z.number(),
      last_status: z.number().nullable(),
      last_error: z.string().nullable(),
      next_attempt_at: z.string().nullable(),
      created_at: z.string().nullable(),
      updated_at: z.string().nullable(),
    }),
  ),
});
