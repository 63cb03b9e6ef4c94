/**
 * Fixture files we write ourselves (no third-party text): NDJSON with bad lines, GBK HTML,
 * a hand-built PDF, a DOCX built with JSZip, feeds with hostile markup, a binary file.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import JSZip from 'jszip';
import type { StoredDocument } from '../../src/core/types.js';

export function tempDir(prefix = 'lodestone-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A minimal valid PDF with one text line per entry, one page per array. ASCII only. */
export function makePdf(pages: string[][], title = 'Quarterly Review'): Buffer {
  const objects: string[] = [];
  const pageIds: number[] = [];
  // 1: catalog, 2: pages, 3: font, 4: info; pages from 5 on (page, content) pairs
  let next = 5;
  const pageObjs: string[] = [];
  for (const lines of pages) {
    const pageId = next++;
    const contentId = next++;
    pageIds.push(pageId);
    const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\(/g, '\\(').replace(/\)/g, '\\)');
    const stream = `BT /F1 12 Tf 72 720 Td 14 TL ${lines.map((l) => `(${esc(l)}) Tj T*`).join(' ')} ET`;
    pageObjs[pageId] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contentId} 0 R >>`;
    pageObjs[contentId] = `<< /Length ${Buffer.byteLength(stream)} >>\nstream\n${stream}\nendstream`;
  }
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pageIds.length} >>`;
  objects[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>';
  objects[4] = `<< /Title (${title}) >>`;
  for (let i = 5; i < next; i++) objects[i] = pageObjs[i]!;
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  for (let i = 1; i < next; i++) {
    offsets[i] = Buffer.byteLength(body);
    body += `${i} 0 obj\n${objects[i]}\nendobj\n`;
  }
  const xref = Buffer.byteLength(body);
  body += `xref\n0 ${next}\n0000000000 65535 f \n`;
  for (let i = 1; i < next; i++) body += `${String(offsets[i]).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${next} /Root 1 0 R /Info 4 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** A minimal DOCX (WordprocessingML) with a heading and paragraphs. */
export async function makeDocx(heading: string, paragraphs: string[]): Promise<Buffer> {
  const zip = new JSZip();
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  zip.file(
    '[Content_Types].xml',
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
  );
  zip.file(
    '_rels/.rels',
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
  );
  const para = (t: string, style?: string) =>
    `<w:p>${style ? `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>` : ''}<w:r><w:t xml:space="preserve">${esc(t)}</w:t></w:r></w:p>`;
  zip.file(
    'word/document.xml',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${para(heading, 'Heading1')}${paragraphs.map((p) => para(p)).join('')}</w:body></w:document>`,
  );
  return zip.generateAsync({ type: 'nodebuffer' });
}

export const NEWS_RECORDS = [
  {
    id: 'n1',
    title: '北方稀土上调稀土挂牌价',
    body: '北方稀土公告，上调镨钕氧化物挂牌价至每吨56万元。\n公司表示，高性能钕铁硼磁体需求旺盛。',
    published_at: '2025-07-02T09:30:00+08:00',
    source: '示例快讯',
    lang: 'zh',
    tags: ['稀土'],
    stocks: [{ code: '600111', name: '北方稀土' }],
  },
  {
    id: 'n2',
    title: '北方稀土上调稀土挂牌价',
    body: '【北方稀土上调稀土挂牌价】示例社7月2日电，北方稀土公告，上调镨钕氧化物挂牌价至每吨56万元。公司表示，高性能钕铁硼磁体需求旺盛。',
    published_at: '2025-07-02T09:41:00+08:00',
    source: '另一家媒体',
  },
  {
    id: 'n3',
    title: '中国农业发展银行发放贷款',
    body: '中国农业发展银行向金力永磁所在园区发放专项贷款3亿元。',
    published_at: '2025-07-05T10:00:00+08:00',
    source: '示例快讯',
    type: 'announcement',
  },
  {
    id: 'n4',
    title: 'Rare earth export controls tightened',
    body: 'China tightened export controls on rare earth magnets. Exports fell 75% in May.',
    published_at: '2025-07-06T08:00:00Z',
    source: 'Example Wire',
    lang: 'en',
  },
  {
    id: 'n5',
    title: '国际原油期货结算价收跌',
    body: '国际原油期货结算价收跌，WTI原油期货收跌1.2%，报69.80美元/桶。',
    published_at: '2025-07-07T04:30:00+08:00',
    source: '示例快讯',
  },
  {
    id: 'n6',
    title: '国际原油期货结算价收跌',
    body: '国际原油期货结算价收跌，WTI原油期货收跌0.5%，报70.12美元/桶。',
    published_at: '2025-07-08T04:30:00+08:00',
    source: '示例快讯',
  },
  {
    id: 'n7',
    title: '碳酸锂价格下跌',
    body: '碳酸锂价格下跌，锂矿股走弱。',
    published_at: 'not a date',
    source: '示例快讯',
  },
];

