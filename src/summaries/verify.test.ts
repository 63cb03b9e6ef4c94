import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractFigures, parseChineseNumeral, sameFigure } from './figures.js';
import { splitPoints, verifyText } from './verify.js';

const one = (s: string) => {
  const f = extractFigures(s);
  expect(f, s).toHaveLength(1);
  return f[0]!;
};

describe('figures', () => {
  it.each([
    ['$1.4 billion', '14亿美元'],
    ['1.4 billion dollars', 'US$1.42bn'],
    ['3,834 tons', '3834吨'],
    ['12,000 tonnes', '1.2万吨'],
    ['75%', '百分之七十五'],
    ['12.5 percent', '增长12.5%'],
    ['2 percentage points', '2个百分点'],
    ['Q1 2026', '2026年第一季度'],
    ['first quarter of 2026', '2026年1季度'],
    ['H1 2025', '2025年上半年'],
    ['March 2026', '2026年3月'],
    ['March 5, 2026', '2026年3月5日'],
    ['RMB 3 billion', '三十亿元'],
    ['5 GW', '5吉瓦'],
    ['2026', '2026年'],
  ])('%s = %s', (a, b) => {
    expect(sameFigure(one(a), one(b))).toBe(true);
  });

  it.each([
    ['$1.5 billion', '14亿美元'],
    ['$1.4 billion', '14亿元'],
    ['3,835 tons', '3834吨'],
    ['3,834 kg', '3834吨'],
    ['75%', '百分之七十'],
    ['2 percentage points', '2%'],
    ['Q2 2026', '2026年第一季度'],
    ['2025', '2026年'],
  ])('%s != %s', (a, b) => {
    expect(sameFigure(one(a), one(b))).toBe(false);
  });

  it('reads Chinese numerals and leaves words, codes and names alone', () => {
    expect(parseChineseNumeral('七十五')).toBe(75);
    expect(parseChineseNumeral('一百二十三')).toBe(123);
    expect(parseChineseNumeral('三千五百万')).toBe(35_000_000);
    expect(parseChineseNumeral('两亿')).toBe(200_000_000);
    expect(parseChineseNumeral('十二点五')).toBe(12.5);
    expect(extractFigures('一些企业万一，富时中国A50期货，5G基站').map((f) => f.text)).toEqual([]);
  });

  it('property: a quantity written in English and in Chinese is the same figure', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9_999_999 }), (n) => {
        const en = `${n.toLocaleString('en')} tons`;
        const zh = n >= 10_000 && n % 100 === 0 ? `${n / 10_000}万吨` : `${n}吨`;
        expect(sameFigure(one(en), one(zh)), `${en} / ${zh}`).toBe(true);
        expect(sameFigure(one(`${(n + 1).toLocaleString('en')} tons`), one(zh))).toBe(false);
      }),
      { numRuns: 200, seed: 5 },
    );
  });

  it('property: money in billions equals the same amount in 亿, to the precision written', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9999 }), (tenths) => {
        const billions = tenths / 10;
        const yi = tenths; // 0.1 billion = 1亿
        expect(sameFigure(one(`$${billions} billion`), one(`${yi}亿美元`))).toBe(true);
        // One step of the written precision away: 0.1 billion = 1亿, 1 billion = 10亿.
        const step = Number.isInteger(billions) ? 10 : 1;
        expect(sameFigure(one(`$${billions} billion`), one(`${yi + step}亿美元`))).toBe(false);
      }),
      { numRuns: 200, seed: 6 },
    );
  });
});

describe('verifier', () => {
  const zhDoc = [
    '商务部、海关总署发布公告，对部分中重稀土相关物项实施出口管制。',
    '2026年第一季度，北方稀土氧化镨钕产量为3834吨，同比增长75%。',
    '公司预计全年资本开支14亿美元。',
    '宁德时代表示，钠离子电池将于2026年第三季度量产。',
  ];

  it('splits the seed shape into points with their citations', () => {
    const text =
      'Core Viewpoint - 商务部对部分稀土物项实施出口管制 [1]\nGroup 1: 产量 - 北方稀土一季度产量3834吨 [2] - 资本开支14亿美元 [3][4]\n核心观点：无引用的结论';
    expect(splitPoints(text)).toEqual([
      { text: '商务部对部分稀土物项实施出口管制', citations: [1] },
      { text: '北方稀土一季度产量3834吨', citations: [2] },
      { text: '资本开支14亿美元', citations: [3, 4] },
      { text: '无引用的结论', citations: [] },
    ]);
    expect(splitPoints('A claim [1, 3] and a range [2-4].')).toEqual([
      { text: 'A claim', citations: [1, 3] },
      { text: 'and a range', citations: [2, 3, 4] },
    ]);
  });

  it.each([
    ['an English point on a Chinese source, figures and names across languages', 'China Northern Rare Earth produced 3,834 tons of NdPr oxide in Q1 2026, up 75% [2]', []],
    ['a Chinese point', '北方稀土2026年第一季度氧化镨钕产量3834吨[2]', []],
    ['money across languages', 'Capex of $1.4 billion is planned [3]', []],
    ['an alias', 'CATL plans mass production of sodium-ion cells in Q3 2026 [4]', []],
    ['a figure the paragraph does not state', '北方稀土产量为3900吨[2]', ['figure "3900吨" is not in [2]']],
    ['a figure from an uncited paragraph', '出口管制涉及3834吨[1]', ['figure "3834吨" is not in [1]']],
    ['a name the paragraph does not state', 'Tesla will buy the output [2]', ['"Tesla" is not named in [2]']],
    ['a citation past the end', '出口管制[9]', ['citation [9] does not exist (the document has 4 paragraphs)']],
    ['no citation', '稀土价格将继续上涨。', ['no citation']],
  ])('%s', (_label, text, problems) => {
    const r = verifyText(text, zhDoc);
    expect(r.points).toHaveLength(1);
    expect(r.points[0]!.problems).toEqual(problems);
    expect(r.points[0]!.verified).toBe(problems.length === 0);
  });

  it('property: a point quoting a paragraph figure verifies; the same point with another number fails', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 500_000 }), fc.constantFrom('吨', '%', '亿元', '万辆'), (n, unit) => {
        const para = [`公司公告称，本期数据为${n}${unit}，符合预期。`];
        expect(verifyText(`本期数据为${n}${unit}[1]`, para).points[0]!.verified).toBe(true);
        expect(verifyText(`本期数据为${n - 1}${unit}[1]`, para).points[0]!.verified).toBe(false);
      }),
      { numRuns: 150, seed: 9 },
    );
  });
});
