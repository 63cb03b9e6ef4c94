/**
 * URL sources the user added (feeds and pages): fetching one now, and polling feeds on
 * their schedules with conditional requests (If-None-Match / If-Modified-Since), so an
 * unchanged feed costs one 304. A failing feed backs off (5 min, doubling, at most 6 h) and
 * shows its error and next attempt on the sources page; a success clears both.
 */
import { Cron } from 'croner';
import { describeError, LodestoneError } from '../core/errors.js';
import type { Extractor } from '../extract/sandbox.js';
import type { Analyzer } from './analysis-pool.js';
import type { DocType } from '../core/types.js';
import type { UrlResponse } from '../sources/connector.js';
import type { DocumentStore, UpsertResult } from '../store/ports.js';
import type { FeedPoll } from '../store/records.js';
import { type IngestReport, ingestTargets } from './ingest.js';

/** A long-lived process's shared parser sandbox and analysis worker (see http/server.ts). */
export interface BackgroundWorkers {
  extractor: Extractor;
  analyzer: Analyzer;
}

/** Feeds without a schedule of their own are polled this often. */
export const DEFAULT_POLL_MS = 15 * 60_000;
const BACKOFF_BASE_MS = 5 * 60_000;
const BACKOFF_MAX_MS = 6 * 60 * 60_000;

export interface FetchSourceResult {
  report: IngestReport;
  results: UpsertResult[];
  response: UrlResponse | null;
}

export function backoffDelay(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
}

/** Fetch a URL source now, store what it holds, and remember the outcome (and validators). */
export async function fetchSource(
  store: DocumentStore,
  url: string,
  opts: {
    source?: string;
    type?: DocType;
    allowPrivate: boolean;
    conditional?: FeedPoll | null;
    schedule?: string | null;
    now?: () => number;
    /** Shared parsers and analysis of a server (see IngestOptions). */
    extractor?: Extractor;
    analyzer?: Analyzer;
    signal?: AbortSignal;
  },
): Promise<FetchSourceResult> {
  const now = opts.now ?? Date.now;
  const results: UpsertResult[] = [];
  let response: UrlResponse | null = null;
  const headers: Record<string, string> = {};
  if (opts.conditional?.etag) headers['if-none-match'] = opts.conditional.etag;
  if (opts.conditional?.lastModified) headers['if-modified-since'] = opts.conditional.lastModified;
  const report = await ingestTargets(store, [url], {
    ...(opts.source ? { source: opts.source } : {}),
    ...(opts.type ? { type: opts.type } : {}),
    allowPrivate: opts.allowPrivate,
    workers: 0,
    // A document deleted one by one stays deleted when its feed is polled again.
    skipDeleted: true,
    ...(opts.extractor ? { extractor: opts.extractor } : {}),
    ...(opts.analyzer ? { analyzer: opts.analyzer } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    fetch: { headers },
    onBatch: (r) => results.push(...r),
    onResponse: (r) => {
      response = r;
    },
  });
  const stored = report.inserted + report.updated + report.unchanged;
  // A URL the SSRF guard refuses is not a source: nothing is recorded, and the caller
  // (adding it) gets the refusal as an error. A known feed that now resolves to a private
  // address is a failing poll like any other.
  const blocked = report.errors.find((e) => e.code === 'fetch_blocked');
  if (blocked && stored === 0 && !opts.conditional) throw new LodestoneError('fetch_blocked', blocked.reason);
  const resp = response as UrlResponse | null;
  const failed = resp === null || (report.failed > 0 && stored === 0 && resp.kind !== 'unchanged');
  const error = failed ? (report.errors[0]?.reason ?? 'failed') : null;
  const prior = opts.conditional ?? (await store.workflows.feeds()).find((f) => f.url === url) ?? null;
  await store.recordFetch({ url, source: opts.source ?? prior?.source ?? '', at: now(), items: stored, error });
  const failures = failed ? (prior?.failures ?? 0) + 1 : 0;
  await store.workflows.updateFeed(url, {
    ...(resp && resp.kind !== 'unchanged' ? { kind: resp.kind === 'feed' ? 'feed' : 'page' } : {}),
    ...(resp && resp.kind !== 'unchanged' ? { etag: resp.etag, lastModified: resp.lastModified } : {}),
    ...(opts.schedule !== undefined ? { schedule: opts.schedule } : {}),
    failures,
    nextPollAt: failed ? now() + backoffDelay(failures) : null,
  });
  return { report, results, response: resp };
}

/** Is a feed due: past its back-off, and its schedule (or the default interval) says so? */
export function feedDue(f: FeedPoll, now: number, tz: string): boolean {
  if (f.nextPollAt !== null) return f.nextPollAt <= now;
  if (f.schedule) {
    try {
      const prev = new Cron(f.schedule, { timezone: tz, paused: true }).previousRuns(1, new Date(now))[0];
      return prev !== undefined && prev.getTime() > f.lastFetchAt;
    } catch {
      return false;
    }
  }
  return now - f.lastFetchAt >= DEFAULT_POLL_MS;
}

/** Poll every due feed (or the listed ones, due or not); one failing feed never stops the others. */
export async function pollFeeds(
  store: DocumentStore,
  opts: {
    allowPrivate: boolean;
    tz: string;
    now?: () => number;
    only?: (f: FeedPoll) => boolean;
    force?: boolean;
    /** A server's shared workers, so polling parses and analyses off its event loop. */
    workers?: BackgroundWorkers | undefined;
  },
): Promise<{ url: string; stored: number; unchanged: boolean; error: string | null }[]> {
  const now = opts.now ?? Date.now;
  const feeds = (await store.workflows.feeds()).filter((f) => (opts.only ? opts.only(f) : true) && (opts.force || feedDue(f, now(), opts.tz)));
  const out: { url: string; stored: number; unchanged: boolean; error: string | null }[] = [];
  for (const f of feeds) {
    try {
      const r = await fetchSource(store, f.url, {
        ...(f.source ? { source: f.source } : {}),
        allowPrivate: opts.allowPrivate,
        conditional: f,
        now,
        ...(opts.workers ? { extractor: opts.workers.extractor, analyzer: opts.workers.analyzer } : {}),
      });
      const err = r.response === null || (r.report.failed > 0 && r.results.length === 0 && r.response.kind !== 'unchanged');
      out.push({
        url: f.url,
        stored: r.results.length,
        unchanged: r.response?.kind === 'unchanged',
        error: err ? (r.report.errors[0]?.reason ?? 'failed') : null,
      });
    } catch (e) {
      out.push({ url: f.url, stored: 0, unchanged: false, error: describeError(e) });
    }
  }
  return out;
}
