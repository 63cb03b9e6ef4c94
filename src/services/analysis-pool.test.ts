import { describe, expect, it } from 'vitest';
import { doc } from '../store/contract/suite.js';
import { inlineAnalyzer, WorkerAnalyzer } from './analysis-pool.js';

describe('analysis in worker threads', () => {
  it('gives the same analysis as the calling thread, in order', async () => {
    const docs = [doc('a', '北方稀土', '高性能钕铁硼磁体'), doc('b', 'Exports', 'Rare earth exports fell 75%.')];
    const pool = new WorkerAnalyzer(2);
    try {
      const [viaWorkers, inline] = await Promise.all([pool.analyze(docs), inlineAnalyzer.analyze(docs)]);
      expect(pool.usingWorkers).toBe(true);
      expect(viaWorkers.map((o) => o.ok && o.doc.analysis.bodyTerms)).toEqual(inline.map((o) => o.ok && o.doc.analysis.bodyTerms));
      expect(viaWorkers.map((o) => o.ok && [...o.doc.analysis.minhash])).toEqual(inline.map((o) => o.ok && [...o.doc.analysis.minhash]));
    } finally {
      await pool.close();
    }
  });
});
