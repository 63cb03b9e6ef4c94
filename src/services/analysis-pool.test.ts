import { describe, expect, it } from 'vitest';
import { doc } from '../store/contract/suite.js';
import { TermMatcher } from '../analysis/term-hits.js';
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

  it("locates the store's terms in the workers, against the set it was given", async () => {
    const docs = [doc('a', '北方稀土', '高性能钕铁硼磁体，稀土永磁'), doc('b', 'Exports', 'Rare earth exports fell 75%.')];
    const set = { id: 7, terms: ['稀土', '磁体', 'export', '稀土 土永'] };
    const pool = new WorkerAnalyzer(1);
    try {
      const viaWorkers = await pool.analyze(docs, set);
      const later = await pool.analyze(docs, { id: 8, terms: ['fell'] });
      const matcher = new TermMatcher(set);
      for (const o of viaWorkers) {
        if (!o.ok) throw new Error(o.error);
        expect(o.doc.located?.set).toBe(7);
        expect([...o.doc.located!.hits]).toEqual([...matcher.match(o.doc.analysis.titleTerms, o.doc.analysis.bodyTerms)]);
      }
      expect(viaWorkers[0]!.ok && viaWorkers[0]!.doc.located!.hits.length).toBeGreaterThan(0);
      expect(later.map((o) => o.ok && o.doc.located?.set)).toEqual([8, 8]);
      // The calling thread leaves locating to the store.
      expect((await inlineAnalyzer.analyze(docs, set)).map((o) => o.ok && o.doc.located)).toEqual([undefined, undefined]);
    } finally {
      await pool.close();
    }
  });
});
