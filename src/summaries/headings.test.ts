import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredDocument } from '../core/types.js';
import { storedDoc } from '../../test/helpers/fixtures.js';
import { documentSentences, extractiveSummary } from './extractive.js';
import { extractiveBrief } from '../workflows/brief.js';
import { acceptableZh, headingTokens } from './headings.js';


/** The theme labels of a summary (`Group 2: 稀土` → `稀土`; a plain `Group 2` has none). */
const labels = (d: StoredDocument) =>
  extractiveSummary(d)
    .sections.map((s) => /^(?:Group|Section|Key Points) \d+: (.+)$/.exec(s.heading)?.[1])
    .filter((x): x is string => x !== undefined);

// Written for these tests: a trading-day wrap-up with the shapes that made junk headings
// (a trader's name jieba cuts, tickers, prices per tonne, a news byline, a PDF footer).
const WRAP_UP = [
  '财联社7月20日电，知名游资章建平现身龙虎榜，买入石头科技(688169.SH)1.2亿元，石头科技股价涨停。',
  '石头科技扫地机器人海外销量增长，公司表示将加大研发投入，石头科技海外收入占比提升至六成。',
  '沪铜主力合约每吨上涨820元，报68900元每吨，铜价创三个月新高，冶炼厂加工费继续下滑。',
  '北方稀土(600111.SH)公告称，一季度稀土产量同比增长，北方稀土氧化镨钕产品价格持续回升。',
  '新闻发布会上，美联储主席鲍威尔表示将维持利率不变，美联储年内降息预期升温。',
  '稀土出口管制升级，钕铁硼磁体企业订单增加，稀土永磁板块午后走强。',
  '10:30 AM',
];

describe('theme headings', () => {
  it('a Chinese wrap-up: names and words of the document, never a cut name, a ticker suffix, a unit, a byline or a footer', () => {
    const got = labels(storedDoc(WRAP_UP));
    expect(got.length).toBeGreaterThan(0);
    for (const bad of ['建平', '章', 'SH', '每吨', '新闻', 'AM', '财联社', '石头', '公司'])
      expect(got, got.join(' | ')).not.toContain(bad);
    for (const l of got)
      expect([
        '石头科技',
        '北方稀土',
        '美联储',
        '鲍威尔',
        '稀土',
        '铜价',
        '钕铁硼',
        '出口管制',
        '龙虎榜',
        '扫地机器人',
        '稀土永磁',
        '沪铜',
      ]).toContain(l);
  });

  it('a company written beside its ticker is one heading word even where jieba splits it', () => {
    const toks = headingTokens(['买入石头科技(688169.SH)1.2亿元', '石头科技扫地机器人销量增长'])
      .flat()
      .map((t) => t.word);
    expect(toks.filter((w) => w === '石头科技')).toHaveLength(2);
    expect(toks).not.toContain('石头');
  });

  it('English: names and nouns, not verbs, units or the wire', () => {
    const got = labels(
      storedDoc(
        [
          'Copper prices fell 2% on Monday as the Federal Reserve signalled higher rates for longer, Reuters reported.',
          'Shares of USA Rare Earth (USAR.US) jumped after the company closed its deal for Less Common Metals.',
          'The Federal Reserve said inflation remained sticky. Traders cut bets on rate cuts, pricing fewer moves.',
          'Less Common Metals makes metals and alloys for magnets in Britain and ships 500 tonnes a year.',
          'Analysts said copper demand from China weakened in the fourth quarter, and smelters cut output by 3 mln tonnes.',
        ],
        'news',
        'en',
      ),
    );
    expect(got.length).toBeGreaterThan(0);
    for (const bad of ['fell', 'jumped', 'said', 'US', 'Reuters', 'tonnes', 'mln', 'Monday', 'group', 'market'])
      expect(got, got.join(' | ')).not.toContain(bad);
    expect(
      got.some((l) =>
        ['Federal Reserve', 'Less Common Metals', 'USA Rare Earth', 'copper', 'China'].includes(l),
      ),
      got.join(' | '),
    ).toBe(true);
  });

  it("a brief's topics across documents are words of them, not a byline or a PDF footer", () => {
    const docs = [
      [
        '新闻：稀土出口管制升级，钕铁硼磁体企业订单增加。',
        '稀土永磁板块午后走强，北方稀土涨停。',
        '08:35 AM',
      ],
      [
        '新闻：北方稀土一季度稀土产量同比增长，氧化镨钕价格回升。',
        '出口管制下海外磁体企业库存告急。',
        '09:10 AM',
      ],
      [
        '新闻：美联储维持利率不变，鲍威尔称降息仍需更多数据。',
        '美联储年内降息预期升温，金价上涨。',
        '10:02 AM',
      ],
    ].map((p, i) => ({ doc: { ...storedDoc(p), id: `d${i}` }, summary: null }));
    const brief = extractiveBrief(docs, 'zh')!;
    const headings = brief.themes.map((t) => t.heading);
    expect(headings.length).toBeGreaterThan(0);
    for (const h of headings) expect(['新闻', 'AM', '新闻：稀土'], headings.join(' | ')).not.toContain(h);
  });

  it('with no acceptable word, a theme is plainly numbered', () => {
    const s = extractiveSummary(
      storedDoc([
        '2026年7月20日10:30，上涨3.5%，报68900元。',
        '2026年7月21日11:00，下跌1.2%，报67800元。',
        '2026年7月22日14:00，上涨0.8%，报68300元。',
        '2026年7月23日9:30，下跌2.1%，报66900元。',
        '2026年7月24日15:00，持平，报66900元。',
      ]),
    );
    const themes = s.sections.filter((x) => x.heading.startsWith('Group'));
    expect(themes.length).toBeGreaterThan(0);
    for (const t of themes) expect(t.heading).toMatch(/^Group \d+$/);
  });

  it('property: every heading is a whole, acceptable word of its document’s segmentation', () => {
    const pieces = [
      '章建平',
      '买入',
      '石头科技(688169.SH)',
      '每吨',
      '上涨',
      '820元',
      '新闻',
      '发布会',
      '美联储',
      '表示',
      '稀土',
      '出口管制',
      '钕铁硼',
      '同比增长',
      '企业',
      '10:30 AM',
      '公司',
      '鲍威尔',
      '订单',
      '北方稀土',
    ];
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.array(fc.constantFrom(...pieces), { minLength: 3, maxLength: 8 }), {
            minLength: 1,
            maxLength: 3,
          }),
          { minLength: 3, maxLength: 10 },
        ),
        (paras) => {
          const d = storedDoc(paras.map((sentences) => sentences.map((w) => `${w.join('')}。`).join('')));
          const tokens = headingTokens(documentSentences(d).map((s) => s.text)).flat();
          for (const l of labels(d)) {
            expect(
              tokens.some((t) => t.word === l && acceptableZh(t.word, t.tag)),
              l,
            ).toBe(true);
            expect(['建平', 'SH', '每吨', '新闻', 'AM', '公司', '表示', '石头']).not.toContain(l);
          }
        },
      ),
      { numRuns: 40, seed: 18 },
    );
  });
});
