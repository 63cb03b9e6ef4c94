/** Worker thread: analyzes batches of documents (see analysis-pool.ts). */
import { parentPort } from 'node:worker_threads';
import { analyzeDocument } from '../analysis/analyzer.js';
import type { DocumentInput } from '../core/types.js';

parentPort?.on('message', (msg: { id: number; docs: DocumentInput[] }) => {
  const out = msg.docs.map((d) => {
    try {
      return { ok: true as const, analysis: analyzeDocument(d).analysis };
    } catch (err) {
      return { ok: false as const, error: err instanceof Error ? err.message : String(err) };
    }
  });
  parentPort?.postMessage({ id: msg.id, out });
});
