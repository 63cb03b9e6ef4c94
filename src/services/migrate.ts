/**
 * `lodestone migrate --from A --to B`: copy everything one store holds into another
 * (SQLite data directory or PostgreSQL URL, either way), resumably.
 *
 * Documents are copied in the source's ingest order, in batches that each commit on
 * their own, and analyzed again on the way (the analyzer is the same on both sides, so
 * the target indexes the same terms; its duplicate clusters form as the source's did, in
 * the same order). A copy that stops — killed, a lost connection — is run again: it finds
 * where it stopped (the source's documents are copied as a prefix, so the first one the
 * target lacks is found by a binary search over seqs) and goes on from there. Then the other
 * tables (records.ts PORTABLE_TABLES: summaries, fetches and feeds, deleted keys,
 * workflows, runs, items, delivered-sets, deliveries) are copied with their ids, rows the
 * target already has left alone, document seqs in workflows mapped to the target's.
 */
import { analyzeDocument } from '../analysis/analyzer.js';
import type { DocumentInput, StoredDocument } from '../core/types.js';
import type { DocumentStore } from '../store/ports.js';
import { PORTABLE_TABLES, type PortableRow } from '../store/records.js';

export interface MigrateReport {
  documents: { source: number; copied: number; skipped: number; resumedAfter: number };
  tables: Record<string, { source: number; copied: number }>;
  took_ms: number;
}

export interface MigrateOptions {
  batch?: number;
  onProgress?: (done: number, total: number) => void;
  /** Stop after this many documents (tests: an interrupted copy). */
  stopAfter?: number;
}

function toInput(d: StoredDocument): DocumentInput {
  return {
    key: d.key,
    externalId: d.externalId,
    title: d.title,
    source: d.source,
    url: d.url,
    publishedAt: d.publishedAt,
    fetchedAt: d.fetchedAt,
    type: d.type,
    lang: d.lang,
    paragraphs: d.paragraphs,
    metadata: d.metadata,
    originalHash: d.originalHash ?? null,
  };
}

/** The source seq after which copying resumes: the last source document the target already holds (0: none). */
async function resumePoint(from: DocumentStore, to: DocumentStore): Promise<number> {
  const has = async (d: StoredDocument) => (await to.findByKey(d.key)) !== null;
  const first = (await from.documentsAfter(0, 1))[0];
  if (!first || !(await has(first))) return 0;
  // Invariant: the source document at or after `lo` is in the target; the first at or after `hi` is not (or none).
  let lo = first.seq;
  let hi = (await from.workflows.maxDocId()) + 1;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const d = (await from.documentsAfter(mid - 1, 1))[0];
    if (d && (await has(d))) lo = d.seq;
    else hi = mid;
  }
  return lo;
}

export async function migrateStore(from: DocumentStore, to: DocumentStore, opts: MigrateOptions = {}): Promise<MigrateReport> {
  const started = performance.now();
  const batch = opts.batch ?? 500;
  const total = (await from.stats()).documents;
  const resumedAfter = await resumePoint(from, to);
  let after = resumedAfter;
  let copied = 0;
  let skipped = 0;
  let seen = 0;
  for (;;) {
    if (opts.stopAfter !== undefined && copied + skipped >= opts.stopAfter) break;
    const docs = await from.documentsAfter(after, batch);
    if (docs.length === 0) break;
    const results = await to.upsert(docs.map((d) => analyzeDocument(toInput(d))));
    for (const r of results) r.status === 'unchanged' ? skipped++ : copied++;
    after = docs[docs.length - 1]!.seq;
    seen += docs.length;
    opts.onProgress?.(seen, total);
  }
  const tables: MigrateReport['tables'] = {};
  if (opts.stopAfter === undefined || copied + skipped < opts.stopAfter) {
    let mapSeq: ((s: number) => number) | null = null;
    for (const t of PORTABLE_TABLES) {
      const rows = await from.exportRows(t);
      const refs = t.columns.filter((c) => c.ref === 'seq').map((c) => c.name);
      // Built once, when some row points at documents (workflows exist).
      if (refs.length > 0 && rows.length > 0) mapSeq ??= await seqMapper(from, to);
      const mapped = refs.length === 0 || mapSeq === null ? rows : rows.map((r) => mapRow(r, refs, mapSeq!));
      let n = 0;
      for (let i = 0; i < mapped.length; i += 1000) n += await to.importRows(t, mapped.slice(i, i + 1000));
      tables[t.name] = { source: rows.length, copied: n };
    }
  }
  return { documents: { source: total, copied, skipped, resumedAfter }, tables, took_ms: Math.round(performance.now() - started) };
}

function mapRow(r: PortableRow, refs: string[], mapSeq: (s: number) => number): PortableRow {
  const out = { ...r };
  for (const c of refs) if (typeof out[c] === 'number') out[c] = mapSeq(out[c] as number);
  return out;
}

/**
 * Source seq -> target seq: a document's own seq where it was copied, and for a boundary
 * (a run's window "after seq N") the target seq of the last copied document at or before
 * it, so a window covers the same documents on both sides.
 */
async function seqMapper(from: DocumentStore, to: DocumentStore): Promise<(s: number) => number> {
  const src: number[] = [];
  const dst: number[] = [];
  let after = 0;
  for (;;) {
    const docs = await from.documentsAfter(after, 2000);
    if (docs.length === 0) break;
    for (const d of docs) {
      const t = await to.findByKey(d.key);
      if (t) {
        src.push(d.seq);
        dst.push(t.seq);
      }
    }
    after = docs[docs.length - 1]!.seq;
  }
  return (s: number) => {
    // The last copied document with source seq <= s.
    let lo = 0;
    let hi = src.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (src[mid]! <= s) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : dst[lo - 1]!;
  };
}
