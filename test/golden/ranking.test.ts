/**
 * Golden ranking cases: query -> expected order, each with the reason it must hold.
 * A change to analysis or scoring that breaks one of these changes what users see first.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeDocument } from '../../src/analysis/analyzer.js';
import { searchDocuments } from '../../src/services/search.js';
import { doc } from '../../src/store/contract/suite.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { tempDir } from '../helpers/fixtures.js';

const H = 3600_000;
const T = Date.UTC(2025, 6, 1);
let store: SqliteStore;

beforeAll(async () => {
  store = SqliteStore.open(tempDir());
  const filler = '市场人士表示，本周大宗商品整体震荡，成交量较上周略有回落，投资者观望情绪较浓。';
  await store.upsert(
    [
      doc('title-hit', '稀土价格上涨', `${filler}相关企业经营稳定。`, { publishedAt: T }),
      doc('body-hit', '大宗商品周报', `${filler}其中稀土价格上涨。`, { publishedAt: T + H }),
      doc('short', '快讯', '永磁订单增加。', { publishedAt: T }),
      doc('long', '行业观察', `${filler.repeat(6)}永磁订单增加。`, { publishedAt: T + 2 * H }),
      doc('many', '光伏组件', '光伏组件出口增加，光伏装机提速，光伏企业扩产。', { publishedAt: T }),
      doc('once', '新能源', '光伏行业平稳，风电项目推进，储能需求增长。', { publishedAt: T + H }),
      doc('en-title', 'Lithium exports surge', 'Shipments rose in June across the region.', { publishedAt: T }),
      doc('en-body', 'Weekly metals wrap', 'Copper slipped while lithium export volumes held steady.', { publishedAt: T + H }),
      doc('story-a', '镨钕价格创新高', '镨钕氧化物价格创年内新高，报每吨56万元，供需偏紧。', { source: '甲', publishedAt: T }),
      doc('story-b', '镨钕价格创新高', '镨钕氧化物价格创年内新高，报每吨56万元，供需偏紧。', { source: '乙', publishedAt: T + H }),
    ].map(analyzeDocument),
  );
});

const order = async (q: string, sort: 'relevance' | 'newest' = 'relevance') =>
  (await searchDocuments(store, { q, sort })).hits.map((h) => h.id);

describe('golden ranking', () => {
  it.each([
    ['稀土', ['title-hit', 'body-hit'], 'Both contain 稀土; the title match ranks first (title weighs 3x the body).'],
    ['永磁', ['short', 'long'], 'Same single occurrence; the shorter document ranks first (BM25 length normalization).'],
    ['光伏', ['many', 'once'], 'Three occurrences beat one in documents of similar length.'],
    ['lithium export', ['en-title', 'en-body'], 'Stems match (exports -> export); the title match ranks first.'],
  ])('%s', async (q, expected, _reason) => {
    expect(await order(q)).toEqual(expected);
  });

  it('newest first ignores scores and orders by publication time', async () => {
    expect(await order('稀土', 'newest')).toEqual(['body-hit', 'title-hit']);
  });

  it('a syndicated story appears once, canonical-independent, with the other outlet under "also in"', async () => {
    const res = await searchDocuments(store, { q: '镨钕' });
    expect(res.total).toBe(1);
    expect(res.hits[0]!.cluster?.others.map((o) => o.source)).toHaveLength(1);
  });
});
