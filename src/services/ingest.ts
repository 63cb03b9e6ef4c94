/**
 * ingestTargets: paths and URLs in, documents stored. Items are analyzed and written in
 * batches, each batch one transaction, so a crash or kill loses at most the batch in
 * flight and never leaves half a document; re-running the same command skips what is
 * already stored unchanged (record hash) and completes the rest without duplicates.
 */
import type { AnalyzedDocument } from '../analysis/analyzer.js';
import { type AnalysisOutcome, type Analyzer, inlineAnalyzer, WorkerAnalyzer } from './analysis-pool.js';
import { describeError, type ErrorCode, LodestoneError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import type { DocType, DocumentInput } from '../core/types.js';
import { ExtractionSandbox, type Extractor } from '../extract/sandbox.js';
import { cleanDocument, DOCUMENT_LIMITS, jsonDepth } from '../sources/clean.js';
import type { ConnectorContext } from '../sources/connector.js';
import type { FetchOptions } from '../sources/fetch.js';
import { recordToDocument } from '../sources/record.js';
import { connectorFor } from '../sources/registry.js';
import type { DocumentStore, UpsertResult } from '../store/ports.js';

export interface ItemProblem {
  location: string;
  reason: string;
  /** The error catalog's code, when the problem is one of its errors. */
  code?: ErrorCode;
}

export interface IngestReport {
  targets: number;
  inserted: number;
  updated: number;
  unchanged: number;
  failed: number;
  warnings: number;
  /** First problems (capped at MAX_LISTED); counts above are complete. */
  errors: ItemProblem[];
  warningList: ItemProblem[];
  took_ms: number;
  docs_per_s: number;
}

export interface IngestProgress {
  target: string;
  targetIndex: number;
  targets: number;
  done: number;
  total: number;
  stored: number;
  failed: number;
}

export interface IngestOptions {
  source?: string;
  type?: DocType;
  allowPrivate?: boolean;
  /** Fetch limits for URLs (timeouts, size cap, redirects); defaults in sources/fetch.ts. */
  fetch?: Partial<Omit<FetchOptions, 'allowPrivate'>>;
  batchSize?: number;
  maxFileBytes?: number;
  onProgress?: (p: IngestProgress) => void;
  onProblem?: (kind: 'error' | 'warning', p: ItemProblem) => void;
  /** Called after each committed batch (tests use it to simulate a crash mid-ingest). */
  onBatch?: (results: UpsertResult[]) => void;
  /** Analysis worker threads (default: cores - 1; 0 analyzes on the calling thread). */
  workers?: number;
  /** Told what each URL answered (kind, ETag, Last-Modified). */
  onResponse?: ConnectorContext['onResponse'];
  /** Adjust each document before analysis (uploads use it to key documents by upload name). */
  rewrite?: (doc: DocumentInput) => DocumentInput;
  /**
   * Parses files and fetched bytes; default: a sandbox of this ingest's own (a worker thread
   * with a deadline and a memory cap), closed at the end. A server passes its shared one.
   */
  extractor?: Extractor;
  /** Analyzes documents; default per `workers`. A server passes its shared pool (not closed here). */
  analyzer?: Analyzer;
  /**
   * Leave out documents a user deleted one by one (`deleteDocument`), each reported as a
   * warning: set for fetched URLs (feed polls, a feed added again), so a deleted item stays
   * deleted. Other ingests (files, uploads, records) store such a document again, and it is
   * no longer remembered as deleted.
   */
  skipDeleted?: boolean;
  /** Stops reading, fetching and parsing when aborted (the HTTP client went away); what was stored stays. */
  signal?: AbortSignal;
}

const MAX_LISTED = 1000;

function emptyReport(targets: number): IngestReport {
  return {
    targets,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    failed: 0,
    warnings: 0,
    errors: [],
    warningList: [],
    took_ms: 0,
    docs_per_s: 0,
  };
}

/** Worker threads when they start, the calling thread otherwise (never fail an ingest for it). */
function safeWorkers(size?: number): Analyzer {
  try {
    return new WorkerAnalyzer(size);
  } catch {
    return inlineAnalyzer;
  }
}

export async function ingestTargets(store: DocumentStore, targets: string[], opts: IngestOptions = {}): Promise<IngestReport> {
  const started = performance.now();
  const report = emptyReport(targets.length);
  const problem = (kind: 'error' | 'warning', p: ItemProblem) => {
    if (kind === 'error') {
      report.failed++;
      if (report.errors.length < MAX_LISTED) report.errors.push(p);
    } else {
      report.warnings++;
      if (report.warningList.length < MAX_LISTED) report.warningList.push(p);
    }
    opts.onProblem?.(kind, p);
  };
  const extractor = opts.extractor ?? new ExtractionSandbox();
  const signal = opts.signal;
  const ctx: ConnectorContext = {
    ...(opts.source ? { source: opts.source } : {}),
    ...(opts.type ? { type: opts.type } : {}),
    fetch: { ...opts.fetch, allowPrivate: opts.allowPrivate ?? false },
    maxFileBytes: opts.maxFileBytes ?? 200 * 1024 * 1024,
    now: () => Date.now(),
    extract: (job) => extractor.extract(job, signal),
    ...(signal ? { signal } : {}),
    ...(opts.onResponse ? { onResponse: opts.onResponse } : {}),
  };
  const batchSize = opts.batchSize ?? 2000;
  const chunkSize = 250;
  const analyzer: Analyzer = opts.analyzer ?? ((opts.workers ?? 1) > 0 ? safeWorkers(opts.workers) : inlineAnalyzer);
  // Chunks sent to the analyzer, oldest first; at most MAX_IN_FLIGHT wait at once, so the
  // reader stays ahead of the workers without buffering a whole file. The window holds more
  // than a store batch: while the writing thread is busy with a batch, the workers analyze
  // the next one (with 4 chunks, the writing thread of a flash-news ingest waited on the
  // analyzer 8.9% of its time; with 10, 4.0%).
  const MAX_IN_FLIGHT = Math.ceil(batchSize / chunkSize) + 2;
  const inFlight: { results: Promise<AnalysisOutcome[]>; locations: string[] }[] = [];
  let chunk: DocumentInput[] = [];
  let chunkLocations: string[] = [];
  let batch: AnalyzedDocument[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    let docs = batch;
    batch = [];
    if (opts.skipDeleted) {
      const gone = await store.deletedKeys(docs.map((d) => d.doc.key));
      if (gone.size > 0) {
        for (const d of docs) if (gone.has(d.doc.key)) problem('warning', { location: d.doc.key, reason: 'skipped: deleted by a user' });
        docs = docs.filter((d) => !gone.has(d.doc.key));
        if (docs.length === 0) return;
      }
    }
    const results = await upsertEach(store, docs, (i, reason) => problem('error', { location: docs[i]!.doc.key, reason }));
    for (const r of results) report[r.status]++;
    opts.onBatch?.(results);
  };
  const takeOldest = async () => {
    const head = inFlight.shift();
    if (!head) return;
    const outcomes = await head.results;
    outcomes.forEach((o, i) => {
      if (o.ok) batch.push(o.doc);
      else problem('error', { location: head.locations[i] ?? '?', reason: `analysis failed: ${o.error}` });
    });
    if (batch.length >= batchSize) await flush();
  };
  const sendChunk = async () => {
    if (chunk.length === 0) return;
    // The store's terms to locate as they stand now: a set that changes before the chunk is
    // written (a promotion) makes the store locate them itself.
    inFlight.push({ results: analyzer.analyze(chunk, store.termsToLocate?.()), locations: chunkLocations });
    chunk = [];
    chunkLocations = [];
    while (inFlight.length > MAX_IN_FLIGHT) await takeOldest();
  };
  const drain = async () => {
    await sendChunk();
    while (inFlight.length > 0) await takeOldest();
    await flush();
  };

  try {
    for (let t = 0; t < targets.length; t++) {
      const target = targets[t]!;
      if (signal?.aborted) break;
      const connector = await connectorFor(target);
      if (!connector) {
        problem('error', { location: target, reason: 'no such file or folder, and not an http(s) URL' });
        continue;
      }
      try {
        for await (const ev of connector.read(target, ctx)) {
          if (signal?.aborted) throw new LodestoneError('aborted', 'abandoned: the client went away');
          if (ev.kind === 'progress') {
            opts.onProgress?.({
              target,
              targetIndex: t,
              targets: targets.length,
              done: ev.done,
              total: ev.total,
              stored: report.inserted + report.updated + report.unchanged,
              failed: report.failed,
            });
            continue;
          }
          if (ev.kind === 'error' || ev.kind === 'warning') {
            problem(ev.kind, { location: ev.location, reason: ev.reason, ...(ev.kind === 'error' && ev.code ? { code: ev.code } : {}) });
            continue;
          }
          const clean = cleanDocument(opts.rewrite ? opts.rewrite(ev.doc) : ev.doc);
          if (!clean.ok) {
            problem('error', { location: ev.location, reason: clean.error });
            continue;
          }
          for (const w of clean.warnings) problem('warning', { location: ev.location, reason: w });
          chunk.push(clean.doc);
          chunkLocations.push(ev.location);
          if (chunk.length >= chunkSize) await sendChunk();
        }
        await drain();
      } catch (err) {
        problem('error', { location: target, reason: describeError(err) });
        await drain();
      }
    }
    await drain();
  } finally {
    if (!opts.analyzer) await analyzer.close();
    if (!opts.extractor) await extractor.close();
  }
  report.took_ms = Math.round(performance.now() - started);
  const stored = report.inserted + report.updated + report.unchanged;
  report.docs_per_s = report.took_ms > 0 ? Math.round((stored / report.took_ms) * 1000) : stored;
  return report;
}

/**
 * Writes a batch in one transaction; when that fails, each document alone, so one bad
 * document is reported (`onError`) and the others are stored. When every document fails
 * alone too, the store itself is the problem (disk full, read-only) and the error is thrown.
 */
async function upsertEach(
  store: DocumentStore,
  docs: AnalyzedDocument[],
  onError: (index: number, reason: string) => void,
): Promise<UpsertResult[]> {
  try {
    return await store.upsert(docs);
  } catch (batchError) {
    if (docs.length === 1) {
      onError(0, `not stored: ${describeError(batchError)}`);
      return [];
    }
    const results: UpsertResult[] = [];
    const failures: [number, string][] = [];
    for (let i = 0; i < docs.length; i++) {
      try {
        results.push(...(await store.upsert([docs[i]!])));
      } catch (err) {
        failures.push([i, `not stored: ${describeError(err)}`]);
      }
    }
    if (results.length === 0) throw batchError;
    for (const [i, reason] of failures) onError(i, reason);
    return results;
  }
}

/**
 * Records posted to the API (same fields as NDJSON lines) -> stored documents. Each record
 * is judged alone: a malformed, oversized or too deeply nested one is reported with its
 * position and the others are stored.
 */
export async function ingestRecords(
  store: DocumentStore,
  records: unknown[],
  opts: { source?: string; type?: DocType; analyzer?: Analyzer } = {},
): Promise<{ report: IngestReport; results: UpsertResult[] }> {
  const started = performance.now();
  const report = emptyReport(1);
  const docs: DocumentInput[] = [];
  const locations: string[] = [];
  const seen = new Set<string>();
  const fetchedAt = Date.now();
  const fail = (location: string, reason: string) => {
    report.failed++;
    if (report.errors.length < MAX_LISTED) report.errors.push({ location, reason });
  };
  for (let i = 0; i < records.length; i++) {
    const rec = records[i];
    const location = `documents[${i}]`;
    // Before anything walks or serializes it: a record nested 5,000 deep overflows the stack.
    if (jsonDepth(rec, DOCUMENT_LIMITS.maxMetadataDepth + 1) > DOCUMENT_LIMITS.maxMetadataDepth + 1) {
      fail(location, `record nested more than ${DOCUMENT_LIMITS.maxMetadataDepth} levels deep`);
      continue;
    }
    const r = recordToDocument(rec, {
      ...(opts.source ? { source: opts.source } : {}),
      ...(opts.type ? { type: opts.type } : {}),
      fallbackSource: 'api',
      fallbackKey: `text:${sha256Hex(JSON.stringify(rec))}`,
      fetchedAt,
    });
    for (const w of r.warnings) {
      report.warnings++;
      if (report.warningList.length < MAX_LISTED) report.warningList.push({ location, reason: w });
    }
    if (!r.doc) {
      fail(location, r.error ?? 'unreadable record');
      continue;
    }
    const clean = cleanDocument(r.doc);
    if (!clean.ok) {
      fail(location, clean.error);
      continue;
    }
    for (const w of clean.warnings) {
      report.warnings++;
      if (report.warningList.length < MAX_LISTED) report.warningList.push({ location, reason: w });
    }
    if (seen.has(clean.doc.key)) {
      fail(location, `duplicate id in the same request: ${clean.doc.externalId}`);
      continue;
    }
    seen.add(clean.doc.key);
    docs.push(clean.doc);
    locations.push(location);
  }
  const analyzed: AnalyzedDocument[] = [];
  const analyzedAt: string[] = [];
  const outcomes = docs.length > 0 ? await (opts.analyzer ?? inlineAnalyzer).analyze(docs) : [];
  outcomes.forEach((o, i) => {
    if (o.ok) {
      analyzed.push(o.doc);
      analyzedAt.push(locations[i]!);
    } else fail(locations[i]!, `analysis failed: ${o.error}`);
  });
  const results = analyzed.length > 0 ? await upsertEach(store, analyzed, (i, reason) => fail(analyzedAt[i]!, reason)) : [];
  for (const r of results) report[r.status]++;
  report.took_ms = Math.round(performance.now() - started);
  return { report, results };
}
