import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachBounded } from './concurrency.js';

describe('forEachBounded', () => {
  it('property: every item once, never more than the limit in flight', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 30 }), fc.integer({ min: 1, max: 6 }), async (delays, limit) => {
        let inFlight = 0;
        let peak = 0;
        const seen: number[] = [];
        await forEachBounded(delays, limit, async (ms, i) => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          await new Promise((r) => setTimeout(r, ms));
          seen.push(i);
          inFlight--;
        });
        expect(seen.sort((a, b) => a - b)).toEqual(delays.map((_, i) => i));
        expect(peak).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 30 },
    );
  });
});
