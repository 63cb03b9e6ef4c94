import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredDocument } from '../src/core/types.js';
import { OpenAiCompatibleProvider } from '../src/llm/provider.js';
import { llmSummary } from '../src/summaries/llm.js';
import { type FakeLlm, startFakeLlm } from './helpers/fake-llm.js';

const doc: StoredDocument = {
  seq: 1,
  id: 'r1',
  key: 'k',
  externalId: 'r1',
  title: '稀土行业周报',
  source: '中信证券',
  url: null,
  publishedAt: null,
  fetchedAt: 0,
  ingestedAt: 0,
  type: 'news',
  lang: 'zh',
  script: 'Hans',
  paragraphs: [
    { n: 1, text: '商务部、海关总署发布公告，对部分中重稀土相关物项实施出口管制。' },
    { n: 2, text: '2026年第一季度，北方稀土氧化镨钕产量为3834吨，同比增长75%。' },
    { n: 3, text: '公司预计全年资本开支14亿美元。' },
  ],
  metadata: {},
  tickers: [],
  contentHash: 'h',
  clusterId: null,
};

const answer = (sections: { heading: string; points: { text: string; citations: number[] }[] }[]) => JSON.stringify({ sections });
const GOOD = answer([
  { heading: 'Core Viewpoint', points: [{ text: 'The Ministry of Commerce put export controls on some medium and heavy rare earths', citations: [1] }] },
  {
    heading: 'Group 1: Output',
    points: [
      { text: 'China Northern Rare Earth produced 3,834 tons of NdPr oxide in Q1 2026, up 75%', citations: [2] },
      { text: 'Capex of $1.4 billion is planned for the year', citations: [3] },
    ],
  },
]);

let fake: FakeLlm;
const provider = (over: Partial<{ timeoutMs: number; maxRetries: number }> = {}) =>
  new OpenAiCompatibleProvider({
    baseURL: fake.baseURL,
    apiKey: 'test',
    model: 'fake-model',
    timeoutMs: over.timeoutMs ?? 5_000,
    maxRetries: over.maxRetries ?? 2,
    maxConcurrency: 2,
    rpm: null,
  });

beforeAll(async () => {
  fake = await startFakeLlm();
});
afterAll(async () => {
  await fake.close();
});

describe('LLM summaries against a scripted OpenAI-compatible server', () => {
  it('a valid answer: every point verified across languages, usage counted, structured output asked for', async () => {
    fake.script([{ content: GOOD }]);
    const s = await llmSummary(provider(), doc, 'en');
    expect(s).toMatchObject({ method: 'llm', model: 'fake-model', lang: 'en', dropped: [] });
    expect(s.sections.flatMap((x) => x.points).every((p) => p.verified)).toBe(true);
    expect(s.text.split('\n')[0]).toBe('Core Viewpoint - The Ministry of Commerce put export controls on some medium and heavy rare earths [1]');
    expect(s.usage).toEqual({ prompt_tokens: 100, completion_tokens: 20, requests: 1 });
    expect(fake.requests[0]!.response_format).toMatchObject({ type: 'json_schema' });
    expect(fake.requests[0]!.messages[1]!.content).toContain('[2] 2026年第一季度');
  });

  it('malformed JSON is retried once with the error; twice malformed fails clearly', async () => {
    fake.script([{ content: 'Sure! Here is the summary: {"sections": [' }, { content: `\`\`\`json\n${GOOD}\n\`\`\`` }]);
    const s = await llmSummary(provider(), doc, 'en');
    expect(s.sections).toHaveLength(2);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.messages.at(-1)!.content).toMatch(/not valid/);
    fake.script([{ content: 'no json' }, { content: '{"sections": "nope"}' }]);
    await expect(llmSummary(provider(), doc, 'en')).rejects.toMatchObject({ code: 'llm_failed' });
  });

  it('a missing paragraph, an invented figure and the wrong language: repaired, or dropped with the reason', async () => {
    const bad = answer([
      { heading: 'Core Viewpoint', points: [{ text: 'The Ministry of Commerce put export controls on some rare earths', citations: [1] }] },
      {
        heading: 'Group 1: Output',
        points: [
          { text: 'Output was 3,900 tons', citations: [2] },
          { text: 'Capex of $1.4 billion', citations: [7] },
          { text: '资本开支14亿美元', citations: [3] },
        ],
      },
    ]);
    const repair = JSON.stringify({
      points: [
        { text: 'Output was 3,834 tons', citations: [2] },
        { text: 'Capex of $1.4 billion', citations: [3] },
        { text: 'Capex of $2 billion', citations: [3] },
      ],
    });
    fake.script([{ content: bad }, { content: repair }]);
    const s = await llmSummary(provider(), doc, 'en');
    const kept = s.sections.flatMap((x) => x.points.map((p) => p.text));
    expect(kept).toEqual(['The Ministry of Commerce put export controls on some rare earths', 'Output was 3,834 tons', 'Capex of $1.4 billion']);
    expect(s.dropped).toEqual([{ text: 'Capex of $2 billion', citations: [3], reason: 'figure "$2 billion" is not in [3]' }]);
    expect(fake.requests[1]!.messages[1]!.content).toMatch(/citation \[7\] does not exist/);
    expect(fake.requests[1]!.messages[1]!.content).toMatch(/not written in English/);
  });

  it('429 and a cut connection are retried; 500s and timeouts end in a clear failure', async () => {
    fake.script([{ status: 429, body: { error: { message: 'slow down' } } }, { cut: true }, { content: GOOD }]);
    expect((await llmSummary(provider(), doc, 'en')).sections).toHaveLength(2);
    fake.script([{ status: 500 }, { status: 500 }, { status: 500 }]);
    await expect(llmSummary(provider(), doc, 'en')).rejects.toMatchObject({ code: 'llm_failed', message: /HTTP 500/ });
    fake.script([{ content: GOOD, delayMs: 1_500 }]);
    await expect(llmSummary(provider({ timeoutMs: 300, maxRetries: 0 }), doc, 'en')).rejects.toMatchObject({
      code: 'llm_failed',
      message: /timed out/,
    });
  }, 30_000);

  it('an endpoint without structured output is asked again with instructions only', async () => {
    fake.script([{ rejectResponseFormat: true }, { content: GOOD }]);
    const p = provider();
    expect((await llmSummary(p, doc, 'en')).sections).toHaveLength(2);
    expect(fake.requests[1]!.response_format).toBeUndefined();
  });
});

