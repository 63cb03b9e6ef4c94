/**
 * Analysis off the main thread: segmentation, fingerprints and hashing run in worker threads
 * while the main thread reads input and writes SQLite, so an ingest uses both cores. The
 * pool keeps batch order: results come back for the batch that was sent.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { type Analysis, type AnalyzedDocument, analyzeDocument } from '../analysis/analyzer.js';
import type { TermSet } from '../analysis/term-hits.js';
import { startThread } from '../core/threads.js';
import type { DocumentInput } from '../core/types.js';

export type AnalysisOutcome = { ok: true; doc: AnalyzedDocument } | { ok: false; doc: DocumentInput; error: string };

/** A job for a worker; `terms` comes along when the worker has not seen that set yet. */
export type WorkerJob = { id: number; docs: DocumentInput[]; set: number | null; terms?: TermSet };
export type WorkerReply = {
  id: number;
  out: ({ ok: true; analysis: Analysis; located?: Uint8Array } | { ok: false; error: string })[];
};

export interface Analyzer {
  /**
   * Analyze documents; with `terms` (the store's DocumentStore.termsToLocate), also locate
   * them (`AnalyzedDocument.located`) — workers do, the calling thread leaves it to the store.
   */
  analyze(docs: DocumentInput[], terms?: TermSet | null): Promise<AnalysisOutcome[]>;
  close(): Promise<void>;
}

/** Same thread: for small inputs and as the fallback when workers cannot start. */
export const inlineAnalyzer: Analyzer = {
  async analyze(docs) {
    return docs.map((doc) => {
      try {
        return { ok: true, doc: analyzeDocument(doc) };
      } catch (err) {
        return { ok: false, doc, error: err instanceof Error ? err.message : String(err) };
      }
    });
  },
  async close() {},
};

export class WorkerAnalyzer implements Analyzer {
  private readonly workers: Worker[] = [];
  /** The term set each worker holds (by id). */
  private readonly sets: (number | null)[] = [];
  private readonly pending = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>();
  private next = 0;
  private turn = 0;
  private broken = false;
  private closing = false;

  /** False once a worker failed and analysis fell back to the calling thread. */
  get usingWorkers(): boolean {
    return !this.broken;
  }

  constructor(size = Math.max(1, availableParallelism() - 1)) {
    for (let i = 0; i < size; i++) {
      const w = startThread(import.meta.url, 'analysis-worker');
      w.on('message', (reply: WorkerReply) => {
        const p = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        p?.resolve(reply);
      });
      const fail = (err: Error) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      };
      w.on('error', fail);
      w.on('exit', (code) => {
        if (!this.closing) fail(new Error(`analysis worker exited with code ${code}`));
      });
      this.workers.push(w);
      this.sets.push(null);
    }
  }

  async analyze(docs: DocumentInput[], terms?: TermSet | null): Promise<AnalysisOutcome[]> {
    if (this.broken) return inlineAnalyzer.analyze(docs);
    const id = this.next++;
    const w = this.turn++ % this.workers.length;
    const worker = this.workers[w]!;
    const job: WorkerJob = { id, docs, set: terms?.id ?? null };
    if (terms && this.sets[w] !== terms.id) {
      job.terms = terms;
      this.sets[w] = terms.id;
    }
    let reply: WorkerReply;
    try {
      reply = await new Promise<WorkerReply>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        worker.postMessage(job);
      });
    } catch {
      // A worker that cannot start or crashed: analyze here instead, never fail the ingest.
      this.broken = true;
      return inlineAnalyzer.analyze(docs);
    }
    return reply.out.map((r, i) => {
      const doc = docs[i]!;
      if (!r.ok) return { ok: false, doc, error: r.error };
      const located = r.located && job.set !== null ? { set: job.set, hits: r.located } : undefined;
      return { ok: true, doc: located ? { doc, analysis: r.analysis, located } : { doc, analysis: r.analysis } };
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * One analysis worker, started on first use and kept: a server analyses uploads, fetched
 * pages and API records off its event loop with it. A worker that died is replaced on the
 * next use rather than analysing on the calling thread from then on.
 */
export class SharedAnalyzer implements Analyzer {
  private pool: WorkerAnalyzer | null = null;

  async analyze(docs: DocumentInput[], terms?: TermSet | null): Promise<AnalysisOutcome[]> {
    if (this.pool && !this.pool.usingWorkers) {
      await this.pool.close();
      this.pool = null;
    }
    if (!this.pool) {
      try {
        this.pool = new WorkerAnalyzer(1);
      } catch {
        return inlineAnalyzer.analyze(docs);
      }
    }
    return this.pool.analyze(docs, terms);
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = null;
  }
}
