import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldKey, LshBuckets } from './buckets.js';
import { bandKeys, minhash } from './minhash.js';

describe('LSH buckets', () => {
  it('property: a lookup returns the documents holding the key, newest first, as a scan of every add does', () => {
    // Keys from a small pool (band in the high part, as bandKeys makes them), so keys
    // repeat; a tail that starts at 1-4 entries grows to at most 1-40, then merges often.
    const key = fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 40 })).map(([b, h]) => b * 2 ** 32 + h * 0x10001);
    const step = fc.record({ gap: fc.integer({ min: 1, max: 3 }), keys: fc.array(key, { maxLength: 12 }) });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 4 }), fc.nat(), (steps, limit, tail, initial, cut) => {
        const buckets = new LshBuckets(tail, initial);
        const added: [number, number][] = [];
        // The same documents, the first `loaded` of them read in bulk (as lsh_keys rows), the rest added.
        const loaded = cut % (steps.length + 1);
        const rows: [number, string][] = [];
        let later: LshBuckets | null = null;
        let doc = 0;
        steps.forEach((s, i) => {
          doc += s.gap;
          buckets.add(doc, s.keys);
          for (const k of s.keys) added.push([k, doc]);
          if (i < loaded && s.keys.length > 0) rows.push([doc, s.keys.join(' ')]);
          if (i + 1 === loaded) later = LshBuckets.load(rows, cut % 7);
          if (i >= loaded) later?.add(doc, s.keys);
        });
        const both = later === null ? [buckets] : [buckets, later as LshBuckets];
        expect(buckets.size).toBe(added.length);
        expect(both.at(-1)!.size).toBe(added.length);
        for (const [k] of added.length > 0 ? added : [[7, 0] as [number, number]]) {
          const want = added
            .filter(([other]) => foldKey(other) === foldKey(k))
            .map(([, d]) => d)
            .reverse()
            .slice(0, limit);
          for (const b of both) expect(b.lookup(k, limit)).toEqual(want);
        }
      }),
      { numRuns: 300, seed: 20261201 },
    );
  });

  it('keeps the bands of one signature apart and refuses documents out of order', () => {
    const keys = bandKeys(minhash('稀土永磁出口管制价格上涨公司公告'));
    expect(new Set(keys.map(foldKey)).size).toBe(keys.length);
    const buckets = new LshBuckets();
    buckets.add(5, keys);
    expect(buckets.lookup(keys[3]!, 10)).toEqual([5]);
    expect(buckets.lookup(keys[3]! + 1, 10)).toEqual([]);
    expect(() => buckets.add(5, keys)).toThrow(/increasing order/);
  });
});