/** A folder with one file of every supported kind plus bad ones. */
export async function writeFixtureFolder(dir: string): Promise<string> {
  mkdirSync(join(dir, 'notes'), { recursive: true });
  const lines = NEWS_RECORDS.map((r) => JSON.stringify(r));
  lines.splice(3, 0, '{"id": "broken", "title": 稀土', '', '{"id":"empty","title":"","body":""}');
  writeFileSync(join(dir, 'news.ndjson'), Buffer.concat([Buffer.from(`${lines.join('\n')}\n`), Buffer.from([0xff, 0xfe, 0x0a])]));
  writeFileSync(
    join(dir, 'notes', 'meeting.md'),
    '# 稀土产业链调研纪要\n\n调研了三家**永磁**企业。\n\n- 钕铁硼订单饱满\n- 出口管制影响有限\n',
  );
  writeFileSync(join(dir, 'notes', 'plain.txt'), '第一段：锂电池产能扩张。\n\n第二段：储能需求增长。\n');
  const gbkHtml = `<html><head><meta charset="gbk"><title>稀土永磁行业周报</title></head><body><article><h1>稀土永磁行业周报</h1><p>本周稀土价格企稳，永磁材料企业开工率提升。${'行业景气度延续。'.repeat(20)}</p><script>alert(1)</script></article></body></html>`;
  writeFileSync(join(dir, 'notes', 'weekly-gbk.html'), new Uint8Array(encodeGbk(gbkHtml)));
  writeFileSync(join(dir, 'notes', 'binary.txt'), Buffer.from([0x00, 0x01, 0x02, 0xff, 0x00, 0x10]));
  writeFileSync(
    join(dir, 'report.pdf'),
    makePdf([
      ['Rare Earth Quarterly', 'Magnet demand rose in the quarter.'],
      ['Outlook: prices stable.', 'Exports to Europe grew 12%.'],
    ]),
  );
  writeFileSync(join(dir, 'memo.docx'), await makeDocx('Battery memo', ['Lithium prices fell.', 'Storage demand grew.']));
  writeFileSync(join(dir, 'feed.xml'), rssFeed());
  writeFileSync(join(dir, 'notes', 'ignored.bin'), Buffer.from([1, 2, 3]));
  return dir;
}

/** RSS with hostile markup in titles and bodies (must come out as inert text). */
export function rssFeed(items = 2): string {
  const entries = Array.from({ length: items }, (_, i) => `
    <item>
      <title>&lt;script&gt;alert(${i})&lt;/script&gt;稀土快讯 ${i + 1}</title>
      <link>https://example.com/news/${i + 1}</link>
      <guid>example-${i + 1}</guid>
      <pubDate>Tue, 0${i + 1} Jul 2025 08:00:00 GMT</pubDate>
      <description><![CDATA[<p onclick="alert(1)">稀土出口第${i + 1}条消息。</p><a href="javascript:alert(2)">链接</a><script>alert(3)</script>]]></description>
    </item>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>示例稀土源</title><link>https://example.com/</link>${entries}</channel></rss>`;
}

/** GBK-encode via TextDecoder's inverse: build a map from the gbk decoder (test-only helper). */
let gbkMap: Map<string, number[]> | null = null;
export function encodeGbk(s: string): number[] {
  if (!gbkMap) {
    gbkMap = new Map();
    const dec = new TextDecoder('gbk');
    for (let hi = 0x81; hi <= 0xfe; hi++) {
      for (let lo = 0x40; lo <= 0xfe; lo++) {
        if (lo === 0x7f) continue;
        const ch = dec.decode(new Uint8Array([hi, lo]));
        if (ch.length === 1 && ch !== '\ufffd' && !gbkMap.has(ch)) gbkMap.set(ch, [hi, lo]);
      }
    }
  }
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (c < 0x80) out.push(c);
    else {
      const b = gbkMap.get(ch);
      if (!b) throw new Error(`not encodable in GBK: ${ch}`);
      out.push(...b);
    }
  }
  return out;
}

/**
 * A news article long enough to be summarized (summaries/short.ts: several paragraphs, over
 * 300 characters). Our own text.
 */
export const LONG_ARTICLE_ZH = [
  '商务部、海关总署联合发布公告，对部分中重稀土相关物项实施出口管制，自公告发布之日起正式施行。',
  '公告涉及钐、钆、铽、镝、镥、钪、钇等七类中重稀土相关物项，出口经营者须依法申请许可。',
  '业内人士表示，此次管制主要针对高性能钕铁硼磁体的上游原料，短期内海外磁材企业的采购成本将明显上升。',
  '北方稀土当日发布公告称，公司第二季度氧化镨钕挂牌价上调至每吨56万元，较上季度上涨12%。',
  '分析师认为，出口管制叠加国内需求回暖，稀土价格有望在下半年维持高位，相关企业盈利能力将持续改善。',
  '从产业链看，上游冶炼分离环节集中度较高，龙头企业在配额和成本上具备优势，中游磁材企业则面临原料价格波动的压力。',
  '海外方面，欧美多家企业正在加快建设稀土分离和磁体产能，但达到规模化生产仍需三到五年时间。',
  '风险提示：海外替代产能加速建设，下游需求不及预期，政策执行力度存在不确定性。',
].join('\n\n');

/** A stored document of our own paragraphs, for summarizer tests (no store involved). */
export function storedDoc(paragraphs: string[], type = 'news', lang = 'zh', title = '标题'): StoredDocument {
  return {
    seq: 1,
    id: 'd1',
    key: 'k',
    externalId: 'd1',
    title,
    source: 's',
    url: null,
    publishedAt: null,
    fetchedAt: 0,
    ingestedAt: 0,
    type: type as StoredDocument['type'],
    lang,
    script: lang === 'zh' ? 'Hans' : 'Latn',
    paragraphs: paragraphs.map((text, i) => ({ n: i + 1, text })),
    metadata: {},
    tickers: [],
    contentHash: 'h',
    clusterId: null,
  };
}