describe('LLM summaries through the API', () => {
  it('serves the model summary, caches it, and reports a failing endpoint as 502 without caching', async () => {
    const { openContext } = await import('../src/services/context.js');
    const { startServer } = await import('../src/http/server.js');
    const { ingestRecords } = await import('../src/services/ingest.js');
    const { LONG_ARTICLE_ZH, tempDir } = await import('./helpers/fixtures.js');
    const ctx = openContext({ dataDir: tempDir('lodestone-llm-'), llm: provider({ maxRetries: 0 }) });
    await ingestRecords(ctx.store, [
      // Three more paragraphs: long enough to be summarized (summaries/short.ts); [1]-[3] keep their numbers.
      { id: 'r1', title: doc.title, paragraphs: [...doc.paragraphs.map((p) => p.text), ...LONG_ARTICLE_ZH.split('\n\n').slice(1)], source: '中信证券', lang: 'zh' },
    ]);
    const server = await startServer(ctx, { port: 0, host: '127.0.0.1' });
    try {
      const status = async () => (await (await fetch(`${server.url}/api/documents/r1/summary/status?lang=en`)).json()) as { status: string; reason: string | null };
      expect(await status()).toMatchObject({ status: 'none', reason: null });
      fake.script([{ status: 503 }]);
      const down = await fetch(`${server.url}/api/documents/r1/summary?lang=en`);
      expect(down.status).toBe(502);
      expect(((await down.json()) as { error: { code: string } }).error.code).toBe('llm_failed');
      expect(await status()).toMatchObject({ status: 'failed', reason: expect.stringMatching(/HTTP 503/) });
      fake.script([{ content: GOOD }]);
      const ok = (await (await fetch(`${server.url}/api/documents/r1/summary?lang=en`)).json()) as { method: string; model: string };
      expect(ok).toMatchObject({ method: 'llm', model: 'fake-model' });
      expect(await status()).toMatchObject({ status: 'done' });
      fake.script([]); // a second request is answered from the cache: the model is not asked
      expect((await fetch(`${server.url}/api/documents/r1/summary?lang=en`)).status).toBe(200);
      expect(fake.requests).toHaveLength(0);
      expect((await fetch(`${server.url}/api/documents/r1/summary?lang=fr`)).status).toBe(400);
      // Search results now show the model's summary (cached in the document's language, zh).
      fake.script([{ content: GOOD.replace('The Ministry of Commerce put', '商务部对') }]);
      await fetch(`${server.url}/api/documents/r1/summary`);
      const hits = ((await (await fetch(`${server.url}/api/search?q=${encodeURIComponent('稀土')}`)).json()) as { hits: { summary: { method: string } | null }[] }).hits;
      expect(hits[0]!.summary?.method).toBe('llm');
    } finally {
      await server.close();
      await ctx.store.close();
    }
  });
});
