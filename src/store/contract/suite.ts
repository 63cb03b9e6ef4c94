/**
 * The store contract: every DocumentStore backend runs this suite in one line
 * (`runStoreContract('sqlite', factory)`). A backend that cannot run here skips with a reason.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { analyzeDocument } from '../../analysis/analyzer.js';
import { foldText } from '../../analysis/normalize.js';
import type { DocumentInput } from '../../core/types.js';
import { parseQuery } from '../../search/query/parse.js';
import type { DocumentStore, SearchRequest } from '../ports.js';

export type StoreFactory = () => Promise<DocumentStore>;

const HOUR = 3600_000;
export const T0 = Date.UTC(2025, 6, 1);

export function doc(id: string, title: string, body: string, extra: Partial<DocumentInput> = {}): DocumentInput {
  return {
    key: `ext:${extra.source ?? 'wire'}:${id}`,
    externalId: id,
    title,
    source: 'wire',
    url: null,
    publishedAt: T0,
    fetchedAt: T0,
    type: 'news',
    lang: null,
    paragraphs: body.split('\n').map((text, i) => ({ n: i + 1, text })),
    metadata: {},
    ...extra,
  };
}

function req(q: string, over: Partial<SearchRequest> = {}): SearchRequest {
  return { query: parseQuery(q), filters: {}, sort: 'relevance', collapse: false, limit: 100, offset: 0, facets: true, ...over };
}

export function runStoreContract(name: string, factory: StoreFactory, skip?: string): void {
  const d = skip ? describe.skip : describe;
  d(`DocumentStore contract: ${name}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let store: DocumentStore | null = null;
    const open = async () => {
      store = await factory();
      return store;
    };
    afterEach(async () => {
      await store?.close();
      store = null;
    });
    const ids = async (s: DocumentStore, q: string, over: Partial<SearchRequest> = {}) => {
      const r = await s.search(req(q, over));
      const docs = await s.getManyBySeq(r.hits.map((h) => h.seq));
      return r.hits.map((h) => docs.get(h.seq)!.id);
    };

    it('inserts, skips unchanged, updates changed content and re-indexes it', async () => {
      const s = await open();
      const a = analyzeDocument(doc('a', '稀土', '北方稀土发布公告'));
      expect((await s.upsert([a]))[0]!.status).toBe('inserted');
      expect((await s.upsert([analyzeDocument(doc('a', '稀土', '北方稀土发布公告'))]))[0]!.status).toBe('unchanged');
      expect((await s.upsert([analyzeDocument(doc('a', '锂', '碳酸锂价格下跌'))]))[0]!.status).toBe('updated');
      expect(await ids(s, '北方稀土')).toEqual([]);
      expect(await ids(s, '碳酸锂')).toEqual(['a']);
      const [stored] = await s.findByPublicId('a');
      expect(stored!.paragraphs).toEqual([{ n: 1, text: '碳酸锂价格下跌' }]);
      expect((await s.findByKey(stored!.key))?.id).toBe('a');
      expect(await s.findByKey('no such key')).toBeNull();
      expect((await s.stats()).documents).toBe(1);
    });

    it('finds Chinese words inside compounds, single characters, English stems and phrases', async () => {
      const s = await open();
      await s.upsert([
        analyzeDocument(doc('1', '中国农业发展银行', '高性能钕铁硼磁体订单增加，金力永磁涨停')),
        analyzeDocument(doc('2', '锂矿', '碳酸锂价格下跌')),
        analyzeDocument(doc('3', 'Exports', 'China tightened rare earth export controls')),
      ]);
      expect(await ids(s, '农业')).toEqual(['1']);
      expect(await ids(s, '钕铁硼')).toEqual(['1']);
      expect(await ids(s, '永磁')).toEqual(['1']);
      expect(await ids(s, '锂')).toEqual(['2']);
      expect(await ids(s, 'exported')).toEqual(['3']);
      expect(await ids(s, '"rare earth"')).toEqual(['3']);
      expect(await ids(s, '"earth rare"')).toEqual([]);
      expect(await ids(s, '磁体订单 OR 锂')).toHaveLength(2);
      expect(await ids(s, '磁体 -金力永磁')).toEqual([]);
      expect(await ids(s, 'title:农业')).toEqual(['1']);
      expect(await ids(s, 'title:钕铁硼')).toEqual([]);
    });

    it('filters by fields, types, languages, sources and dates; sorts newest first; pages with exact totals', async () => {
      const s = await open();
      const batch = [];
      for (let i = 0; i < 25; i++) {
        batch.push(
          analyzeDocument(
            doc(`d${i}`, `稀土 ${i}`, `稀土价格第${i}次调整`, {
              publishedAt: T0 + i * HOUR,
              type: i % 2 ? 'report' : 'news',
              source: i % 3 ? '财联社' : 'Wire',
              key: `k${i}`,
              metadata: i === 3 ? { tickers: ['600111.SH'] } : {},
            }),
          ),
        );
      }
      await s.upsert(batch);
      const newest = await s.search(req('稀土', { sort: 'newest', limit: 5 }));
      expect(newest.total).toBe(25);
      const first = await s.getManyBySeq(newest.hits.map((h) => h.seq));
      expect(newest.hits.map((h) => first.get(h.seq)!.id)).toEqual(['d24', 'd23', 'd22', 'd21', 'd20']);
      const page2 = await ids(s, '稀土', { sort: 'newest', limit: 5, offset: 5 });
      expect(page2).toEqual(['d19', 'd18', 'd17', 'd16', 'd15']);
      expect((await s.search(req('稀土 type:report'))).total).toBe(12);
      expect((await s.search(req('稀土', { filters: { types: ['report'] } }))).total).toBe(12);
      expect((await s.search(req('source:财联社'))).total).toBe(16);
      expect((await s.search(req('稀土', { filters: { sources: ['wire'] } }))).total).toBe(9);
      expect((await s.search(req('稀土', { filters: { from: T0 + 10 * HOUR, to: T0 + 20 * HOUR } }))).total).toBe(10);
      expect(await ids(s, 'ticker:600111.sh')).toEqual(['d3']);
      expect((await s.search(req('-稀土'))).total).toBe(0);
      const facets = (await s.search(req('稀土'))).facets!;
      expect(facets.type).toEqual([
        { value: 'news', count: 13 },
        { value: 'report', count: 12 },
      ]);
      expect(facets.month).toEqual([{ value: '2025-07', count: 25 }]);
    });

    it('ranks a title match above a body match (title weighted above body)', async () => {
      const s = await open();
      await s.upsert([
        analyzeDocument(doc('body', '市场周报', '本周永磁材料价格稳定，其他商品走弱，市场交投清淡。')),
        analyzeDocument(doc('title', '永磁材料价格稳定', '本周市场交投清淡，其他商品走弱，成交一般。')),
        analyzeDocument(doc('none', '其他', '无关内容，其他商品走弱。')),
      ]);
      expect(await ids(s, '永磁')).toEqual(['title', 'body']);
    });

    it('clusters exact and near duplicates from different sources, earliest canonical, and collapses them', async () => {
      const s = await open();
      const body = '北方稀土公告，上调镨钕氧化物挂牌价至每吨56万元。公司表示，高性能钕铁硼磁体需求旺盛，订单排至年底。';
      const r = await s.upsert([
        analyzeDocument(doc('x1', '北方稀土上调挂牌价', body, { source: 'A', publishedAt: T0 + HOUR })),
        analyzeDocument(doc('x2', '北方稀土上调挂牌价', body, { source: 'B', publishedAt: T0 })),
        analyzeDocument(doc('x3', '北方稀土上调挂牌价', `【北方稀土上调挂牌价】${body}`, { source: 'C', publishedAt: T0 + 2 * HOUR })),
        analyzeDocument(doc('y', '其他消息', '碳酸锂价格下跌，锂矿股走弱。', { source: 'A' })),
      ]);
      const cid = r[1]!.clusterId;
      expect(cid).not.toBeNull();
      expect(r[2]!.clusterId).toBe(cid);
      expect(r[3]!.clusterId).toBeNull();
      expect((await s.findByPublicId('x1'))[0]!.clusterId).toBe(cid);
      const c = await s.cluster(cid!);
      expect(c!.canonical).toBe('x2');
      expect(c!.members.map((m) => m.source)).toEqual(['B', 'A', 'C']);
      const collapsed = await s.search(req('稀土', { collapse: true }));
      expect(collapsed.total).toBe(1);
      expect(collapsed.hits[0]!.collapsed).toBe(3);
      expect((await s.search(req('稀土', { collapse: false }))).total).toBe(3);
      expect((await s.clusters(2)).map((x) => x.size)).toEqual([3]);
      // deleting members shrinks, then dissolves the cluster
      const [x1] = await s.findByPublicId('x1');
      const [x3] = await s.findByPublicId('x3');
      await s.deleteBySeq([x1!.seq, x3!.seq]);
      expect(await s.clusters(2)).toEqual([]);
      expect((await s.search(req('稀土'))).total).toBe(1);
    });

    it('keeps a short template line repeated on other days apart, but joins a long verbatim repost', async () => {
      const s = await open();
      const DAY = 24 * HOUR;
      const line = '富时中国A50指数期货跌1%';
      const article = '北方稀土公告称，公司将上调镨钕氧化物挂牌价，并扩建高性能钕铁硼磁体产线。'.repeat(8);
      const r = await s.upsert([
        analyzeDocument(doc('t1', '', line, { publishedAt: T0 })),
        analyzeDocument(doc('t2', '', line, { publishedAt: T0 + 2 * DAY })),
        analyzeDocument(doc('t3', '', line, { publishedAt: T0 + 2 * DAY + HOUR, source: 'other' })),
        analyzeDocument(doc('a1', '长文', article, { publishedAt: T0 })),
        analyzeDocument(doc('a2', '长文', article, { publishedAt: T0 + 10 * DAY, source: 'other' })),
      ]);
      expect(r[1]!.clusterId).toBeNull();
      expect(r[2]!.clusterId).not.toBeNull(); // same line, same day, another outlet
      expect((await s.findByPublicId('t1'))[0]!.clusterId).toBeNull();
      expect(r[4]!.clusterId).not.toBeNull();
    });

    it('a live-updates day: distinct flashes stay apart, copies join, nothing chains (issue 18, item 8)', async () => {
      const s = await open();
      const M = 60_000;
      // Written for this test, shaped like a state visit reported flash by flash by three outlets.
      const talks = (scale: string, will: boolean) => `5月20日上午，甲国总统${will ? '将' : ''}在首都同来访的乙国总统举行${scale}会谈。`;
      const ipo = (name: string) => `证券机构显示，${name}更新聆讯后资料集，意味着该公司港交所IPO通过聆讯。`;
      await s.upsert(
        [
          doc('l1', '甲国总统将同乙国总统小范围会谈', talks('小范围', true), { source: '快讯一', publishedAt: T0 }),
          doc('l2', '甲国总统将同乙国总统小范围会谈', `【甲国总统将同乙国总统小范围会谈】${talks('小范围', true)}`, { source: '快讯二', publishedAt: T0 + M }),
          doc('l3', '甲国总统将同乙国总统大范围会谈', talks('大范围', true), { source: '快讯二', publishedAt: T0 + 5 * M }),
          doc('l4', '甲国总统将同乙国总统大范围会谈', talks('大范围', true), { source: '快讯一', publishedAt: T0 + 6 * M }),
          doc('l5', '甲国总统同乙国总统小范围会谈结束', '5月20日，甲国总统在首都同来访的乙国总统小范围会谈结束。', { source: '快讯三', publishedAt: T0 + 90 * M }),
          // A roundup that quotes the day's flashes must not glue them together.
          doc('l6', '甲国总统同乙国总统会谈', `${talks('小范围', false)}${talks('大范围', false)}两国元首一致同意友好条约继续延期。`, { source: '快讯三', publishedAt: T0 + 120 * M }),
          doc('l7', '两国元首同意友好条约延期', '5月20日上午，甲国总统在首都同来访的乙国总统举行会谈。两国元首一致同意友好条约继续延期。', { source: '快讯一', publishedAt: T0 + 121 * M }),
          // One template, two companies: two events; the same company from another outlet: a copy.
          doc('i1', '甲乙智能科技股份有限公司通过港交所上市聆讯', ipo('甲乙智能科技股份有限公司'), { source: '快讯一', publishedAt: T0 }),
          doc('i2', '丙丁国际控股有限公司通过港交所上市聆讯', ipo('丙丁国际控股有限公司'), { source: '快讯二', publishedAt: T0 + M }),
          doc('i3', '甲乙智能科技股份有限公司通过港交所上市聆讯', `【甲乙智能科技股份有限公司通过港交所上市聆讯】${ipo('甲乙智能科技股份有限公司')}`, { source: '快讯二', publishedAt: T0 + 2 * M }),
        ].map((d) => analyzeDocument(d)),
      );
      const cluster = async (id: string) => (await s.findByPublicId(id))[0]!.clusterId;
      const apart = async (...ids: string[]) => {
        const cs = (await Promise.all(ids.map(cluster))).filter((c) => c !== null);
        expect(new Set(cs).size, ids.join(' ')).toBe(cs.length);
      };
      expect(await cluster('l1')).not.toBeNull();
      expect(await cluster('l2')).toBe(await cluster('l1'));
      expect(await cluster('l3')).not.toBeNull();
      expect(await cluster('l4')).toBe(await cluster('l3'));
      await apart('l1', 'l3', 'l5', 'l7');
      expect(await cluster('i1')).not.toBeNull();
      expect(await cluster('i3')).toBe(await cluster('i1'));
      await apart('i1', 'i2');
      // No cluster holds two headlines from one outlet.
      for (const c of await s.clusters(2)) {
        const bySource = new Map<string, Set<string>>();
        for (const m of c.members) bySource.set(m.source, (bySource.get(m.source) ?? new Set()).add(m.title));
        for (const [src, titles] of bySource) expect(titles.size, `${src}: ${[...titles].join(' | ')}`).toBe(1);
      }
    });

    it("filters by the publisher's tags and levels and counts them among a query's matches", async () => {
      const s = await open();
      await s.upsert(
        [
          doc('g1', '稀土一', '稀土价格上涨。', { metadata: { tags: ['稀土', '有色金属'], level: 'A' } }),
          doc('g2', '稀土二', '稀土出口下降。', { metadata: { tags: ['稀土'], level: 'b' } }),
          doc('g3', '锂电', '锂价下跌。', { metadata: { tags: ['锂电池'] } }),
        ].map((d) => analyzeDocument(d)),
      );
      expect((await s.search(req('tag:稀土'))).total).toBe(2);
      expect((await s.search(req('稀土 level:A'))).total).toBe(1);
      expect((await s.search(req('tag:锂电池 OR level:B'))).total).toBe(2);
      const tags = await s.labelCounts(req('价'), 'tag', 1000, 10);
      expect(tags).toEqual({ counted: 2, total: 2, values: [{ value: '有色金属', count: 1 }, { value: '稀土', count: 1 }, { value: '锂电池', count: 1 }] });
      const levels = await s.labelCounts(req('稀土'), 'level', 1000, 10);
      expect(levels.values).toEqual([{ value: 'A', count: 1 }, { value: 'B', count: 1 }]);
      // Capped: counted over the first `max` matches in the request's order.
      expect((await s.labelCounts(req('稀土'), 'tag', 1, 10)).counted).toBe(1);
    });

    it('property: search agrees with a brute-force substring scan', async () => {
      const s = await open();
      const alphabet = '稀土永磁钕铁硼锂铜矿价，。 '.split('');
      const texts = fc.sample(fc.string({ unit: fc.constantFrom(...alphabet), minLength: 1, maxLength: 40 }), { numRuns: 150, seed: 7 });
      await s.upsert(texts.map((t, i) => analyzeDocument(doc(`p${i}`, '', t, { key: `p${i}` }))));
      const queries = fc.sample(fc.string({ unit: fc.constantFrom(...'稀土永磁钕铁硼锂铜矿价'.split('')), minLength: 1, maxLength: 3 }), { numRuns: 60, seed: 11 });
      // Each query twice: a backend may answer a repeated query from another structure
      // (SQLite's hot-term lists), and both answers must equal the oracle's.
      for (const q of [...queries, ...queries]) {
        const expected = texts.flatMap((t, i) => (foldText(t).includes(q) ? [`p${i}`] : [])).sort();
        const r = await s.search(req(`"${q}"`, { limit: 100 }));
        expect(r.total, q).toBe(expected.length);
        const got = await s.getManyBySeq(r.hits.map((h) => h.seq));
        expect([...got.values()].map((x) => x.id).sort(), q).toEqual(expected.slice(0, 100));
      }
    });
  });
}
