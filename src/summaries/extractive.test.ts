import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { storedDoc } from '../../test/helpers/fixtures.js';
import { extractiveSummary, splitSentences } from './extractive.js';


describe('sentence splitting', () => {
  it.each([
    ['公司称：“产能将提升。”随后股价上涨3.5%。', ['公司称：“产能将提升。”', '随后股价上涨3.5%。']],
    ['He paid $3.5 million to Mr. Smith in the U.S. on Monday. Then he left!', ['He paid $3.5 million to Mr. Smith in the U.S. on Monday.', 'Then he left!']],
    ['稀土价格上涨！下游需求如何？仍待观察', ['稀土价格上涨！', '下游需求如何？', '仍待观察']],
    ['Revenue rose 12.5% (vs. 10%). Margins held.', ['Revenue rose 12.5% (vs. 10%).', 'Margins held.']],
    ['这是第一句话。好。', ['这是第一句话。好。']],
  ])('%s', (text, expected) => {
    expect(splitSentences(text)).toEqual(expected);
  });
});

describe('extractive summaries', () => {
  const report = storedDoc(
    [
      '我们维持行业“增持”评级。出口管制强化了中国在稀土产业链中的地位。',
      '2026年第一季度，北方稀土氧化镨钕产量为3834吨，同比增长75%。稀土价格持续回升，镨钕价格上涨带动企业盈利改善。',
      '预计2026年全球钕铁硼需求增长12%，新能源汽车和风电是主要驱动力。',
      '风险提示：稀土价格大幅波动，下游需求不及预期，出口政策变化。',
    ],
    'report',
  );

  it('a report: rating, a core viewpoint that is not the risk warning, sections; every point verified', () => {
    const s = extractiveSummary(report);
    expect(s).toMatchObject({ document_id: 'd1', lang: 'zh', method: 'extractive', model: null, dropped: [] });
    expect(s.sections[0]).toMatchObject({ heading: 'Investment Rating', points: [{ citations: [1] }] });
    expect(s.sections[1]!.heading).toBe('Core Viewpoint');
    expect(s.sections[1]!.points[0]!.text).not.toMatch(/风险提示/);
    expect(s.sections.slice(2).every((x) => /^Section \d+: \S/.test(x.heading))).toBe(true);
    expect(s.text.split('\n')[0]).toBe('Investment Rating - 我们维持行业“增持”评级。 [1]');
    const all = s.sections.flatMap((x) => x.points);
    expect(all.every((p) => p.verified)).toBe(true);
    expect(new Set(all.map((p) => p.text)).size).toBe(all.length);
  });

  it('a report with its own section titles is summarized under those titles', () => {
    const s = extractiveSummary(
      storedDoc(
        [
          '投资要点',
          '我们维持行业“增持”评级，稀土供给格局持续改善，龙头企业盈利能力提升。',
          '一、供给端：配额收紧',
          '2026年第一批稀土开采指标同比增长5.9%，增速明显放缓，冶炼分离产能向龙头集中。',
          '二、需求端：新能源拉动',
          '新能源汽车和风电带动钕铁硼需求增长，预计2026年全球需求增长12%。',
        ],
        'report',
      ),
    );
    const headings = s.sections.map((x) => x.heading);
    expect(headings[0]).toBe('Investment Rating');
    const sections = headings.filter((h) => h.startsWith('Section '));
    expect(sections.length).toBeGreaterThan(0);
    expect(sections.every((h) => /: (投资要点|一、供给端：配额收紧|二、需求端：新能源拉动)$/.test(h)), sections.join(' | ')).toBe(true);
    expect(s.sections.flatMap((x) => x.points).some((p) => /^(投资要点|一、|二、)/.test(p.text))).toBe(false);
  });

  it('a call transcript: company overview, key points and future outlook', () => {
    const s = extractiveSummary(
      storedDoc(
        [
          '宁德时代是全球领先的动力电池企业，主营动力电池和储能系统。',
          '公司三季度出货量同比增长30%，储能业务增速更快。',
          '海外工厂建设顺利，欧洲客户订单持续增加。',
          '管理层预计明年资本开支保持稳定，并计划推出新一代钠离子电池。',
          '问答环节中，公司表示原材料价格波动风险可控。',
        ],
        'transcript',
      ),
    );
    const headings = s.sections.map((x) => x.heading);
    expect(headings[0]).toBe('Company Overview');
    expect(headings.at(-1)).toBe('Future Outlook');
    expect(s.sections.at(-1)!.points.some((p) => /预计|计划/.test(p.text))).toBe(true);
  });

  it('an English article stays in English', () => {
    const s = extractiveSummary(
      storedDoc(
        [
          'Prices of rare earth magnets rose as China tightened export controls on seven elements in April.',
          'Automakers in Europe warned of shortages. Some suppliers said stocks would last only weeks.',
          'Analysts expect prices to stay high into 2026 as new mines in Australia take years to open.',
        ],
        'news',
        'en',
        'Rare earth magnets',
      ),
    );
    expect(s.lang).toBe('en');
    expect(s.sections[0]!.heading).toBe('Core Viewpoint');
    expect(s.text).toMatch(/^Core Viewpoint - Prices of rare earth magnets rose/);
  });

  it("an outlet's furniture (原标题：…, 责任编辑：…) is never a point", () => {
    const s = extractiveSummary(
      storedDoc([
        '7月26日，某区公安分局接到反诈中心预警，市民王先生疑似遭遇电信网络诈骗，民警立即上门劝阻。',
        '王先生说，自己接到自称银行客服的视频电话，对方要求他下载会议软件并共享屏幕，准备把钱转入所谓安全账户。',
        '民警帮助王先生关闭了相关功能，并下载了反诈软件，成功止损11万元。警方提醒，陌生视频电话千万别接。',
        '原标题：千万别接！视频电话诈骗又出新招，民警上门及时止损十一万元',
        '责任编辑：张三（示例）',
      ]),
    );
    const points = s.sections.flatMap((x) => x.points.map((p) => p.text));
    expect(points.length).toBeGreaterThan(1);
    expect(points.some((p) => /^(原标题|责任编辑)/.test(p))).toBe(false);
  });

  it('an empty document has an empty summary; a 5,000-paragraph report still summarizes', () => {
    expect(extractiveSummary(storedDoc([])).sections).toEqual([]);
    const big = storedDoc(
      Array.from({ length: 5000 }, (_, i) => `第${i + 1}段：稀土${i % 7}号矿区产量为${1000 + i}吨，价格${i % 3 === 0 ? '上涨' : '持平'}。`),
      'report',
    );
    const s = extractiveSummary(big);
    expect(s.sections.length).toBeGreaterThan(1);
    expect(s.sections.flatMap((x) => x.points).every((p) => p.verified)).toBe(true);
  });

  it('property: every point is a sentence of the paragraph it cites, and verifies', () => {
    const words = ['稀土', '价格', '上涨', '公司', '产量', '3834吨', '增长12%', '出口', '管制', 'rare earth', 'prices', 'rose'];
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.array(fc.constantFrom(...words), { minLength: 2, maxLength: 8 }), { minLength: 1, maxLength: 4 }), {
          minLength: 1,
          maxLength: 12,
        }),
        (paras) => {
          const texts = paras.map((sentences) => sentences.map((w) => `${w.join('')}。`).join(''));
          const s = extractiveSummary(storedDoc(texts));
          for (const p of s.sections.flatMap((x) => x.points)) {
            expect(p.citations).toHaveLength(1);
            expect(texts[p.citations[0]! - 1]).toContain(p.text);
            expect(p.verified, `${p.text} ${p.problems.join('; ')}`).toBe(true);
          }
        },
      ),
      { numRuns: 60, seed: 13 },
    );
  });
});
