import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { positiveTextLeaves } from './query/ast.js';
import { parseQuery } from './query/parse.js';
import { findMatches, makeSnippet } from './highlight.js';

describe('snippets', () => {
  // Simplified and traditional forms, full-width letters, words: the paragraph filter works on
  // folded text, so it must never skip a paragraph the tokenizer would match.
  const pieces = ['国际', '國際', '市场', '市場', '发展', '發展', '稀土', '，', '。', ' ', 'Rare', 'ｅａｒｔｈ', 'earth', '锂', '鋰电'];
  const text = fc.array(fc.constantFrom(...pieces), { maxLength: 12 }).map((xs) => xs.join(''));

  it('pick the paragraph with the most matches, as tokenizing every paragraph would', () => {
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 6 }), fc.constantFrom('国际', '國際市場', '发展 稀土', '锂', 'earth', '"际市"', '稀土 -国际'), (paras, q) => {
        const leaves = positiveTextLeaves(parseQuery(q));
        let best = -1;
        let most = 0;
        paras.forEach((p, i) => {
          const n = findMatches(p, leaves, false).length;
          if (n > most) {
            most = n;
            best = i;
          }
        });
        expect(makeSnippet(paras, leaves).paragraph).toBe(best < 0 ? 1 : best + 1);
      }),
      { numRuns: 500, seed: 11 },
    );
  });
});
