import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countOccurrences } from '../search/highlight.js';
import type { TextNode } from '../search/query/ast.js';
import { foldText } from './normalize.js';
import { indexTermString, queryTerms, tokenize } from './terms.js';

const leaf = (q: string): TextNode => ({ kind: 'text', raw: q, ...queryTerms(q), field: null, quoted: true });

describe('index terms', () => {
  it('indexes CJK runs as bigrams plus a closing unigram', () => {
    expect(indexTermString('北方稀土')).toBe('北方 方稀 稀土 土');
    expect(indexTermString('稀土，出口')).toBe('稀土 土 出口 口');
    expect(indexTermString('锂')).toBe('锂');
  });

  it('folds traditional to simplified, full width to half width, and case, for terms only', () => {
    expect(indexTermString('稀土產業')).toBe('稀土 土产 产业 业');
    expect(indexTermString('ＡＢＣ　Tesla')).toBe('abc tesla');
    const toks = tokenize('產業');
    expect(toks[0]).toMatchObject({ term: '产业', start: 0, end: 2 });
  });

  it('stems English words and keeps numbers', () => {
    expect(indexTermString('Exports rose 3,834 tons')).toBe('export rose 3 834 ton');
  });

  it('splits mixed scripts without losing offsets', () => {
    const text = '5G手机和A股';
    const toks = tokenize(text);
    expect(toks.map((t) => [t.term, text.slice(t.start, t.end)])).toEqual([
      ['5g', '5G'],
      ['手机', '手机'],
      ['机和', '机和'],
      ['和', '和'],
      ['a', 'A'],
      ['股', '股'],
    ]);
  });

  it('turns query text into the exact token sequence to look for', () => {
    expect(queryTerms('稀土')).toEqual({ terms: ['稀土'], prefix: false });
    expect(queryTerms('钕铁硼')).toEqual({ terms: ['钕铁', '铁硼'], prefix: false });
    expect(queryTerms('锂')).toEqual({ terms: ['锂'], prefix: true });
    expect(queryTerms('A股')).toEqual({ terms: ['a', '股'], prefix: true });
    expect(queryTerms('稀土ETF')).toEqual({ terms: ['稀土', '土', 'etf'], prefix: false });
  });

  it('property: tokens are ordered, in bounds, and cover word characters of the original', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'稀土永磁a B1，。 產業Ｘ\n-'.split('')), maxLength: 40 }), (s) => {
        let prev = 0;
        for (const t of tokenize(s)) {
          expect(t.start).toBeGreaterThanOrEqual(0);
          expect(t.end).toBeLessThanOrEqual(s.length);
          expect(t.start).toBeLessThan(t.end);
          expect(t.start).toBeGreaterThanOrEqual(prev - 1);
          prev = t.start;
        }
      }),
    );
  });

  it('property: a CJK query of 2+ characters matches exactly where it is a substring (brute-force oracle)', () => {
    const alphabet = '稀土永磁钕铁硼锂铜，a '.split('');
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 30 }),
        fc.string({ unit: fc.constantFrom(...'稀土永磁钕铁硼锂铜'.split('')), minLength: 2, maxLength: 4 }),
        (text, q) => {
          const found = countOccurrences(text, leaf(q)) > 0;
          expect(found).toBe(foldText(text).includes(foldText(q)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('property: a one-character query matches exactly where the character occurs', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'稀土锂铜，a '.split('')), maxLength: 20 }),
        fc.constantFrom('锂', '铜', '土'),
        (text, q) => {
          expect(countOccurrences(text, leaf(q)) > 0).toBe(text.includes(q));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
