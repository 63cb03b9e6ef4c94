/**
 * Workflows end to end in Chromium: create 稀土独立 with a schedule in the web app (the
 * live preview follows the query), ingest new fixture documents, and watch the scheduler's
 * next run produce the digest on the page, in the Atom feed, and as a signed webhook to a
 * local receiver. Screenshots: workflow-*.png.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { type AppContext, openContext } from '../../src/services/context.js';
import { ingestRecords } from '../../src/services/ingest.js';
import { verifySignature } from '../../src/workflows/webhook.js';
import { browserMissing, openBrowser, SHOTS } from '../helpers/browser.js';
import { tempDir } from '../helpers/fixtures.js';

/** A story long enough to be summarized (summaries/short.ts), carried by two outlets. */
const SEPARATION = [
  '欧美国家计划在2027年前建成独立的稀土分离产能。',
  '美国能源部宣布拨款5亿美元支持本土稀土分离项目。',
  '欧洲多国也在评估建设本土磁材工厂的可行性，但环保审批和技术工人短缺是主要障碍，项目落地仍需时日。',
  '国内企业表示，冶炼分离技术和成本优势短期内难以被替代，但海外客户分散采购的趋势已经出现，需要提前应对。',
  '市场人士提醒，海外产能建设进度、下游电动车和风电需求以及出口政策的变化，都将影响未来两年的稀土价格走势。',
  '从供给侧看，新增矿山项目的投产周期普遍在五年以上，短期供给弹性有限，而回收利用的规模仍然较小。',
  '从需求侧看，新能源汽车驱动电机、风力发电机组和工业机器人对高性能磁材的需求保持增长，节能家电的用量也在上升。',
  '业内预计，未来三年全球稀土分离产能的格局将逐步多元化，但中国企业在技术、成本和产业链配套方面的优势仍将持续。',
].join('\n');

const OLD = [
  {
    id: 'w-old',
    title: '稀土价格周评',
    body: '本周稀土价格小幅波动。\n氧化镨钕报价持平。',
    source: '示例财经',
    published_at: '2025-11-18T09:00:00+08:00',
  },
];

const NEW = [
  {
    id: 'w1',
    title: '欧美加快建设稀土分离产能',
    body: SEPARATION,
    source: '示例财经',
    published_at: '2025-11-22T08:00:00+08:00',
  },
  {
    id: 'w2',
    title: '欧美加快建设稀土分离产能',
    body: SEPARATION,
    source: '另一家媒体',
    published_at: '2025-11-22T08:10:00+08:00',
  },
  {
    id: 'w3',
    title: '稀土永磁企业订单增长',
    body: '多家稀土永磁企业表示订单继续增长。\n新能源汽车需求是主要动力。',
    source: '第三家媒体',
    published_at: '2025-11-22T09:00:00+08:00',
  },
];

