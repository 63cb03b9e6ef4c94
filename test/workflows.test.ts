import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOMParser } from 'linkedom';
import { parseFeed } from '../src/extract/feed.js';
import { startServer, type RunningServer } from '../src/http/server.js';
import { OpenAiCompatibleProvider } from '../src/llm/provider.js';
import { type AppContext, openContext } from '../src/services/context.js';
import { ingestRecords } from '../src/services/ingest.js';
import { feedDue, fetchSource, pollFeeds } from '../src/services/sources.js';
import { digestHtml, digestMarkdown } from '../src/workflows/digest.js';
import { getWorkflow, runWorkflow } from '../src/workflows/run.js';
import { Scheduler } from '../src/workflows/scheduler.js';
import { createWorkflow, runDigest, runNow, updateWorkflow } from '../src/workflows/service.js';
import { verifySignature } from '../src/workflows/webhook.js';
import { runCli, spawnCli } from './helpers/cli.js';
import { type FakeLlm, startFakeLlm } from './helpers/fake-llm.js';
import { LONG_ARTICLE_ZH, rssFeed, tempDir } from './helpers/fixtures.js';
import { resetConfig } from '../src/core/config.js';

// Our own fixture stories: a rare-earth story syndicated by two outlets, another rare-earth
// story, and an unrelated one.
const STORY = {
  title: '欧美加快建设稀土分离产能',
  // Long enough to be summarized (summaries/short.ts: over 300 characters).
  body: [
    '欧美国家计划在2027年前建成独立的稀土分离产能。',
    '美国能源部宣布拨款5亿美元支持本土稀土分离项目。',
    '分析人士认为，稀土分离环节仍高度集中。',
    '欧洲多国也在评估建设本土磁材工厂的可行性，但环保审批和技术工人短缺是主要障碍，项目落地仍需时日。',
    '国内企业表示，冶炼分离技术和成本优势短期内难以被替代，但海外客户分散采购的趋势已经出现，需要提前应对。',
    '市场人士提醒，海外产能建设进度、下游电动车和风电需求以及出口政策的变化，都将影响未来两年的稀土价格走势。',
    '从供给侧看，新增矿山项目的投产周期普遍在五年以上，短期供给弹性有限，而回收利用的规模仍然较小。',
    '从需求侧看，新能源汽车驱动电机、风力发电机组和工业机器人对高性能磁材的需求保持增长，节能家电的用量也在上升。',
  ].join('\n'),
};
/** The fixtures are dated 2025: workflows here reach back far enough to see them (the default first run covers 7 days). */
const OLD_FIXTURES = { first_run_days: 3650 };

const rec = (id: string, source: string, published: string, over: Partial<typeof STORY> = {}) => ({
  id,
  ...STORY,
  ...over,
  published_at: published,
  source,
  lang: 'zh',
});

function newCtx(): AppContext {
  return openContext({ dataDir: tempDir(), allowPrivate: true, llm: null });
}

