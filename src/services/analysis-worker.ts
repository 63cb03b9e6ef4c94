/** Worker thread: analyzes batches of documents and locates the store's terms in them (see analysis-pool.ts). */
import { parentPort } from 'node:worker_threads';
import { analyzeDocument } from '../analysis/analyzer.js';
import { TermMatcher } from '../analysis/term-hits.js';
import { lowerPriority } from '../core/threads.js';
import type { WorkerJob, WorkerReply } from './analysis-pool.js';

let matcher: TermMatcher | null = null;

// Analysis is background work (a bulk ingest, or a server's uploads): the thread answering
// requests comes first. Threads inherit their creator's priority; this covers a server's.
lowerPriority();

parentPort?.on('message', (job: WorkerJob) => {
  if (job.terms) matcher = new TermMatcher(job.terms);
  const locate = job.set !== null && matcher?.set.id === job.set ? matcher : null;
  const out: WorkerReply['out'] = job.docs.map((d) => {
    try {
      const { analysis } = analyzeDocument(d);
      return locate ? { ok: true, analysis, located: locate.match(analysis.titleTerms, analysis.bodyTerms) } : { ok: true, analysis };
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  });
  parentPort?.postMessage({ id: job.id, out } satisfies WorkerReply);
});
