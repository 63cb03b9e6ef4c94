import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LodestoneError } from '../../core/errors.js';
import { printQuery } from './ast.js';
import { parseQuery } from './parse.js';

const p = (q: string) => printQuery(parseQuery(q));

describe('query parser', () => {
  it('parses terms, phrases, booleans, negation and fields', () => {
    expect(p('稀土 出口管制')).toBe('("稀土" AND "出口 口管 管制")');
    expect(p('"稀土 永磁"')).toBe('"稀土 土 永磁"');
    expect(p('稀土 OR 锂')).toBe('("稀土" OR "锂"*)');
    expect(p('稀土 -传闻')).toBe('("稀土" AND NOT "传闻")');
    expect(p('稀土 NOT source:财联社')).toBe('("稀土" AND NOT source:财联社)');
    expect(p('title:永磁 type:report lang:zh ticker:600111.SH')).toBe(
      '(title:"永磁" AND type:report AND lang:zh AND ticker:600111.SH)',
    );
    expect(p('title:(稀土 OR 永磁)')).toBe('(title:"稀土" OR title:"永磁")');
    expect(p('(稀土 OR 锂) AND 价格')).toBe('(("稀土" OR "锂"*) AND "价格")');
    expect(p('')).toBe('*');
  });

  it('splits an unspaced Chinese query into dictionary words only when no piece is a single character', () => {
    expect(p('稀土出口管制')).toBe('("稀土" AND "出口 口管 管制")');
    expect(p('钕铁硼')).toBe('"钕铁 铁硼"');
    expect(p('中国农业发展银行')).toMatch(/农业/);
  });

  it('stems English terms like the index', () => {
    expect(p('Exports controls')).toBe('("export" AND "control")');
  });

  it.each([
    ['"稀土', /Unterminated quote/],
    ['(稀土', /Missing "\)"/],
    ['稀土)', /Unmatched "\)"/],
    ['稀土 AND', /AND needs a term after it/],
    ['OR 稀土', /OR needs a term/],
    ['source:', /source: needs a value/],
    ['NOT', /NOT needs a term/],
  ])('reports %s clearly', (q, msg) => {
    expect(() => parseQuery(q)).toThrow(msg);
    try {
      parseQuery(q);
    } catch (err) {
      expect(err).toBeInstanceOf(LodestoneError);
      expect((err as LodestoneError).code).toBe('query_syntax');
    }
  });

  it('property: never throws anything but a query_syntax error', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'稀土 ()"-:ANDORNOTtitle:source:锂a1，'.split('')), maxLength: 40 }), (q) => {
        try {
          parseQuery(q);
        } catch (err) {
          expect(err).toBeInstanceOf(LodestoneError);
          expect((err as LodestoneError).code).toBe('query_syntax');
        }
      }),
      { numRuns: 3000 },
    );
  });
});
