import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bandKeys, containment, exactJaccard, fingerprintText, K, minhash, similarity } from './minhash.js';
import { foldText } from '../analysis/normalize.js';
import { figures, isNearDuplicate } from './policy.js';

const words = '稀土 永磁 出口 管制 价格 上涨 公司 公告 市场 需求 供应 美元 季度 增长 电池 锂矿'.split(' ');
const text = fc.array(fc.constantFrom(...words), { minLength: 5, maxLength: 60 }).map((ws) => ws.join(''));

describe('MinHash', () => {
  it('property: similarity is symmetric and 1 for identical texts', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        const sa = minhash(a);
        const sb = minhash(b);
        expect(similarity(sa, sb)).toBe(similarity(sb, sa));
        expect(similarity(sa, minhash(a))).toBe(1);
      }),
    );
  });

  it('property: the estimate tracks the exact shingle Jaccard', () => {
    let totalError = 0;
    let n = 0;
    fc.assert(
      fc.property(text, text, fc.integer({ min: 0, max: 40 }), (a, b, cut) => {
        // b' shares a prefix of a, so similarities spread over the whole range
        const other = a.slice(0, Math.max(0, a.length - cut)) + b.slice(0, cut);
        const est = similarity(minhash(a), minhash(other));
        const exact = exactJaccard(a, other);
        totalError += Math.abs(est - exact);
        n++;
        // One pair of short texts can be far off with 64 bins; the mean below is the real check.
        expect(Math.abs(est - exact)).toBeLessThan(0.5);
      }),
      { numRuns: 300, seed: 20261122 },
    );
    expect(totalError / n).toBeLessThan(0.08); // mean absolute error with K = 64
  });

  it('gives identical signatures identical band keys', () => {
    const a = minhash('稀土永磁出口管制价格上涨');
    expect(bandKeys(a)).toEqual(bandKeys(minhash('稀土永磁出口管制价格上涨')));
    expect(a.length).toBe(K);
  });

  it('estimates containment of a lead inside the full story', () => {
    const full = words.join('').repeat(3);
    const lead = full.slice(0, 30);
    const j = similarity(minhash(lead), minhash(full));
    expect(containment(j, lead.length - 3, full.length - 3)).toBeGreaterThan(0.7);
  });

  it('strips the outlet headline and dateline from the fingerprint text', () => {
    const a = fingerprintText('美联储维持利率不变', '【美联储维持利率不变】财联社5月14日电，美联储宣布维持利率不变。');
    const b = fingerprintText('美联储维持利率不变', '美联储宣布维持利率不变。');
    expect(a).toBe(b);
    // The analyzer passes text it has already folded; the result must not change.
    const body = '【美联储维持利率不变】财联社5月14日电，美联储宣布维持利率不变。';
    expect(fingerprintText(foldText('美联储维持利率不变'), foldText(body), true)).toBe(a);
  });
});

describe('duplicate policy', () => {
  const day = 24 * 3600 * 1000;
  it('keeps recurring template items with different figures apart', () => {
    const a = '国际原油期货结算价收跌，WTI原油期货收跌1.2%，报69.80美元/桶。';
    const b = '国际原油期货结算价收跌，WTI原油期货收跌0.5%，报70.12美元/桶。';
    const sim = similarity(minhash(a), minhash(b));
    expect(
      isNearDuplicate(
        { publishedAt: 0, figures: figures(a) },
        { publishedAt: day, similarity: 1, containment: 1, figures: figures(b) },
      ),
    ).toBe(false);
    expect(sim).toBeLessThan(1);
  });

  it('joins copies with the same figures inside the window, not outside it', () => {
    const f = figures('营收增长15%，达到3,834吨');
    expect([...f].sort()).toEqual(['15', '3834']);
    const near = { publishedAt: 3600_000, similarity: 0.9, containment: 0.95, figures: f };
    expect(isNearDuplicate({ publishedAt: 0, figures: f }, near)).toBe(true);
    expect(isNearDuplicate({ publishedAt: 10 * day, figures: f }, near)).toBe(false);
  });
});