describe('workflow runs', () => {
  it('delivers what is new since the last done run, collapses clusters and never repeats a story', async () => {
    const ctx = newCtx();
    try {
      await ingestRecords(ctx.store, [
        rec('s1', '示例财经', '2025-11-20T08:00:00+08:00'),
        rec('s2', '另一家媒体', '2025-11-20T08:20:00+08:00'),
        rec('x1', '示例财经', '2025-11-20T09:00:00+08:00', { title: '碳酸锂价格下跌', body: '碳酸锂价格继续下跌，跌幅扩大到3%。' }),
      ]);
      const wf = await createWorkflow(ctx, { ...OLD_FIXTURES, name: '稀土独立', query: '稀土', summarize: true, brief: true });
      const first = await runNow(ctx, wf.name);
      expect(first.outcome).toBe('done');
      // Two copies of one story: one item, the other outlet as "also in".
      expect(first.items).toHaveLength(1);
      expect(first.items[0]!.cluster?.also_in.map((a) => a.source)).toHaveLength(1);
      expect(first.items[0]!.summary?.sections.length).toBeGreaterThan(0);
      expect(first.brief?.themes.flatMap((t) => t.points).every((p) => p.verified)).toBe(true);

      // Nothing new: a done run with no items.
      const second = await runNow(ctx, wf.name);
      expect(second).toMatchObject({ outcome: 'done', items: [] });

      // A third outlet repeats the delivered story, and a late document with an old date arrives.
      await ingestRecords(ctx.store, [
        rec('s3', '第三家媒体', '2025-11-20T10:00:00+08:00'),
        rec('late', '示例财经', '2024-01-05T08:00:00+08:00', {
          title: '稀土收储政策回顾',
          body: '稀土收储政策于2014年开始试点。\n收储规模逐年调整。',
        }),
      ]);
      const third = await runNow(ctx, wf.name);
      expect(third.items.map((i) => i.id)).toEqual(['late']);
      expect(third.repeats?.map((r) => r.id)).toEqual(['s3']);

      const dg = (await runDigest(ctx, wf.name, third.run_id!)).digest;
      expect(dg.items).toHaveLength(1);
      expect(digestMarkdown(dg, 'Asia/Shanghai')).toContain('稀土收储政策回顾');
    } finally {
      await ctx.store.close();
    }
  });

  it('a first run reaches back 7 days by publication date unless the user picks another window; runs are numbered per workflow (issue 18, item 10)', async () => {
    const ctx = newCtx();
    const DAY = 86_400_000;
    const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
    try {
      await ingestRecords(ctx.store, [
        rec('d3', '示例财经', ago(3)),
        rec('d30', '另一家媒体', ago(30), { title: '稀土收储政策回顾', body: '稀土收储政策于2014年开始试点，收储规模逐年调整，本月再次调整。' }),
      ]);
      const week = await createWorkflow(ctx, { name: 'week', query: '稀土' });
      expect(week.firstRunDays).toBe(7);
      const month = await createWorkflow(ctx, { name: 'month', query: '稀土', first_run_days: 60 });
      const fresh = await createWorkflow(ctx, { name: 'fresh', query: '稀土', first_run_days: 0 });
      expect((await runNow(ctx, 'week')).items.map((i) => i.id)).toEqual(['d3']);
      expect((await runNow(ctx, 'month')).items.map((i) => i.id).sort()).toEqual(['d3', 'd30']);
      expect((await runNow(ctx, 'fresh')).items).toEqual([]);
      // After the first run, whatever arrives is new, whatever its date.
      await ingestRecords(ctx.store, [rec('old', '第三家媒体', ago(90), { title: '稀土旧闻', body: '一篇九十天前发布、今天才收录的稀土旧闻，内容与其他报道不同。' })]);
      expect((await runNow(ctx, 'week')).items.map((i) => i.id)).toEqual(['old']);
      expect((await runNow(ctx, 'fresh')).items.map((i) => i.id)).toEqual(['old']);
      // Runs count per workflow, whatever the others did in between.
      const views = await Promise.all([week, month, fresh].map((w) => ctx.store.workflows.runs(w.id, 10)));
      expect(views.map((runs) => runs.map((r) => r.number))).toEqual([[2, 1], [1], [2, 1]]);
      await expect(createWorkflow(ctx, { name: 'bad', query: '稀土', first_run_days: -1 })).rejects.toThrow(/first_run_days/);
    } finally {
      await ctx.store.close();
    }
  });

  it("an item's excerpt does not repeat its title", async () => {
    const ctx = newCtx();
    try {
      await ingestRecords(ctx.store, [{ id: 'md', title: '电话会纪要', body: '电话会纪要\n公司预计稀土永磁订单增长。', source: '笔记', lang: 'zh' }]);
      await createWorkflow(ctx, { name: 'notes', query: '稀土', first_run_days: 0 });
      await ingestRecords(ctx.store, [{ id: 'md2', title: '调研纪要', body: '调研纪要\n稀土企业开工率提升。', source: '笔记', lang: 'zh' }]);
      const run = await runNow(ctx, 'notes');
      expect(run.items.map((i) => i.excerpt)).toEqual(['稀土企业开工率提升。']);
    } finally {
      await ctx.store.close();
    }
  });

  it('describes a schedule in words, in both languages', async () => {
    const { scheduleWords } = await import('../src/workflows/cron-words.js');
    expect(scheduleWords('30 8 * * 1-5', 'Asia/Shanghai')).toBe('At 08:30, Monday through Friday · Asia/Shanghai');
    expect(scheduleWords('30 8 * * 1-5', 'Asia/Shanghai', 'zh')).toMatch(/08:30.*星期一至星期五 · Asia\/Shanghai$/);
    expect(scheduleWords('not cron', 'UTC')).toBe('not cron · UTC');
  });

  it('caps a run that matches more than max_items and says so', async () => {
    const ctx = newCtx();
    try {
      const many = Array.from({ length: 30 }, (_, i) =>
        rec(`m${i}`, `来源${i}`, `2025-11-${String(1 + (i % 28)).padStart(2, '0')}T08:00:00+08:00`, {
          title: `稀土第${i}号消息`,
          body: `第${i}号消息：稀土项目编号${i * 7919}，与其他消息内容完全不同的独立描述${'甲乙丙丁戊己庚辛'.repeat(i % 5)}。`,
        }),
      );
      await ingestRecords(ctx.store, many);
      await createWorkflow(ctx, { ...OLD_FIXTURES, name: 'cap', query: '稀土', max_items: 5 });
      const r = await runNow(ctx, 'cap');
      expect(r.outcome).toBe('done');
      expect(r.items).toHaveLength(5);
      expect(r.capped).toBe((r.matched ?? 0) - 5);
      expect(r.reason).toMatch(/capped: \d+ more/);
    } finally {
      await ctx.store.close();
    }
  });

  it('lets only one of two simultaneous triggers run', async () => {
    const ctx = newCtx();
    try {
      await ingestRecords(ctx.store, [rec('s1', '示例财经', '2025-11-20T08:00:00+08:00')]);
      const wf = await createWorkflow(ctx, { ...OLD_FIXTURES, name: 'twice', query: '稀土', summarize: true });
      const [a, b] = await Promise.all([runWorkflow(ctx, wf), runWorkflow(ctx, wf)]);
      expect([a.outcome, b.outcome].sort()).toEqual(['done', 'skipped']);
      expect((a.outcome === 'skipped' ? a : b).reason).toMatch(/already running/);
      // The history keeps both: one done run, one skipped trigger that selected nothing.
      const runs = await ctx.store.workflows.runs(wf.id, 10);
      expect(runs.map((r) => r.status).sort()).toEqual(['done', 'skipped']);
      expect(await ctx.store.workflows.items(runs.find((r) => r.status === 'skipped')!.id)).toEqual([]);
      // A skipped trigger moves nothing on: the next run takes what came after the done one.
      await ingestRecords(ctx.store, [rec('s9', '示例财经', '2025-11-23T08:00:00+08:00', { title: '稀土新消息', body: '稀土企业发布新公告。' })]);
      expect((await runNow(ctx, 'twice')).items.map((i) => i.id)).toEqual(['s9']);
    } finally {
      await ctx.store.close();
    }
  });

  it('a failed run delivers nothing, and the next run takes its documents', async () => {
    const ctx = newCtx();
    try {
      await ingestRecords(ctx.store, [rec('s1', '示例财经', '2025-11-20T08:00:00+08:00')]);
      const wf = await createWorkflow(ctx, { ...OLD_FIXTURES, name: 'flaky', query: '稀土' });
      const failed = await runWorkflow(ctx, wf, {
        hooks: {
          afterSelection: () => {
            throw new Error('disk full');
          },
        },
      });
      expect(failed).toMatchObject({ outcome: 'failed', reason: 'disk full' });
      const next = await runNow(ctx, wf.name);
      expect(next.outcome).toBe('done');
      expect(next.items.map((i) => i.id)).toEqual(['s1']);
    } finally {
      await ctx.store.close();
    }
  });

  it('a webhook to a private address is refused (SSRF guard) and failed at once, not retried', async () => {
    const ctx = openContext({ dataDir: tempDir(), allowPrivate: false, llm: null });
    try {
      await ingestRecords(ctx.store, [rec('s1', '示例财经', '2025-11-20T08:00:00+08:00')]);
      await createWorkflow(ctx, { ...OLD_FIXTURES, name: 'ssrf', query: '稀土', webhook: 'http://127.0.0.1:9/hook' });
      const r = await runNow(ctx, 'ssrf');
      expect(r.outcome).toBe('done');
      expect(r.deliveries?.[0]).toMatchObject({ status: 'failed', attempts: 1, last_error: expect.stringMatching(/refused/) });
    } finally {
      await ctx.store.close();
    }
  });

  it('rejects an invalid query, cron expression or time zone at save time', async () => {
    const ctx = newCtx();
    try {
      await expect(createWorkflow(ctx, { ...OLD_FIXTURES, name: 'q', query: '稀土 AND (' })).rejects.toThrow(/invalid query/);
      await expect(createWorkflow(ctx, { ...OLD_FIXTURES, name: 'c', query: '稀土', schedule: '61 * * * *' })).rejects.toThrow(/invalid cron/);
      await expect(createWorkflow(ctx, { ...OLD_FIXTURES, name: 't', query: '稀土', tz: 'Mars/Base' })).rejects.toThrow(/unknown time zone/);
      await expect(createWorkflow(ctx, { ...OLD_FIXTURES, name: 'w', query: '稀土', webhook: 'ftp://x' })).rejects.toThrow(/http/);
      await createWorkflow(ctx, { ...OLD_FIXTURES, name: 'ok', query: '稀土' });
      await expect(createWorkflow(ctx, { ...OLD_FIXTURES, name: 'ok', query: '稀土' })).rejects.toThrow(/already exists/);
      await expect(updateWorkflow(ctx, 'ok', { schedule: 'every day' })).rejects.toThrow(/invalid cron/);
      expect((await getWorkflow(ctx.store, 'ok')).schedule).toBeNull();
    } finally {
      await ctx.store.close();
    }
  });

  it('a running scheduler picks up a workflow another process added', async () => {
    const ctx = newCtx();
    const scheduler = new Scheduler(ctx, { tickMs: 60_000 });
    try {
      await scheduler.start();
      expect(scheduler.nextRuns()).toEqual([]);
      await createWorkflow(ctx, { ...OLD_FIXTURES, name: 'later', query: '稀土', schedule: '30 8 * * 1-5', tz: 'Asia/Shanghai' });
      await scheduler.tick();
      expect(scheduler.nextRuns().map((j) => j.name)).toEqual(['later']);
      await updateWorkflow(ctx, 'later', { paused: true });
      await scheduler.tick();
      expect(scheduler.nextRuns()).toEqual([]);
    } finally {
      await scheduler.stop();
      await ctx.store.close();
    }
  });

  it('catches up a missed slot once after a restart, not once per missed slot', async () => {
    const ctx = newCtx();
    try {
      await ingestRecords(ctx.store, [rec('s1', '示例财经', '2025-11-20T08:00:00+08:00')]);
      const created = Date.now() - 3 * 3600_000;
      await createWorkflow(ctx, { ...OLD_FIXTURES, name: 'hourly', query: '稀土', schedule: '0 * * * *', tz: 'UTC' }, created);
      const scheduler = new Scheduler(ctx);
      expect(await scheduler.catchUp()).toEqual(['hourly']);
      expect(await scheduler.catchUp()).toEqual([]);
      const wf = await getWorkflow(ctx.store, 'hourly');
      const runs = await ctx.store.workflows.runs(wf.id, 10);
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ trigger: 'catch-up', status: 'done' });
      await scheduler.stop();
    } finally {
      await ctx.store.close();
    }
  });
});

