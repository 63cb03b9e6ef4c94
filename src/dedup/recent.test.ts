import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { K } from './minhash.js';
import { type Fingerprint, RecentFingerprints } from './recent.js';

const fingerprint = (id: number, clusterId: number | null): Fingerprint => ({
  publishedAt: id % 5 === 0 ? null : 1_700_000_000_000 + id * 1000,
  minhash: Uint32Array.from({ length: K }, (_, i) => (id * 7919 + i) >>> 0),
  shingles: id % 300,
  figures: id % 3 === 0 ? [] : [String(id), '2026'],
  clusterId,
});

describe('recent fingerprints', () => {
  it('property: answers like a map of every document put and changed, holding at least the newest `max` of them', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('put' as const), gap: fc.integer({ min: 1, max: 3 }), cluster: fc.option(fc.integer({ min: 1, max: 6 })) }),
      fc.record({ kind: fc.constant('set' as const), back: fc.nat(40), cluster: fc.option(fc.integer({ min: 1, max: 6 })) }),
      fc.record({ kind: fc.constant('move' as const), from: fc.integer({ min: 1, max: 6 }), to: fc.integer({ min: 1, max: 6 }) }),
      fc.record({ kind: fc.constant('drop' as const), back: fc.nat(40) }),
      fc.record({ kind: fc.constant('clear' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), (ops, maxLog, initLog) => {
        const max = 2 ** maxLog;
        const recent = new RecentFingerprints(max, 2 ** initLog);
        const model = new Map<number, Fingerprint>();
        let id = 0;
        const past = (back: number) => Math.max(1, id - back);
        for (const o of ops) {
          if (o.kind === 'put') {
            id += o.gap;
            const f = fingerprint(id, o.cluster);
            recent.put(id, f);
            model.set(id, f);
          } else if (o.kind === 'set') {
            recent.setCluster(past(o.back), o.cluster);
            const f = model.get(past(o.back));
            if (f) f.clusterId = o.cluster;
          } else if (o.kind === 'move') {
            recent.moveCluster(o.from, o.to);
            for (const f of model.values()) if (f.clusterId === o.from) f.clusterId = o.to;
          } else if (o.kind === 'drop') {
            recent.drop(past(o.back));
            model.delete(past(o.back));
          } else {
            recent.clear();
            model.clear();
          }
        }
        for (let d = 1; d <= id; d++) {
          const got = recent.get(d);
          const want = model.get(d) ?? null;
          if (got !== null) expect({ ...got, minhash: [...got.minhash] }).toEqual({ ...want, minhash: [...want!.minhash] });
          // Ids advance by at least one a put: the newest `max` ids are never evicted.
          else if (d > id - max) expect(want).toBeNull();
        }
      }),
    );
  });
});
