import { describe, expect, it } from 'vitest';
import { encodeGbk, makeDocx, makePdf, rssFeed } from '../../test/helpers/fixtures.js';
import { decodeBytes, looksBinary } from './charset.js';
import { extractDocx } from './docx.js';
import { looksLikeFeed, parseFeed } from './feed.js';
import { extractHtmlPage, htmlFragmentToParagraphs } from './html.js';
import { splitParagraphs } from './paragraphs.js';
import { extractPdf } from './pdf.js';
import { extractMarkdown } from './text.js';

describe('charset', () => {
  it('decodes declared and undeclared GBK, and UTF-8 with BOM', () => {
    const gbk = new Uint8Array(encodeGbk('<meta charset="gb2312"><p>稀土永磁行业景气度延续</p>'));
    expect(decodeBytes(gbk).text).toContain('稀土永磁行业景气度延续');
    const bare = new Uint8Array(encodeGbk('稀土永磁行业景气度延续，出口管制影响有限。'.repeat(5)));
    const d = decodeBytes(bare);
    expect(d.text).toContain('出口管制');
    expect(['gbk', 'gb18030']).toContain(d.charset);
    expect(decodeBytes(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])).text).toBe('A');
  });

  it('recognises binary content', () => {
    expect(looksBinary(new Uint8Array([0, 1, 2, 3]))).toBe(true);
    expect(looksBinary(Buffer.from('稀土 text'))).toBe(false);
  });
});

describe('paragraphs', () => {
  it('splits on blank lines, or on lines when there are none, deterministically', () => {
    expect(splitParagraphs('第一段\n续行\n\n第二段').map((p) => p.text)).toEqual(['第一段续行', '第二段']);
    expect(splitParagraphs('one\ntwo\n\nthree').map((p) => p.text)).toEqual(['one two', 'three']);
    expect(splitParagraphs('甲\n乙\n丙').map((p) => p.n)).toEqual([1, 2, 3]);
  });
});

describe('html', () => {
  it('drops scripts and handlers, keeps text as text', () => {
    const ps = htmlFragmentToParagraphs('<p onclick="x()">稀土<b>价格</b></p><script>alert(1)</script><div>第二段<br>第三段</div>');
    expect(ps.map((p) => p.text)).toEqual(['稀土价格', '第二段', '第三段']);
  });

  it('extracts an article page with title and date', () => {
    const page = extractHtmlPage(
      `<html lang="zh"><head><title>周报</title><meta property="article:published_time" content="2025-07-01T08:00:00+08:00"></head><body><nav>导航</nav><article><h1>稀土周报</h1>${'<p>本周稀土价格企稳，永磁材料企业开工率提升，行业景气度延续。</p>'.repeat(5)}</article></body></html>`,
    );
    expect(page.paragraphs.length).toBeGreaterThanOrEqual(5);
    expect(page.paragraphs.some((p) => p.text.includes('开工率'))).toBe(true);
    expect(page.publishedAt).toBe('2025-07-01T08:00:00+08:00');
    expect(page.lang).toBe('zh');
  });
});

describe('markdown', () => {
  it('takes the first heading as title and strips markup', () => {
    const md = extractMarkdown('# 调研纪要\n\n调研了**永磁**企业，见[链接](https://x)。\n\n- 订单饱满\n');
    expect(md.title).toBe('调研纪要');
    expect(md.paragraphs.map((p) => p.text)).toEqual(['调研纪要', '调研了永磁企业，见链接。', '订单饱满']);
  });
});

describe('pdf and docx', () => {
  it('reads PDF text with page numbers', async () => {
    const pdf = await extractPdf(makePdf([['Magnet demand rose.'], ['Exports grew 12%.']]));
    expect(pdf.paragraphs.map((p) => [p.page, p.text])).toEqual([
      [1, 'Magnet demand rose.'],
      [2, 'Exports grew 12%.'],
    ]);
    expect(pdf.title).toBe('Quarterly Review');
  });

  it('rejects a PDF without text and a file that is not a PDF', async () => {
    await expect(extractPdf(makePdf([[]]))).rejects.toThrow(/no extractable text/);
    await expect(extractPdf(Buffer.from('not a pdf'))).rejects.toThrow(/not a readable PDF/);
  });

  it('reads DOCX paragraphs', async () => {
    const docx = await extractDocx(await makeDocx('电池纪要', ['锂价下跌。', '储能需求增长。']));
    expect(docx.title).toBe('电池纪要');
    expect(docx.paragraphs.map((p) => p.text)).toEqual(['电池纪要', '锂价下跌。', '储能需求增长。']);
  });
});

describe('feeds', () => {
  it('parses RSS items into inert text paragraphs', () => {
    const feed = parseFeed(rssFeed(2));
    expect(feed.title).toBe('示例稀土源');
    expect(feed.entries).toHaveLength(2);
    const e = feed.entries[0]!;
    expect(e.title).toBe('<script>alert(0)</script>稀土快讯 1');
    expect(e.paragraphs.map((p) => p.text).join(' ')).not.toMatch(/alert\(3\)|onclick|javascript/);
    expect(e.link).toBe('https://example.com/news/1');
  });

  it('parses Atom and refuses HTML', () => {
    const atom = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom 源</title><entry><id>urn:1</id><title>永磁</title><link href="https://example.com/a"/><updated>2025-07-01T00:00:00Z</updated><content type="html">&lt;p&gt;永磁材料&lt;/p&gt;</content></entry></feed>`;
    const feed = parseFeed(atom);
    expect(feed.entries[0]!.paragraphs[0]!.text).toBe('永磁材料');
    expect(looksLikeFeed('<html><body>hi</body></html>')).toBe(false);
    expect(() => parseFeed('<html><body>hi</body></html>')).toThrow(/not an RSS/);
  });
});

describe('radical look-alikes', () => {
  it('become the ideographs they stand for (Kangxi radicals, the supplement, compatibility ideographs)', async () => {
    const { unifyRadicals } = await import('./radicals.js');
    // What a Chromium-printed PDF yields for 稀土 出口 同比增长 风险提示 门槛 长江.
    expect(unifyRadicals('稀⼟ 出⼝ 同⽐增⻓ ⻛险提⽰ ⻔槛 ⻓江')).toBe('稀土 出口 同比增长 风险提示 门槛 长江');
    expect(unifyRadicals('車輪 豈')).toBe('車輪 豈');
    expect(unifyRadicals('ascii 稀土 only')).toBe('ascii 稀土 only');
    // Every Kangxi radical maps to a unified ideograph.
    for (let cp = 0x2f00; cp <= 0x2fd5; cp++) expect(unifyRadicals(String.fromCodePoint(cp)), cp.toString(16)).toMatch(/^\p{Script=Han}$/u);
  });
});
