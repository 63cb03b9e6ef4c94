/**
 * The web app in a real browser: Debian's Chromium driven by playwright-core, against the
 * real server and a fixture corpus written here. Screenshots of the main pages in both
 * languages go to test-artifacts/screenshots/ (look at them).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { type AppContext, openContext } from '../../src/services/context.js';
import { ingestRecords } from '../../src/services/ingest.js';
import { browserMissing as missing, openBrowser, SHOTS } from '../helpers/browser.js';
import { rssFeed, tempDir } from '../helpers/fixtures.js';

// The few DOM names used inside page.evaluate callbacks (they run in the browser); the
// project compiles against Node's types, not the DOM library.
declare const document: {
  activeElement: { textContent: string | null } | null;
  querySelectorAll(selector: string): { length: number };
  querySelector(selector: string): { textContent: string | null } | null;
  documentElement: { scrollWidth: number };
};
declare const window: { innerWidth: number };
declare const localStorage: { setItem(k: string, v: string): void };
declare function getComputedStyle(el: unknown): { backgroundColor: string; color: string };

const CORPUS = [
  {
    id: 'r1',
    title: '北方稀土：上半年净利润同比增长',
    body: '北方稀土发布半年度业绩预告。\n公司稀土冶炼分离产能利用率提升。\n镨钕价格回升带动盈利改善。',
    source: '财联社',
    type: 'announcement',
    published_at: '2025-07-03T09:00:00+08:00',
  },
  {
    id: 'r2',
    title: '稀土行业深度报告：供给格局重塑',
    // Long enough to be summarized (summaries/short.ts).
    body: [
      '我们维持行业“增持”评级。',
      '出口管制强化了中国在稀土产业链中的地位。',
      '预计2026年全球钕铁硼需求增长12%。',
      '供给方面，国内开采和冶炼分离指标增速放缓，海外新建项目的投产进度普遍慢于规划，行业供给格局整体偏紧。',
      '需求方面，新能源汽车、风电和工业机器人带动高性能磁材需求持续增长，节能电机和消费电子也贡献了增量。',
      '价格方面，我们判断氧化镨钕价格中枢有望上移，龙头企业凭借资源和成本优势将获得更高的盈利弹性。',
      '公司层面，我们看好资源禀赋突出、冶炼分离产能规模领先、磁材一体化布局完善的龙头企业，维持对板块的积极判断。',
      '估值方面，板块当前估值处于历史中枢下方，随着价格企稳回升和业绩改善，估值修复空间值得关注。',
      '风险提示：下游需求不及预期，海外供给加速释放，出口政策调整带来的不确定性。',
    ].join('\n'),
    source: '中信证券',
    type: 'report',
    published_at: '2025-07-02T18:00:00+08:00',
  },
  {
    id: 'r3',
    title: '商务部：对部分稀土物项实施出口管制',
    body: '商务部、海关总署发布公告，对部分中重稀土相关物项实施出口管制。\n公告自发布之日起施行。',
    source: '东方财富',
    type: 'news',
    published_at: '2025-07-01T10:00:00+08:00',
  },
  {
    id: 'r4',
    title: '商务部：对部分稀土物项实施出口管制',
    body: '商务部、海关总署发布公告，对部分中重稀土相关物项实施出口管制。\n公告自发布之日起施行。',
    source: '同花顺',
    type: 'news',
    published_at: '2025-07-01T10:05:00+08:00',
  },
  {
    id: 'e1',
    title: 'Rare earth magnets: supply tightens',
    body: 'Prices of rare earth magnets rose as export controls took effect.\nAnalysts expect shortages to last into 2026.',
    source: 'Wire',
    type: 'news',
    published_at: '2025-06-30T08:00:00Z',
  },
];

describe.skipIf(missing !== null)(`web app in Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let ctx: AppContext;
  let server: RunningServer;
  let fixtures: Server;
  let feedUrl = '';
  let browser: Browser;
  let page: Page;
  let dialogs: string[] = [];
  let pageErrors: string[] = [];
  let setAcceptConfirm: (on: boolean) => void = () => {};

  beforeAll(async () => {
    ctx = openContext({ dataDir: tempDir('lodestone-web-'), allowPrivate: true });
    await ingestRecords(ctx.store, CORPUS);
    server = await startServer(ctx, { port: 0, host: '127.0.0.1' });
    fixtures = createServer((req, res) => {
      if (req.url === '/feed.xml') res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rssFeed(3));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => fixtures.listen(0, '127.0.0.1', r));
    feedUrl = `http://127.0.0.1:${(fixtures.address() as AddressInfo).port}/feed.xml`;
    const session = await openBrowser();
    browser = session.browser;
    page = session.page;
    dialogs = session.dialogs;
    pageErrors = session.pageErrors;
    setAcceptConfirm = session.acceptConfirms;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await ctx?.store.close();
    fixtures?.close();
  });

  const titles = () => page.locator('.result-title').allInnerTexts();

  it('searches 稀土 newest first, filters by type, opens a document, jumps to a paragraph', async () => {
    await page.goto(`${server.url}/search?q=${encodeURIComponent('稀土')}&sort=newest`);
    await page.locator('.result').first().waitFor();
    const times = await page.locator('.result .meta time').evaluateAll((els) => els.map((e) => e.getAttribute('datetime')!));
    expect(times.length).toBeGreaterThanOrEqual(3);
    expect([...times].sort().reverse()).toEqual(times); // newest first
    expect(await page.locator('.count-line').textContent()).toMatch(/results/);
    // The two copies of the 商务部 notice are one result that is "also in" the other outlet.
    const notice = page.locator('.result', { hasText: '商务部' });
    expect(await notice.count()).toBe(1);
    await notice.getByRole('button', { name: /also in 1 source/ }).click();
    expect(await notice.locator('.others li').count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'search-en.png'), fullPage: true });

    // A month facet sets the date range to that month (and clicked again clears it).
    const july = page.locator('.facets .month button', { hasText: '2025-07' });
    await july.click();
    await page.waitForURL(/from=2025-07-01&to=2025-07-31/);
    expect(await july.getAttribute('aria-pressed')).toBe('true');
    await page.waitForFunction(() => document.querySelectorAll('.result').length === 3);
    await july.click();
    await page.waitForURL((u) => !u.search.includes('from='));
    // Four: the June English wire about rare earths is found through the translation of 稀土.
    await page.waitForFunction(() => document.querySelectorAll('.result').length === 4);

    await page.locator('.facets button', { hasText: 'Report' }).click();
    await page.waitForURL(/type=report/);
    await page.waitForFunction(() => document.querySelectorAll('.result').length === 1);
    expect(await titles()).toEqual(['稀土行业深度报告：供给格局重塑']);

    await page.locator('.result-title').first().click();
    await page.waitForURL(/\/documents\/r2\?q=/);
    await page.locator('.paragraphs li').first().waitFor();
    expect(await page.locator('.paragraphs li').count()).toBe(9);
    expect(await page.locator('.paragraphs mark').first().textContent()).toBe('稀土');
    await page.screenshot({ path: join(SHOTS, 'document-en.png'), fullPage: true });

    // The summary's citations: hovering shows the paragraph, clicking scrolls to it and marks it.
    const cite = page.locator('.summary-card a.cite').last();
    await cite.waitFor();
    const n = Number((await cite.textContent())!.replace(/\D/g, ''));
    expect(await cite.getAttribute('title')).toBe(await page.locator(`#p${n} p`).textContent());
    await cite.click();
    await page.locator(`#p${n}.target`).waitFor();
    expect(await page.locator(`#p${n}`).isVisible()).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'document-cited-en.png'), fullPage: true });
    await page.goBack();
    await page.goBack();
    await page.waitForURL(/type=report/);
    // The document now has a summary: the result keeps its highlighted snippet, and the
    // summary is one click away (issue 18, item 3).
    await page.reload();
    const result = page.locator('.result').first();
    await result.getByRole('button', { name: 'Summary' }).waitFor();
    expect(await result.locator('.snippet mark').count()).toBeGreaterThan(0);
    expect(await result.locator('.summary').count()).toBe(0);
    await result.getByRole('button', { name: 'Summary' }).click();
    expect(await result.locator('.summary a.cite').first().getAttribute('href')).toMatch(/^\/documents\/r2#p\d+$/);
    expect(await result.locator('.snippet mark').count()).toBeGreaterThan(0);
  });

  it('shows the translations a search used as chips, in both languages; a chip or the switch takes them off (issue 19)', async () => {
    const q = `${server.url}/search?q=${encodeURIComponent('rare earth')}&sort=relevance`;
    await page.goto(q);
    const chip = page.locator('.chip', { hasText: '稀土' });
    await chip.waitFor();
    expect(await chip.getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator('.chip-source').first().textContent()).toBe('rare earth →');
    await page.locator('.result').nth(1).waitFor();
    const both = await page.locator('.result').count();
    expect(both).toBeGreaterThan(1); // the English wire and the Chinese documents about 稀土
    expect(await titles()).toContain('Rare earth magnets: supply tightens');
    await page.screenshot({ path: join(SHOTS, 'search-translated-en.png'), fullPage: true });
    // One chip off: only the literal query is searched, and the chip stays to switch it back on.
    await chip.click();
    await page.waitForFunction(() => document.querySelectorAll('.result').length === 1);
    expect(await chip.getAttribute('aria-pressed')).toBe('false');
    expect(page.url()).toContain(`off=${encodeURIComponent('稀土')}`);
    await chip.click();
    await page.waitForFunction((n) => document.querySelectorAll('.result').length === n, both);
    // The switch turns translation off, and the choice is remembered.
    const toggle = page.getByRole('checkbox', { name: 'Search in both languages' });
    await toggle.uncheck();
    await page.waitForFunction(() => document.querySelectorAll('.result').length === 1);
    expect(await page.locator('.chip').count()).toBe(0);
    await page.goto(q);
    await page.locator('.result').first().waitFor();
    expect(await toggle.isChecked()).toBe(false);
    expect(await page.locator('.result').count()).toBe(1);
    await toggle.check();
    await page.waitForFunction((n) => document.querySelectorAll('.result').length === n, both);
    // In Chinese: the same chips under the Chinese labels; a Chinese query reaches the English wire.
    await page.evaluate(() => localStorage.setItem('lodestone.lang', 'zh'));
    await page.goto(`${server.url}/search?q=${encodeURIComponent('稀土 出口管制')}&sort=relevance`);
    await page.locator('.chip', { hasText: 'export control' }).waitFor();
    expect(await page.getByRole('checkbox', { name: '中英双语检索' }).isChecked()).toBe(true);
    expect(await titles()).toContain('Rare earth magnets: supply tightens');
    await page.screenshot({ path: join(SHOTS, 'search-translated-zh.png'), fullPage: true });
    await page.evaluate(() => localStorage.setItem('lodestone.lang', 'en'));
    expect(pageErrors).toEqual([]);
  });

  it('shows every time in one named zone, Asia/Shanghai unless the user picks another (issue 18, item 7)', async () => {
    await page.goto(`${server.url}/search?q=${encodeURIComponent('北方稀土')}&sort=newest`);
    const time = page.locator('.result .meta time').first();
    await time.waitFor();
    const zone = page.locator('.tz-switch select');
    expect(await zone.inputValue()).toBe('Asia/Shanghai');
    expect(await time.textContent()).toMatch(/9:00/); // r1: 2025-07-03T09:00:00+08:00
    await zone.selectOption('UTC');
    await page.waitForFunction(() => /1:00/.test(document.querySelector('.result .meta time')?.textContent ?? ''));
    await page.reload();
    expect(await page.locator('.tz-switch select').inputValue()).toBe('UTC'); // remembered
    await page.locator('.tz-switch select').selectOption('Asia/Shanghai');
  });

  it('adds a feed from a local server on the sources page; hostile markup stays inert', async () => {
    await page.goto(`${server.url}/sources`);
    await page.getByRole('textbox', { name: 'Add a feed or web page' }).fill(feedUrl);
    await page.getByRole('textbox', { name: 'Source name (optional)' }).fill('示例稀土源');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByText(/3 new/).waitFor();
    await page.locator('table.sources td', { hasText: '示例稀土源' }).first().waitFor();

    // Two files at once through the file picker, each with its own progress and outcome.
    await page.locator('input[type=file]').setInputFiles([
      { name: 'memo.txt', mimeType: 'text/plain', buffer: Buffer.from('稀土价格周报\n\n本周氧化镨钕价格上涨3%。') },
      { name: 'call.md', mimeType: 'text/markdown', buffer: Buffer.from('# 电话会纪要\n\n公司预计稀土永磁订单增长。') },
    ]);
    await page.waitForFunction(() => document.querySelectorAll('.uploads li').length === 2);
    await page.locator('.uploads li', { hasText: 'memo.txt' }).getByText(/1 new/).waitFor();
    await page.locator('.uploads li', { hasText: 'call.md' }).getByText(/1 new/).waitFor();
    // Dated by the file's modification time, which the page sends with the upload.
    const memo = (await (await fetch(`${server.url}/api/search?q=${encodeURIComponent('氧化镨钕')}`)).json()) as {
      hits: { published_at: string | null }[];
    };
    expect(memo.hits[0]!.published_at).not.toBeNull();
    await page.screenshot({ path: join(SHOTS, 'sources-en.png'), fullPage: true });

    await page.goto(`${server.url}/search?q=${encodeURIComponent('稀土快讯')}&sort=newest`);
    await page.locator('.result').first().waitFor();
    const t = await titles();
    expect(t.some((x) => x.includes('<script>alert('))).toBe(true); // shown as text
    expect(await page.locator('.results script').count()).toBe(0);
    await page.locator('.result-title').first().click();
    await page.locator('.paragraphs li').first().waitFor();
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
    expect(await page.locator('[onclick]').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('deletes a source with its documents after confirmation', async () => {
    await page.goto(`${server.url}/sources`);
    const row = page.locator('table.sources tr', { hasText: 'Wire' });
    await row.waitFor();
    setAcceptConfirm(true);
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Deleted 1 documents.').waitFor();
    setAcceptConfirm(false);
    expect(await page.locator('table.sources tr', { hasText: 'Wire' }).count()).toBe(0);
    const r = await fetch(`${server.url}/api/search?q=magnets`);
    expect(((await r.json()) as { total: number }).total).toBe(0);
  });

  it('switches to Chinese, remembers it, and formats dates in Chinese', async () => {
    await page.goto(`${server.url}/search?q=${encodeURIComponent('稀土')}`);
    await page.getByRole('button', { name: 'Switch the interface to Chinese' }).click();
    await page.getByRole('link', { name: '来源' }).waitFor();
    await page.reload();
    await page.locator('.result').first().waitFor();
    expect(await page.locator('.count-line').textContent()).toMatch(/条结果/);
    expect(await page.locator('.result .meta time').first().textContent()).toMatch(/年/);
    await page.screenshot({ path: join(SHOTS, 'search-zh.png'), fullPage: true });
    await page.locator('.result-title').first().click();
    await page.locator('.paragraphs li').first().waitFor();
    await page.screenshot({ path: join(SHOTS, 'document-zh.png'), fullPage: true });
    // A summary's labels are in the reader's language (issue 18, item 4); its theme words are the document's.
    await page.goto(`${server.url}/documents/r2`);
    await page.locator('.summary-card .summary-heading').first().waitFor();
    const heads = await page.locator('.summary-card .summary-heading').allTextContents();
    expect(heads.some((h) => /核心观点|投资评级/.test(h)), heads.join(' | ')).toBe(true);
    expect(heads.join(' | ')).not.toMatch(/Core Viewpoint|Investment Rating|Group \d|Section \d/);
    await page.goto(`${server.url}/sources`);
    await page.locator('table.sources').waitFor();
    await page.screenshot({ path: join(SHOTS, 'sources-zh.png'), fullPage: true });
    await page.getByRole('button', { name: '将界面切换为英文' }).click();
    await page.getByRole('link', { name: 'Sources' }).waitFor();
  });

  it('follows the system into dark mode (issue 18, item 13)', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    try {
      await page.goto(`${server.url}/search?q=${encodeURIComponent('稀土')}`);
      await page.locator('.result').first().waitFor();
      const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
      const fg = await page.evaluate(() => getComputedStyle(document.documentElement).color);
      const luminance = (c: string) => {
        const [r, g, b] = (c.match(/\d+/g) ?? ['0', '0', '0']).map(Number) as [number, number, number];
        return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
      };
      expect(luminance(bg)).toBeLessThan(0.2);
      expect(luminance(fg)).toBeGreaterThan(0.7);
      await page.screenshot({ path: join(SHOTS, 'search-dark-en.png'), fullPage: true });
      await page.goto(`${server.url}/documents/r2`);
      await page.locator('.paragraphs li').first().waitFor();
      await page.screenshot({ path: join(SHOTS, 'document-dark-en.png'), fullPage: true });
    } finally {
      await page.emulateMedia({ colorScheme: 'light' });
    }
  });

  it('works from the keyboard alone: / focuses, j/k move, Enter opens, Esc clears', async () => {
    await page.goto(`${server.url}/sources`);
    await page.getByRole('link', { name: 'Search' }).click();
    await page.keyboard.press('/');
    await page.keyboard.type('稀土');
    await page.locator('.result').first().waitFor();
    await page.locator('.query').press('Tab'); // leave the box; keys now drive the list
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    const focused = await page.evaluate(() => document.activeElement?.textContent ?? '');
    const second = (await titles())[1]!;
    expect(focused).toBe(second);
    await page.keyboard.press('k');
    expect(await page.evaluate(() => document.activeElement?.textContent ?? '')).toBe((await titles())[0]);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/documents\//);
    await page.goBack();
    await page.keyboard.press('/');
    await page.keyboard.press('Escape');
    await page.waitForURL((u) => new URL(u).searchParams.get('q') === '');
    expect(await page.locator('.query').inputValue()).toBe('');
  });

  it('fits 1366 px and a 390 px phone on every page, in both languages; screenshots of each (issue 18, items 9 and the done list)', async () => {
    // A workflow with a run, so its page has a digest to show.
    const post = (path: string, body: unknown) =>
      fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await post('/api/workflows', { name: '稀土观察', query: '稀土', first_run_days: 3650, summarize: true });
    expect((await post(`/api/workflows/${encodeURIComponent('稀土观察')}/run`, {})).status).toBe(200);
    const pages: [string, string, string][] = [
      ['search', `/search?q=${encodeURIComponent('稀土')}`, '.result'],
      ['document', '/documents/r2', '.paragraphs li'],
      ['workflow', `/workflows/${encodeURIComponent('稀土观察')}`, '.workflow-page'],
      ['sources', '/sources', 'table.sources'],
    ];
    for (const width of [1366, 390]) {
      const context = await browser.newContext({ viewport: { width, height: width === 390 ? 844 : 900 }, locale: 'en-US', timezoneId: 'Asia/Shanghai' });
      const p = await context.newPage();
      try {
        for (const lang of ['en', 'zh']) {
          await p.goto(`${server.url}/search`);
          await p.evaluate((l) => localStorage.setItem('lodestone.lang', l), lang);
          for (const [name, path, ready] of [...pages, ['workflows', '/workflows', 'main'] as [string, string, string]]) {
            await p.goto(`${server.url}${path}`);
            await p.locator(ready).first().waitFor();
            await p.waitForTimeout(300);
            const widths = await p.evaluate(() => ({ doc: document.documentElement.scrollWidth, view: window.innerWidth }));
            expect(widths.doc, `${width} ${lang} ${path}`).toBeLessThanOrEqual(widths.view);
            // Every link of the header is on screen.
            for (const a of await p.locator('.topbar nav a, .lang-switch').all()) {
              const box = (await a.boundingBox())!;
              expect(box.x + box.width, `${width} ${lang} ${path} header`).toBeLessThanOrEqual(width);
            }
            if (name !== 'workflows') await p.screenshot({ path: join(SHOTS, `${name}-${width}-${lang}.png`), fullPage: true });
          }
        }
      } finally {
        await context.close();
      }
    }
  });
});