describe.skipIf(browserMissing !== null)(`workflows in Chromium${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, () => {
  let ctx: AppContext;
  let server: RunningServer;
  let receiver: Server;
  let hookUrl = '';
  const hooks: { headers: IncomingMessage['headers']; body: string }[] = [];
  let browser: Browser;
  let page: Page;
  let dialogs: string[] = [];
  let pageErrors: string[] = [];
  let acceptConfirms: (on: boolean) => void = () => {};

  beforeAll(async () => {
    ctx = openContext({ dataDir: tempDir('lodestone-wf-web-'), allowPrivate: true, llm: null });
    await ingestRecords(ctx.store, OLD);
    server = await startServer(ctx, { port: 0, host: '127.0.0.1', scheduler: true, tickMs: 500 });
    receiver = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      hooks.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end('ok');
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const s = await openBrowser();
    browser = s.browser;
    page = s.page;
    dialogs = s.dialogs;
    pageErrors = s.pageErrors;
    acceptConfirms = s.acceptConfirms;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await ctx?.store.close();
    receiver?.closeAllConnections();
    receiver?.close();
  });

  it('creates 稀土独立 with a schedule; the next scheduled run shows the digest, the Atom feed and the webhook', async () => {
    await page.goto(`${server.url}/workflows`);
    await page.getByText('No workflows yet').waitFor();
    await page.getByRole('button', { name: 'New workflow' }).click();
    const form = page.locator('form.workflow-editor');
    await form.locator('input[name=name]').fill('稀土独立');
    await form.locator('input[name=query]').fill('稀土');
    // The live preview shows what the query matches now.
    await page.getByText('Matches now: 1 documents').waitFor();
    expect(await page.locator('.preview-list li').first().textContent()).toContain('稀土价格周评');
    // Filters narrow the preview too.
    await form.locator('input[name=sources]').fill('没有这个来源');
    await page.getByText('Matches now: 0 documents').waitFor();
    await form.locator('input[name=sources]').fill('');
    await page.getByText('Matches now: 1 documents').waitFor();
    // A bad schedule is refused at save time with the reason.
    await form.locator('input[name=schedule]').fill('61 * * * *');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => form.locator('[role=alert]').textContent()).toMatch(/invalid cron expression/);
    // Every two seconds (six-field cron) so the test sees the next scheduled run.
    await form.locator('input[name=schedule]').fill('*/2 * * * * *');
    await form.locator('input[name=tz]').fill('Asia/Shanghai');
    await form.locator('input[name=brief]').check();
    await form.locator('input[name=webhook]').fill(hookUrl);
    // The fixtures are dated 2025: reach back far enough for the first run to take them.
    await form.locator('input[name=first_run_days]').fill('3650');
    await page.screenshot({ path: join(SHOTS, 'workflow-editor-en.png'), fullPage: true });
    await form.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/workflows\/%E7%A8%80/);
    await page.getByRole('heading', { name: '稀土独立' }).waitFor();
    // The signing secret is shown once, on the page the new workflow opens to.
    const secret = (await page.locator('.notice.secret code').textContent()) ?? '';
    expect(secret).toMatch(/^[0-9a-f]{48}$/);
    await page.screenshot({ path: join(SHOTS, 'workflow-secret-en.png') });

    // The first scheduled run takes what was there; then new documents arrive.
    const name = encodeURIComponent('稀土独立');
    const runsNow = async () =>
      ((await (await fetch(`${server.url}/api/workflows/${name}/runs`)).json()) as { runs: { run_id: number; items: number; status: string }[] }).runs;
    await expect.poll(async () => (await runsNow()).length, { timeout: 15_000 }).toBeGreaterThan(0);
    await ingestRecords(ctx.store, NEW);
    await expect
      .poll(
        async () => (await runsNow()).some((r) => r.status === 'done' && r.items === 2),
        { timeout: 15_000 },
      )
      .toBe(true);
    // Pause it so the page stays put while we look.
    await page.reload();
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    const withItems = (await runsNow()).find((r) => r.items === 2)!;
    await page.goto(`${server.url}/workflows/${name}/runs/${withItems.run_id}`);
    await page.locator('.digest-list .result').first().waitFor();
    // Seed layout: newest first, `source · time`, summary with [n] citations, "also in".
    expect(await page.locator('.digest-list .result-title').allInnerTexts()).toEqual(['稀土永磁企业订单增长', '欧美加快建设稀土分离产能']);
    const story = page.locator('.digest-list .result', { hasText: '欧美加快建设稀土分离产能' });
    expect(await story.locator('.also').textContent()).toMatch(/Also in: (另一家媒体|示例财经)/);
    expect(await story.locator('.source-time').textContent()).toMatch(/·/);
    expect(await page.locator('.digest-list .cite').count()).toBeGreaterThan(0);
    await page.locator('.brief .cite').first().waitFor();
    await page.screenshot({ path: join(SHOTS, 'workflow-digest-en.png'), fullPage: true });
    // The run's items can be narrowed by words (issue 18, item 13).
    const filter = page.getByRole('searchbox', { name: 'Filter these items' });
    await filter.fill('永磁 订单');
    await expect.poll(() => page.locator('.digest-list .result-title').allInnerTexts()).toEqual(['稀土永磁企业订单增长']);
    await filter.fill('');
    // A brief citation opens the document at the cited paragraph.
    await page.locator('.brief .cite').first().click();
    await page.waitForURL(/\/documents\/.+#p\d+/);

    // The Atom feed has one entry per delivered story.
    const atom = await (await fetch(`${server.url}/workflows/${name}/feed.atom`)).text();
    expect(atom).toContain('<feed xmlns="http://www.w3.org/2005/Atom">');
    expect([...atom.matchAll(/<entry>/g)].length).toBe(3); // the old document's run + the two new stories

    // The webhook received the run, signed with the workflow's secret.
    const wf = (await (await fetch(`${server.url}/api/workflows/${name}`)).json()) as { webhook: { url: string; secret?: string } };
    expect(wf.webhook.secret).toBeUndefined(); // never read back
    const delivered = hooks.map((h) => ({ h, body: JSON.parse(h.body) as { run_id: number; items: { id: string }[] } }));
    const hit = delivered.find((d) => d.body.run_id === withItems.run_id)!;
    expect(hit.body.items.map((i) => i.id).sort()).toEqual(expect.arrayContaining(['w3']));
    expect(verifySignature(secret, String(hit.h.headers['x-lodestone-timestamp']), hit.h.body, String(hit.h.headers['x-lodestone-signature']))).toBe(true);

    // In Chinese.
    await page.goto(`${server.url}/workflows/${name}/runs/${withItems.run_id}`);
    await page.locator('.lang-switch').click();
    await page.getByText('同时见于', { exact: false }).first().waitFor();
    // The brief's citation marks are in the reader's language too.
    expect(await page.locator('.brief .cite').first().textContent()).toMatch(/^\[文档 \d+ 第 \d+ 段\]$/);
    await page.screenshot({ path: join(SHOTS, 'workflow-digest-zh.png'), fullPage: true });
    await page.goto(`${server.url}/workflows`);
    await page.locator('.workflow-card').first().waitFor();
    await page.screenshot({ path: join(SHOTS, 'workflows-zh.png'), fullPage: true });
    await page.locator('.lang-switch').click();

    // Edit the query (the page shows the new one), then delete the workflow.
    await page.goto(`${server.url}/workflows/${name}`);
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.locator('form.workflow-editor input[name=query]').fill('稀土 OR 永磁');
    await page.locator('form.workflow-editor').getByRole('button', { name: 'Save' }).click();
    await page.locator('.workflow-page .meta code', { hasText: '稀土 OR 永磁' }).waitFor();
    // Run now answers at once and the page follows the run until it is done.
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/\/runs\/\d+$/);
    await page.locator('.count-line', { hasText: 'done' }).waitFor();
    // No "running" banner outlives the run (issue 18, item 10); the schedule reads as words.
    expect(await page.locator('.notice', { hasText: /running/i }).count()).toBe(0);
    expect(await page.locator('.workflow-page .page-head + .meta').textContent()).toContain('Every 2 seconds · Asia/Shanghai');
    acceptConfirms(true);
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No workflows yet').waitFor();
    acceptConfirms(false);
    expect((await fetch(`${server.url}/api/workflows/${name}`)).status).toBe(404);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
