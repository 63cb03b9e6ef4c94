/**
 * FTS5 MATCH off the event loop, for a long-lived process (the server): the searcher's FTS5
 * leaves — one-character (prefix) terms above all — are answered by a thread with its own
 * read-only connection (fts-worker.ts) before the synchronous search runs, so other
 * requests are served meanwhile. A job past the query's time budget ends its thread (the
 * next job starts another) and is refused as too costly. Results of a snapshot a little
 * older or newer than the searcher's are harmless: rowids the columns do not know as live
 * are skipped.
 */
import type { Worker } from 'node:worker_threads';
import { LodestoneError } from '../../core/errors.js';
import { startThread } from '../../core/threads.js';

export type FtsRequest = { id: number; exprs: string[] };
export type FtsReply = { id: number; ok: true; sets: { ids: Int32Array; scores: Float64Array }[] } | { id: number; ok: false; error: string };

export class FtsReader {
  private worker: Worker | null = null;
  private next = 1;
  private readonly pending = new Map<number, { owner: Worker; resolve: (r: FtsReply) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly file: string,
    private readonly weights: { title: number; body: number },
  ) {}

  private start(): Worker {
    const w = startThread(import.meta.url, 'fts-worker', { file: this.file, titleWeight: this.weights.title, bodyWeight: this.weights.body });
    w.on('message', (reply: FtsReply) => {
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      p?.resolve(reply);
    });
    // Only this thread's jobs fail with it (a thread stopped for its budget ends after the
    // next one has started).
    const fail = (err: Error) => {
      if (this.worker === w) this.worker = null;
      for (const [id, p] of this.pending) {
        if (p.owner !== w) continue;
        this.pending.delete(id);
        p.reject(err);
      }
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`the FTS5 thread exited (${code})`)));
    w.unref();
    return w;
  }

  /** Rowids (ascending) and bm25 scores of each expression; rejects past `budgetMs`. */
  async match(exprs: string[], budgetMs: number): Promise<{ ids: Int32Array; scores: Float64Array }[]> {
    this.worker ??= this.start();
    const worker = this.worker;
    const id = this.next++;
    worker.ref();
    try {
      const reply = await new Promise<FtsReply>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.pending.delete(id);
          if (this.worker === worker) this.worker = null;
          void worker.terminate();
          reject(
            new LodestoneError('query_too_costly', `the query was stopped after ${Math.round(budgetMs)} ms (its time budget): use words of two or more characters`),
          );
        }, budgetMs);
        this.pending.set(id, {
          owner: worker,
          resolve: (r) => {
            clearTimeout(timer);
            resolve(r);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        worker.postMessage({ id, exprs } satisfies FtsRequest);
      });
      if (!reply.ok) throw new LodestoneError('query_syntax', `The full-text index rejected the query: ${reply.error}`);
      return reply.sets;
    } finally {
      if (this.pending.size === 0) worker.unref();
    }
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    await w?.terminate();
  }
}