describe('a run killed halfway', () => {
  let fake: FakeLlm;
  beforeAll(async () => {
    fake = await startFakeLlm();
  });
  afterAll(async () => {
    await fake.close();
  });
  const answer = JSON.stringify({ sections: [{ heading: '核心观点', points: [{ text: '稀土行业继续发展', citations: [1] }] }] });

  it('writes a verified topic brief with a model, dropping a point that fails, and falls back to extractive when the model fails', async () => {
    const ctx = openContext({ dataDir: tempDir(), allowPrivate: true, llm: null });
    await ingestRecords(ctx.store, [
      rec('b1', '示例财经', '2025-11-20T08:00:00+08:00'),
      rec('b2', '示例财经', '2025-11-21T08:00:00+08:00', { title: '稀土永磁订单增长', body: '稀土永磁企业订单继续增长。\n多家企业扩产。' }),
    ]);
    await createWorkflow(ctx, { ...OLD_FIXTURES, name: 'llm-brief', query: '稀土', summarize: true, brief: true, lang: 'zh' });
    await createWorkflow(ctx, { ...OLD_FIXTURES, name: 'llm-brief-fails', query: '稀土', summarize: true, brief: true, lang: 'zh' });
    await ctx.store.close();
    const llm = new OpenAiCompatibleProvider({ baseURL: fake.baseURL, apiKey: 'x', model: 'fake', timeoutMs: 10_000, maxRetries: 0, maxConcurrency: 1, rpm: null });
    const withLlm = openContext({ dataDir: ctx.dataDir, allowPrivate: true, llm });
    try {
      const brief = JSON.stringify({
        themes: [
          {
            heading: '产能与资金',
            points: [
              // doc 1 is the newest story (b2), doc 2 is b1: its paragraph 2 states the 5亿美元.
              { text: '美国能源部拨款5亿美元支持稀土分离', citations: [{ doc: 2, paragraph: 2 }] },
              { text: '美国能源部拨款9亿美元支持稀土分离', citations: [{ doc: 2, paragraph: 2 }] },
              { text: '稀土永磁企业订单继续增长', citations: [{ doc: 1, paragraph: 1 }] },
            ],
          },
        ],
      });
      // One summary from the model (b1); b2's two short lines are read whole (summaries/short.ts).
      fake.script([{ content: answer }, { content: brief }]);
      const r = await runNow(withLlm, 'llm-brief');
      expect(r.outcome).toBe('done');
      expect(r.brief).toMatchObject({ method: 'llm', model: 'fake', lang: 'zh', fallback: null });
      const points = r.brief!.themes.flatMap((t) => t.points);
      expect(points.map((p) => p.text)).toEqual(['美国能源部拨款5亿美元支持稀土分离', '稀土永磁企业订单继续增长']);
      expect(points[0]!.citations).toEqual([{ doc: 2, paragraph: 2, id: 'b1' }]);
      expect(r.brief!.dropped).toEqual([{ text: '美国能源部拨款9亿美元支持稀土分离', reason: expect.stringMatching(/9亿美元/) }]);

      // Summaries are cached now; the brief request fails twice (no retries): extractive, saying why.
      fake.script([{ status: 500 }, { status: 500 }]);
      const f = await runNow(withLlm, 'llm-brief-fails');
      expect(f.outcome).toBe('done');
      expect(f.brief).toMatchObject({ method: 'extractive', fallback: expect.stringMatching(/the model failed/) });
      expect(f.items.map((i) => i.summary?.method)).toEqual(['none', 'llm']);
    } finally {
      await withLlm.store.close();
    }
  });

  it('two processes triggering the same workflow at once make one run; the other is skipped', async () => {
    const dir = tempDir();
    const ctx = openContext({ dataDir: dir, allowPrivate: true, llm: null });
    await ingestRecords(ctx.store, [rec('p1', '示例财经', '2025-11-20T08:00:00+08:00')]);
    await createWorkflow(ctx, { ...OLD_FIXTURES, name: 'race', query: '稀土', summarize: true });
    await ctx.store.close();
    // The model answers slowly, so the first process is still running when the second starts.
    fake.script([{ content: answer, delayMs: 3000 }]);
    const env = { LODESTONE_LLM_BASE_URL: fake.baseURL, LODESTONE_LLM_MODEL: 'fake', LODESTONE_LLM_API_KEY: 'x', LODESTONE_LLM_MAX_RETRIES: '0' };
    const first = runCli(['workflow', 'run', 'race', '--json', '--data', dir], env);
    const deadline = Date.now() + 30_000;
    while (fake.requests.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const second = await runCli(['workflow', 'run', 'race', '--json', '--data', dir], env);
    const a = JSON.parse((await first).stdout) as { outcome: string; items: unknown[] };
    const b = JSON.parse(second.stdout) as { outcome: string; reason: string };
    expect(a).toMatchObject({ outcome: 'done' });
    expect(a.items).toHaveLength(1);
    expect(b.outcome).toBe('skipped');
    expect(b.reason).toMatch(/already in progress/);
    const check = openContext({ dataDir: dir, allowPrivate: true, llm: null });
    try {
      const runs = await check.store.workflows.runs((await getWorkflow(check.store, 'race')).id, 10);
      expect(runs.map((r) => r.status).sort()).toEqual(['done', 'skipped']);
    } finally {
      await check.store.close();
    }
  }, 60_000);

  it('is completed by the next run without paying the model twice', async () => {
    const dir = tempDir();
    const ctx = openContext({ dataDir: dir, allowPrivate: true, llm: null });
    await ingestRecords(ctx.store, [
      rec('k1', '示例财经', '2025-11-20T08:00:00+08:00'),
      // Another story, long enough to need a summary too.
      rec('k2', '示例财经', '2025-11-21T08:00:00+08:00', { title: '中重稀土出口管制落地', body: LONG_ARTICLE_ZH }),
    ]);
    await createWorkflow(ctx, { ...OLD_FIXTURES, name: 'kill', query: '稀土', summarize: true });
    await ctx.store.close();

    // The first summary comes back; the second hangs, and the process is killed meanwhile.
    fake.script([{ content: answer }, { content: answer, delayMs: 60_000 }]);
    // One summary at a time, so the first is committed before the second is asked for.
    const child = spawnCli(['workflow', 'run', 'kill', '--data', dir], {
      LODESTONE_LLM_BASE_URL: fake.baseURL,
      LODESTONE_LLM_MODEL: 'fake',
      LODESTONE_LLM_API_KEY: 'x',
      LODESTONE_LLM_MAX_RETRIES: '0',
      LODESTONE_LLM_MAX_CONCURRENCY: '1',
    });
    const deadline = Date.now() + 60_000;
    while (fake.requests.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(fake.requests.length).toBe(2);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    fake.script([{ content: answer }]);
    const llm = new OpenAiCompatibleProvider({ baseURL: fake.baseURL, apiKey: 'x', model: 'fake', timeoutMs: 10_000, maxRetries: 0, maxConcurrency: 1, rpm: null });
    const again = openContext({ dataDir: dir, allowPrivate: true, llm });
    try {
      const r = await runNow(again, 'kill');
      expect(r).toMatchObject({ outcome: 'done', resumed: true });
      expect(r.items).toHaveLength(2);
      expect(r.items.map((i) => [i.summary?.method, i.summary_error])).toEqual([['llm', null], ['llm', null]]);
      expect(fake.requests).toHaveLength(1); // only the summary the killed run did not finish
      const wf = await getWorkflow(again.store, 'kill');
      expect(await again.store.workflows.runs(wf.id, 10)).toHaveLength(1);
    } finally {
      await again.store.close();
    }
  }, 90_000);
});

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

describe('delivery: API, Atom feed and webhooks', () => {
  let ctx: AppContext;
  let server: RunningServer;
  let receiver: Server;
  let receiverUrl = '';
  const received: Received[] = [];
  let failuresLeft = 0;

  beforeAll(async () => {
    process.env.LODESTONE_WEBHOOK_BACKOFF_MS = '20,20';
    resetConfig();
    ctx = newCtx();
    server = await startServer(ctx, { port: 0, host: '127.0.0.1' });
    receiver = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      if (req.url === '/hang') return; // never answers
      if (req.url === '/fail' || failuresLeft > 0) {
        failuresLeft--;
        res.writeHead(500).end('receiver broken');
        return;
      }
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    delete process.env.LODESTONE_WEBHOOK_BACKOFF_MS;
    resetConfig();
    await server.close();
    await ctx.store.close();
    receiver.closeAllConnections();
    receiver.close();
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(server.url + path, {
      method,
      // State-changing requests declare JSON (the CSRF guard), with or without a body.
      ...(method !== 'GET' && method !== 'DELETE' ? { headers: { 'content-type': 'application/json' } } : {}),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('creates, previews, runs and lists runs over the API; bad input is a 422 with the reason', async () => {
    await ingestRecords(ctx.store, [rec('s1', '示例财经', '2025-11-20T08:00:00+08:00'), rec('s2', '另一家媒体', '2025-11-20T08:20:00+08:00')]);
    const bad = await api('POST', '/api/workflows', { ...OLD_FIXTURES, name: 'x', query: '稀土', schedule: '99 * * * *' });
    expect(bad.status).toBe(422);
    expect(String((bad.body.error as { message: string }).message)).toMatch(/invalid cron/);

    const preview = await api('POST', '/api/workflows/preview', { query: '稀土' });
    expect(preview.body.total).toBe(1);

    const created = await api('POST', '/api/workflows', {
      ...OLD_FIXTURES,
      name: '稀土独立',
      query: '稀土',
      schedule: '30 8 * * 1-5',
      tz: 'Asia/Shanghai',
      summarize: true,
      webhook: `${receiverUrl}/hook`,
      webhook_secret: 'test-secret-123',
    });
    expect(created.status).toBe(201);
    expect(created.body.next_run_at).toMatch(/T00:30:00/);

    const run = await api('POST', `/api/workflows/${encodeURIComponent('稀土独立')}/run`);
    expect(run.body).toMatchObject({ outcome: 'done' });
    const runs = await api('GET', `/api/workflows/${encodeURIComponent('稀土独立')}/runs`);
    expect((runs.body.runs as { items: number }[])[0]!.items).toBe(1);
    const one = await api('GET', `/api/workflows/${encodeURIComponent('稀土独立')}/runs/${run.body.run_id}`);
    expect((one.body.items as unknown[]).length).toBe(1);
    const missing = await api('GET', `/api/workflows/${encodeURIComponent('稀土独立')}/runs/999`);
    expect(missing.status).toBe(404);

    // The webhook was posted with a valid signature.
    const deadline = Date.now() + 5_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(received).toHaveLength(1);
    const h = received[0]!;
    expect(verifySignature('test-secret-123', String(h.headers['x-lodestone-timestamp']), h.body, String(h.headers['x-lodestone-signature']))).toBe(true);
    expect(verifySignature('wrong-secret', String(h.headers['x-lodestone-timestamp']), h.body, String(h.headers['x-lodestone-signature']))).toBe(false);
    expect(JSON.parse(h.body)).toMatchObject({ event: 'workflow.run', workflow: '稀土独立' });
  });

  it('refuses a feed poll schedule that is not a cron expression', async () => {
    const r = await api('POST', '/api/sources/url', { url: `${receiverUrl}/feed.xml`, schedule: 'hourly' });
    expect(r.status).toBe(422);
    expect(String((r.body.error as { message: string }).message)).toMatch(/invalid cron expression "hourly"/);
  });

  it('run ?wait=false answers 202 once the run exists; the run finishes in the background', async () => {
    await api('POST', '/api/workflows', { ...OLD_FIXTURES, name: 'async', query: '稀土', summarize: true });
    const r = await api('POST', '/api/workflows/async/run?wait=false');
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ run_id: expect.any(Number), outcome: 'running' });
    await expect
      .poll(async () => ((await api('GET', '/api/workflows/async/runs')).body.runs as { status: string }[])[0]!.status)
      .toBe('done');
    expect((await api('POST', '/api/workflows/nope/run?wait=false')).status).toBe(404);
  });

  it('serves a valid Atom feed whose entries stay the same across runs', async () => {
    const name = encodeURIComponent('稀土独立');
    const res1 = await fetch(`${server.url}/workflows/${name}/feed.atom`);
    expect(res1.headers.get('content-type')).toMatch(/application\/atom\+xml/);
    const xml1 = await res1.text();
    expect(xml1).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>\n<feed xmlns="http:\/\/www.w3.org\/2005\/Atom">/);
    for (const tag of ['id', 'title', 'updated']) expect(xml1).toMatch(new RegExp(`<feed[^]*?<${tag}[ >]`));
    const ids1 = [...xml1.matchAll(/<entry>\s*<id>([^<]+)<\/id>/g)].map((m) => m[1]);
    expect(ids1).toHaveLength(1);
    const parsed = parseFeed(xml1);
    expect(parsed.entries[0]!.title).toContain('稀土');
    // Atom 1.0 (RFC 4287) requirements, checked on the parsed XML: the feed and every entry
    // have exactly one id, title and updated (RFC 3339); an entry has an alternate link and
    // an author (its own or the feed's); ids are absolute IRIs.
    type XmlEl = { localName: string; children: ArrayLike<XmlEl>; textContent: string | null; getAttribute(n: string): string | null };
    const feed = new DOMParser().parseFromString(xml1, 'text/xml').documentElement as unknown as XmlEl;
    expect(feed.localName).toBe('feed');
    expect(feed.getAttribute('xmlns')).toBe('http://www.w3.org/2005/Atom');
    const kids = (el: XmlEl, name: string) => Array.from(el.children).filter((c) => c.localName === name);
    const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
    for (const el of [feed, ...kids(feed, 'entry')]) {
      for (const name of ['id', 'title', 'updated']) expect(kids(el, name), name).toHaveLength(1);
      expect(kids(el, 'updated')[0]!.textContent).toMatch(rfc3339);
      expect(kids(el, 'id')[0]!.textContent).toMatch(/^(urn|https?):/);
    }
    expect(kids(feed, 'author')).toHaveLength(1);
    for (const e of kids(feed, 'entry')) {
      expect(kids(e, 'link').some((l) => l.getAttribute('rel') === 'alternate' && /^https?:\/\//.test(l.getAttribute('href') ?? ''))).toBe(true);
    }

    await ingestRecords(ctx.store, [rec('n2', '示例财经', '2025-11-22T08:00:00+08:00', { title: '稀土价格上涨', body: '氧化镨钕价格上涨。\n稀土板块走强。' })]);
    await api('POST', `/api/workflows/${name}/run`);
    const xml2 = await (await fetch(`${server.url}/workflows/${name}/feed.atom`)).text();
    const ids2 = [...xml2.matchAll(/<entry>\s*<id>([^<]+)<\/id>/g)].map((m) => m[1]);
    expect(ids2).toHaveLength(2);
    expect(ids2).toContain(ids1[0]);
    expect(new Set(ids2).size).toBe(2);
  });

  it('retries a failing webhook with back-off, logs every attempt, and fails it in the end', async () => {
    await api('POST', '/api/workflows', { ...OLD_FIXTURES, name: 'broken-hook', query: '稀土', webhook: `${receiverUrl}/fail` });
    const r = await runNow(ctx, 'broken-hook', { deliver: 'wait' });
    expect(r.deliveries?.[0]).toMatchObject({ status: 'pending', attempts: 1, last_status: 500 });
    const scheduler = new Scheduler(ctx);
    for (let i = 0; i < 5; i++) {
      await new Promise((res) => setTimeout(res, 30));
      await scheduler.tick();
    }
    await scheduler.stop();
    const log = await api('GET', '/api/workflows/broken-hook/deliveries');
    expect((log.body.deliveries as unknown[])[0]).toMatchObject({ status: 'failed', attempts: 3, last_status: 500 });
    expect(String(((log.body.deliveries as { last_error: string }[])[0]!).last_error)).toMatch(/HTTP 500: receiver broken/);
  });

  it('a failed delivery can be sent again once the receiver works', async () => {
    await api('POST', '/api/workflows', { ...OLD_FIXTURES, name: 'flaky-hook', query: '稀土', webhook: `${receiverUrl}/flaky` });
    failuresLeft = 100;
    const r = await runNow(ctx, 'flaky-hook', { deliver: 'wait' });
    const id = r.deliveries![0]!.id;
    const scheduler = new Scheduler(ctx);
    for (let i = 0; i < 5; i++) {
      await new Promise((res) => setTimeout(res, 30));
      await scheduler.tick();
    }
    await scheduler.stop();
    expect((await api('GET', '/api/workflows/flaky-hook/deliveries')).body.deliveries).toMatchObject([{ id, status: 'failed' }]);
    failuresLeft = 0;
    const before = received.length;
    const retried = await api('POST', `/api/workflows/flaky-hook/deliveries/${id}/retry`);
    expect(retried.body).toMatchObject({ id, status: 'delivered', attempts: 1 });
    expect(received.length).toBe(before + 1);
    expect((await api('POST', `/api/workflows/flaky-hook/deliveries/${id}/retry`)).status).toBe(409);
  });

  it('a hanging webhook does not hold up another workflow', async () => {
    await api('POST', '/api/workflows', { ...OLD_FIXTURES, name: 'hangs', query: '稀土', webhook: `${receiverUrl}/hang` });
    await api('POST', '/api/workflows', { ...OLD_FIXTURES, name: 'fine', query: '价格', webhook: `${receiverUrl}/ok` });
    const before = received.length;
    const started = Date.now();
    const hanging = runNow(ctx, 'hangs', { deliver: 'background' });
    const fine = await runNow(ctx, 'fine', { deliver: 'wait' });
    expect(fine.deliveries?.[0]?.status).toBe('delivered');
    expect(received.length).toBe(before + 1);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await hanging).outcome).toBe('done');
  });

  it('renders Markdown and self-contained HTML digests with escaped document text', async () => {
    await ingestRecords(ctx.store, [
      rec('xss', '<script>alert(1)</script>', '2025-11-22T09:00:00+08:00', {
        title: '稀土 <img src=x onerror=alert(1)>',
        body: '稀土 <b>bold</b> & "quotes"。\n第二段。',
      }),
    ]);
    await api('POST', '/api/workflows', { ...OLD_FIXTURES, name: 'esc', query: '稀土', summarize: true });
    const r = await runNow(ctx, 'esc');
    const html = await (await fetch(`${server.url}/api/workflows/esc/runs/${r.run_id}/digest.html`)).text();
    expect(html).not.toMatch(/<script>|<img|<b>/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toMatch(/<link|src="http/);
    const md = await (await fetch(`${server.url}/api/workflows/esc/runs/${r.run_id}/digest.md`)).text();
    expect(md).toContain('\\<script\\>');
    const { digest } = await runDigest(ctx, 'esc', r.run_id!);
    expect(digestHtml(digest, 'UTC')).toContain('<!doctype html>');
  });
});

describe('feeds on schedules', () => {
  it('polls with conditional requests, backs off on failure with a visible error, and a workflow can refresh first', async () => {
    let items = 2;
    let broken = false;
    const seen: (string | undefined)[] = [];
    const feedServer = createServer((req, res) => {
      seen.push(req.headers['if-none-match'] as string | undefined);
      if (broken) return void res.writeHead(503).end('down');
      const etag = `"v${items}"`;
      if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
      res.writeHead(200, { 'content-type': 'application/rss+xml', etag, 'last-modified': 'Sat, 22 Nov 2025 00:00:00 GMT' }).end(rssFeed(items));
    });
    await new Promise<void>((r) => feedServer.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(feedServer.address() as AddressInfo).port}/feed.xml`;
    const ctx = newCtx();
    try {
      const first = await fetchSource(ctx.store, url, { source: '示例稀土源', allowPrivate: true });
      expect(first.results).toHaveLength(2);
      const [feed] = await ctx.store.workflows.feeds();
      expect(feed).toMatchObject({ url, etag: '"v2"', failures: 0, nextPollAt: null });

      // Not due yet (default interval); forced, it sends If-None-Match and gets a 304.
      expect(feedDue(feed!, Date.now(), 'UTC')).toBe(false);
      const unchanged = await pollFeeds(ctx.store, { allowPrivate: true, tz: 'UTC', force: true });
      expect(unchanged).toEqual([{ url, stored: 0, unchanged: true, error: null }]);
      expect(seen.at(-1)).toBe('"v2"');

      // Failing: counted, backed off, shown on the sources list; documents stay.
      broken = true;
      const failed = await pollFeeds(ctx.store, { allowPrivate: true, tz: 'UTC', force: true });
      expect(failed[0]!.error).toMatch(/HTTP 503/);
      const [afterFail] = await ctx.store.workflows.feeds();
      expect(afterFail!.failures).toBe(1);
      expect(afterFail!.nextPollAt).toBeGreaterThan(Date.now() + 4 * 60_000);
      expect(feedDue(afterFail!, Date.now(), 'UTC')).toBe(false);
      expect(feedDue(afterFail!, afterFail!.nextPollAt!, 'UTC')).toBe(true);
      const listed = (await ctx.store.listSources()).find((s) => s.name === '示例稀土源')!;
      expect(listed).toMatchObject({ documents: 2, failures: 1, feed: true });
      expect(listed.lastError).toMatch(/503/);

      // Back up with a new entry: a workflow that refreshes its feeds first delivers it.
      broken = false;
      items = 3;
      await createWorkflow(ctx, { ...OLD_FIXTURES, name: 'feeds', query: '稀土', refresh_feeds: true, filters: { source: ['示例稀土源'] } });
      const run = await runNow(ctx, 'feeds');
      expect(run.feeds).toEqual([{ url, stored: 3, unchanged: false, error: null }]);
      expect(run.items).toHaveLength(3);
      expect((await ctx.store.workflows.feeds())[0]).toMatchObject({ failures: 0, nextPollAt: null, etag: '"v3"' });
    } finally {
      await ctx.store.close();
      feedServer.close();
    }
  });
});
