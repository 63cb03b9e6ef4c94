import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachHit, TermMatcher } from './term-hits.js';

const WORDS = ['稀土', '土永', '永磁', '磁体', '铜', 'ab', 'x', '北方稀土'];

/** Token positions of each column, the way FTS5's ascii tokenizer counts them. */
const tokens = (s: string) => s.split(/[ \n]+/).filter((t) => t !== '');

/** Positions as postings.ts stores them: varint deltas, restarting at 0 for the body. */
function decodePositions(bytes: Uint8Array, tfTitle: number, tfBody: number): { title: number[]; body: number[] } {
  const deltas: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    let v = 0;
    let shift = 0;
    let x: number;
    do {
      x = bytes[i++]!;
      v |= (x & 0x7f) << shift;
      shift += 7;
    } while (x & 0x80);
    deltas.push(v);
  }
  expect(deltas.length).toBe(tfTitle + tfBody);
  const sums = (d: number[]) => d.map((_, j) => d.slice(0, j + 1).reduce((a, b) => a + b, 0));
  return { title: sums(deltas.slice(0, tfTitle)), body: sums(deltas.slice(tfTitle)) };
}

describe('locating terms and phrases in index term strings', () => {
  it('finds exactly the positions a token-by-token scan finds, for terms and phrases', () => {
    const text = fc
      .array(fc.array(fc.constantFrom(...WORDS), { maxLength: 12 }), { maxLength: 4 })
      .map((paras) => paras.map((p) => p.join(' ')).join(' \n '));
    fc.assert(
      fc.property(text, text, fc.subarray(WORDS, { minLength: 1 }), fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 3 }), (title, body, set, picks) => {
        // Phrases of two or three of the set's terms.
        const phrases = picks.map((p, k) => [set[p % set.length]!, set[(p + k + 1) % set.length]!, ...(p % 2 ? [set[(p + 2) % set.length]!] : [])].join(' '));
        const terms = [...new Set([...set, ...phrases])];
        const m = new TermMatcher({ id: 1, terms });
        const got = new Map<string, { title: number[]; body: number[] }>();
        const hits = m.match(title, body);
        forEachHit(hits, (index, tfTitle, tfBody, start, end) => {
          expect(got.has(terms[index]!)).toBe(false);
          got.set(terms[index]!, decodePositions(hits.subarray(start, end), tfTitle, tfBody));
        });
        const cols = { title: tokens(title), body: tokens(body) };
        for (const t of terms) {
          const words = t.split(' ');
          const starts = (toks: string[]) =>
            toks.map((_, p) => p).filter((p) => words.every((w, j) => toks[p + j] === w));
          const want = { title: starts(cols.title), body: starts(cols.body) };
          if (want.title.length === 0 && want.body.length === 0) expect(got.has(t), t).toBe(false);
          else expect(got.get(t), t).toEqual(want);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('encodes long documents (numbers past one byte) the same way', () => {
    const body = Array.from({ length: 20_000 }, (_, i) => (i === 200 || i === 17_000 ? 'ab' : 'x')).join(' ');
    const m = new TermMatcher({ id: 1, terms: ['x', 'ab', 'ab x'] });
    const hits = m.match('', body);
    const got: Record<string, { title: number[]; body: number[] }> = {};
    forEachHit(hits, (index, tfTitle, tfBody, start, end) => {
      got[m.set.terms[index]!] = decodePositions(hits.subarray(start, end), tfTitle, tfBody);
    });
    expect(got.ab).toEqual({ title: [], body: [200, 17_000] });
    expect(got['ab x']).toEqual(got.ab);
    expect(got.x!.body.length).toBe(19_998);
    expect(got.x!.body.slice(199, 201)).toEqual([199, 201]);
  });
});
