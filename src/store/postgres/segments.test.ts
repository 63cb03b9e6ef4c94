import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePostings, positionsOf } from '../sqlite/postings.js';
import { blockEntries, buildSegment, compareTerms, concatEntries, type Entry, findEntry, prefixEntries, SegmentBuilder } from './segments.js';

/** Occurrences by brute force: term -> [seq, title positions, body positions] in seq order. */
function oracle(docs: { seq: number; titleTerms: string; bodyTerms: string }[]) {
  const out = new Map<string, [number, number[], number[]][]>();
  for (const d of docs) {
    const per = new Map<string, [number[], number[]]>();
    [d.titleTerms, d.bodyTerms].forEach((s, col) => {
      s.split(/[ \n]+/)
        .filter((t) => t !== '')
        .forEach((t, p) => {
          const e = per.get(t) ?? [[], []];
          e[col]!.push(p);
          per.set(t, e);
        });
    });
    for (const [t, [a, b]] of per) {
      const list = out.get(t) ?? [];
      list.push([d.seq, a, b]);
      out.set(t, list);
    }
  }
  return out;
}

function decoded(e: Entry): [number, number[], number[]][] {
  const p = decodePostings([e], true);
  const buf = new Int32Array(1024);
  const out: [number, number[], number[]][] = [];
  for (let k = 0; k < p.n; k++) {
    positionsOf(p, k, buf);
    const tt = p.tfTitle[k]!;
    out.push([p.docs[k]!, [...buf.subarray(0, tt)], [...buf.subarray(tt, tt + p.tfBody[k]!)]]);
  }
  return out;
}

// Terms from a small alphabet (CJK, Latin, one astral character) so documents share terms.
const term = fc.constantFrom('稀土', '土出', '出口', 'a', 'ab', 'b', '锂', '锂电', 'rare', 'earth', '𠀀', '𠀀稀', 'zz', '口管');
const text = fc.array(fc.array(term, { maxLength: 12 }), { maxLength: 3 }).map((paras) => paras.map((p) => p.join(' ')).join(' \n '));
const docsArb = fc.array(fc.record({ titleTerms: fc.array(term, { maxLength: 4 }).map((t) => t.join(' ')), bodyTerms: text }), { minLength: 1, maxLength: 40 });

describe('posting segments', () => {
  it('property: every term of the documents is found in its block with its documents and positions; blocks are in code point order', () => {
    fc.assert(
      fc.property(docsArb, fc.integer({ min: 1, max: 1000 }), (raw, base) => {
        const docs = raw.map((d, i) => ({ seq: base + i * 3, ...d }));
        const blocks = buildSegment(docs);
        const want = oracle(docs);
        const seen: string[] = [];
        for (const b of blocks) for (const e of blockEntries(b.body)) seen.push(e.term);
        expect(seen.sort()).toEqual([...want.keys()].sort());
        for (let i = 1; i < blocks.length; i++) expect(compareTerms(blocks[i - 1]!.last, blocks[i]!.first)).toBeLessThan(0);
        for (const b of blocks) {
          const terms = [...blockEntries(b.body)].map((e) => e.term);
          expect([terms[0], terms.at(-1)]).toEqual([b.first, b.last]);
          for (let i = 1; i < terms.length; i++) expect(compareTerms(terms[i - 1]!, terms[i]!)).toBeLessThan(0);
        }
        for (const [t, list] of want) {
          const home = blocks.find((x) => [...blockEntries(x.body)].some((e) => e.term === t))!;
          expect(findEntry(home.body, t), t).not.toBeNull();
          const e = findEntry(home.body, t)!;
          expect(decoded(e)).toEqual(list);
          expect([e.first, e.last, e.n]).toEqual([list[0]![0], list.at(-1)![0], list.length]);
        }
        for (const p of ['稀', '锂', '𠀀', 'a']) {
          const found = blocks.flatMap((x) => prefixEntries(x.body, p).map((e) => e.term));
          expect(found.sort()).toEqual([...want.keys()].filter((t) => t.startsWith(p)).sort());
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a term is in the block whose first term is the greatest not after it (how the store looks it up)', () => {
    const terms = Array.from({ length: 4000 }, (_, i) => (i % 3 === 0 ? `w${i}x` : i % 3 === 1 ? String.fromCodePoint(0x4e00 + i) + String.fromCodePoint(0x4e00 + ((i * 7) % 900)) : String.fromCodePoint(0x20000 + i)));
    const docs = Array.from({ length: 20 }, (_, d) => ({ seq: d + 1, titleTerms: '', bodyTerms: terms.filter((_, i) => i % 20 === d || i % 7 === 0).join(' ') }));
    const blocks = buildSegment(docs);
    expect(blocks.length).toBeGreaterThan(5);
    for (const t of new Set(terms)) {
      let home = blocks[0]!;
      for (const b of blocks) if (compareTerms(b.first, t) <= 0) home = b;
      expect(compareTerms(t, home.last), t).toBeLessThanOrEqual(0);
      expect(findEntry(home.body, t)?.term, t).toBe(t);
    }
  });

  it('property: merging consecutive segments term by term equals building them as one, with dead documents dropped', () => {
    fc.assert(
      fc.property(docsArb, docsArb, fc.array(fc.boolean(), { minLength: 80, maxLength: 80 }), (ra, rb, dead) => {
        const a = ra.map((d, i) => ({ seq: 1 + i, ...d }));
        const b = rb.map((d, i) => ({ seq: 100 + i * 2, ...d }));
        const entries = (docs: typeof a) => new Map(buildSegment(docs).flatMap((x) => [...blockEntries(x.body)]).map((e) => [e.term, e]));
        const [ea, eb] = [entries(a), entries(b)];
        const live = (seq: number) => !dead[seq % 80];
        const whole = oracle([...a, ...b].filter((d) => live(d.seq)));
        for (const t of new Set([...ea.keys(), ...eb.keys()])) {
          const parts = [ea.get(t), eb.get(t)].filter((e): e is Entry => e !== undefined);
          const m = concatEntries(parts, live);
          if (!whole.has(t)) expect(m).toBeNull();
          else expect(decoded(m!)).toEqual(whole.get(t));
          expect(decoded(concatEntries(parts, null)!)).toEqual(oracle([...a, ...b]).get(t));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('the segment thread builds the same blocks as the calling thread, and after it is gone the calling thread builds them', async () => {
    const docs = Array.from({ length: 300 }, (_, i) => ({ seq: i + 1, titleTerms: `稀土 t${i % 7}`, bodyTerms: `出口 管制 ${i} \n 锂电 价格 v${i % 13} 𠀀` }));
    const builder = new SegmentBuilder();
    try {
      const want = buildSegment(docs.map((d) => ({ ...d })));
      const got = await builder.build(docs.map((d) => ({ ...d })));
      expect(got.map((b) => [b.first, b.last, Buffer.from(b.body).toString('hex')])).toEqual(want.map((b) => [b.first, b.last, b.body.toString('hex')]));
      await builder.close();
      const again = await builder.build(docs.map((d) => ({ ...d })));
      expect(again.length).toBe(want.length);
    } finally {
      await builder.close();
    }
  });
});
