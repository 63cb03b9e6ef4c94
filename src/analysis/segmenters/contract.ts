import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { Segmenter } from './segmenter.js';

/** The contract every Segmenter passes: lossless, offsets into the input. */
export function segmenterContract(make: () => Segmenter) {
  it('is lossless and keeps offsets', () => {
    const seg = make();
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'中国农业发展银行稀土 永磁，Hello world。\n\t3.5%'.split('')), maxLength: 60 }), (s) => {
        const parts = seg.segment(s);
        expect(parts.map((p) => p.text).join('')).toBe(s);
        for (const p of parts) expect(s.slice(p.start, p.end)).toBe(p.text);
      }),
      { numRuns: 300 },
    );
  });
}

