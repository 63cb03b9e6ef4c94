import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/http/server.js';
import { openContext, type AppContext } from '../src/services/context.js';
import { LONG_ARTICLE_ZH, makePdf, rssFeed, tempDir } from './helpers/fixtures.js';
import { type FixtureServer, serveFixtures } from './helpers/fixture-server.js';

let ctx: AppContext;
let server: RunningServer;
let fixtures: FixtureServer;
let fixturesUrl = '';

beforeAll(async () => {
  ctx = openContext({ dataDir: tempDir(), allowPrivate: true });
  server = await startServer(ctx, { port: 0, host: '127.0.0.1' });
  fixtures = await serveFixtures((req, res) => {
    if (req.url === '/feed.xml') res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rssFeed(3));
    else if (req.url === '/hang') setTimeout(() => res.end(), 60_000);
    else res.writeHead(404).end();
  });
  fixturesUrl = fixtures.url;
});

afterAll(async () => {
  await server.close();
  await ctx.store.close();
  fixtures.close();
});

const get = async (path: string) => {
  const res = await fetch(server.url + path);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
};
const post = async (path: string, body: unknown, type = 'application/json') => {
  const res = await fetch(server.url + path, {
    method: 'POST',
    headers: { 'content-type': type },
    body: type === 'application/json' ? JSON.stringify(body) : (body as Buffer),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('HTTP API', () => {
  it('adds documents, searches them, and serves a document with paragraphs', async () => {
    expect((await get('/healthz')).body).toEqual({ ok: true, documents: 0 });
    const add = await post('/api/documents', [
      { id: 'h1', title: '稀土出口管制升级', body: '商务部宣布对部分稀土物项实施出口管制。\n涉及高性能钕铁硼磁体。', source: '示例', published_at: '2025-07-01T10:00:00+08:00' },
      { id: 'h2', title: 'Lithium', body: 'Lithium prices fell.', source: 'Wire', published_at: '2025-07-02T10:00:00Z' },
      { title: '', body: '' },
    ]);
    expect(add.status).toBe(200);
    expect(add.body).toMatchObject({ inserted: 2, failed: 1 });
    const s = await get(`/api/search?q=${encodeURIComponent('钕铁硼')}&sort=newest`);
    expect(s.status).toBe(200);
    const hits = s.body.hits as { id: string; snippet: string; highlights: [number, number][] }[];
    expect(hits.map((h) => h.id)).toEqual(['h1']);
    const [a, b] = hits[0]!.highlights[0]!;
    expect(hits[0]!.snippet.slice(a, b)).toBe('钕铁硼');
    const doc = await get('/api/documents/h1');
    expect(doc.body).toMatchObject({ id: 'h1', paragraphs: [{ n: 1 }, { n: 2, text: '涉及高性能钕铁硼磁体。' }] });
    expect((await get('/api/search?q=lithium&explain=true&translate=false')).body).toMatchObject({
      hits: [{ id: 'h2', explain: { terms: [{ query: 'lithium', df: 1 }] } }],
      translations: [],
    });
    // Both languages by default: the translation is listed, and explain says which variant counted.
    const both = (await get('/api/search?q=lithium&explain=true')).body as { translations: unknown; hits: { explain: { computed: number; index_score: number } }[] };
    expect(both.translations).toEqual([{ source: 'lithium', lang: 'en', targets: [{ text: '锂', lang: 'zh', origin: 'glossary', weight: 0.95 }], off: [], note: 'word found in the glossary', dropped: [] }]);
    expect(both.hits[0]).toMatchObject({ id: 'h2', explain: { terms: [{ query: 'lithium', concept: 'lithium', counted: true }, { query: '锂', concept: 'lithium' }] } });
    expect(both.hits[0]!.explain.computed).toBeCloseTo(both.hits[0]!.explain.index_score, 3);
    const marked = await get(`/api/documents/h1?q=${encodeURIComponent('钕铁硼')}`);
    expect(marked.body.highlights).toEqual({ title: [], paragraphs: [[], [[5, 8]]] });
  });

  it('summarizes a document in the contract shape, cached, with verified citations; a short one is read whole', async () => {
    await post('/api/documents', { id: 'h3', title: '中重稀土出口管制落地', body: LONG_ARTICLE_ZH, source: '示例', published_at: '2025-07-03T10:00:00+08:00' });
    const s = await get('/api/documents/h3/summary');
    expect(s.status).toBe(200);
    expect(Object.keys(s.body).sort()).toEqual(['document_id', 'dropped', 'lang', 'method', 'model', 'sections', 'template', 'text']);
    expect(s.body).toMatchObject({ document_id: 'h3', lang: 'zh', method: 'extractive', model: null, dropped: [] });
    const sections = s.body.sections as { heading: string; points: { citations: number[]; verified: boolean }[] }[];
    expect(sections[0]!.heading).toBe('Core Viewpoint');
    expect(sections.flatMap((x) => x.points).every((p) => p.verified && p.citations.every((c) => c >= 1 && c <= 8))).toBe(true);
    // Search results now carry it.
    const hit = (await get(`/api/search?q=${encodeURIComponent('挂牌价上调')}`)).body.hits as { summary: unknown }[];
    expect(hit[0]!.summary).toEqual(s.body);
    // Two short paragraphs need no summary: the text is the answer (issue 18, item 2).
    expect((await get('/api/documents/h1/summary')).body).toMatchObject({
      method: 'none',
      sections: [],
      text: '商务部宣布对部分稀土物项实施出口管制。\n涉及高性能钕铁硼磁体。',
    });
    const remake = await fetch(`${server.url}/api/documents/h3/summary`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(remake.status).toBe(200);
    expect((await get('/api/documents/missing/summary')).status).toBe(404);
  });

  it('verifies a text\'s citations against a document', async () => {
    const v = await post('/api/documents/h1/verify', {
      text: 'Core Viewpoint - 商务部对部分稀土物项实施出口管制 [1] - 涉及3834吨钕铁硼磁体 [2] - 另见 [7]',
    });
    expect(v.status).toBe(200);
    expect(v.body).toEqual({
      points: [
        { text: '商务部对部分稀土物项实施出口管制', citations: [1], verified: true, problems: [] },
        { text: '涉及3834吨钕铁硼磁体', citations: [2], verified: false, problems: ['figure "3834吨" is not in [2]'] },
        { text: '另见', citations: [7], verified: false, problems: ['citation [7] does not exist (the document has 2 paragraphs)'] },
      ],
    });
    expect((await post('/api/documents/h1/verify', {})).status).toBe(400);
    expect((await post('/api/documents/missing/verify', { text: 'x [1]' })).status).toBe(404);
  });

  it('answers errors as JSON with a clear message and the right status', async () => {
    expect(await get('/api/documents/missing')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    const syntax = await get(`/api/search?q=${encodeURIComponent('"稀土')}`);
    expect(syntax).toMatchObject({ status: 400, body: { error: { code: 'query_syntax' } } });
    expect(await get('/api/search?limit=1000')).toMatchObject({ status: 400 });
    expect(await get('/api/search?sort=oldest')).toMatchObject({ status: 400 });
    // Records are judged one by one (per-record errors); a body that holds no record is a 400.
    expect((await post('/api/documents', 42)).status).toBe(400);
  });

  it('accepts file uploads and feed URLs; the same upload again updates instead of duplicating', async () => {
    const pdf = makePdf([['Magnet exports rose 12%.']]);
    const up = await post('/api/files?name=magnets.pdf', pdf, 'application/octet-stream');
    expect(up.body).toMatchObject({ inserted: 1, failed: 0 });
    const again = await post('/api/files?name=magnets.pdf', pdf, 'application/octet-stream');
    expect(again.body).toMatchObject({ inserted: 0, unchanged: 1 });
    const feed = await post('/api/sources/url', { url: `${fixturesUrl}/feed.xml` });
    expect(feed.body).toMatchObject({ inserted: 3, failed: 0 });
    const bad = await post('/api/files?name=x.exe', Buffer.from('MZ'), 'application/octet-stream');
    expect(bad).toMatchObject({ status: 415, body: { error: { code: 'unsupported_format' } } });
  });

  it('an uploaded note is titled by its first line and dated when first added (issue 18, item 6)', async () => {
    const before = Date.now();
    const up = await post('/api/files?name=note.txt', Buffer.from('周会纪要：稀土板块\n\n本周讨论了稀土价格走势。\n\n下周继续跟踪出口数据。'), 'application/octet-stream');
    expect(up.body).toMatchObject({ inserted: 1 });
    const id = (up.body.documents as { id: string }[])[0]!.id;
    const doc = (await get(`/api/documents/${id}`)).body as { title: string; published_at: string; paragraphs: unknown[] };
    expect(doc.title).toBe('周会纪要：稀土板块');
    expect(doc.paragraphs).toHaveLength(2);
    expect(Date.parse(doc.published_at)).toBeGreaterThanOrEqual(before - 1000);
    // The same file again: unchanged, with its first date.
    const again = await post('/api/files?name=note.txt', Buffer.from('周会纪要：稀土板块\n\n本周讨论了稀土价格走势。\n\n下周继续跟踪出口数据。'), 'application/octet-stream');
    expect(again.body).toMatchObject({ unchanged: 1 });
    expect((await get(`/api/documents/${id}`)).body.published_at).toBe(doc.published_at);
  });

  it('serves the page with a strict Content-Security-Policy and an OpenAPI document', async () => {
    const page = await fetch(`${server.url}/search?q=稀土`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(await page.text()).not.toMatch(/<script>(?!<\/script>)/);
    const api = await get('/api/openapi.json');
    expect(api.body.openapi).toBe('3.1.0');
    expect(Object.keys(api.body.paths as object)).toEqual(expect.arrayContaining(['/api/search', '/api/documents/{id}']));
  });
});

describe('SSRF guard through the API', () => {
  it('refuses loopback URLs unless the server allows private addresses', async () => {
    const strict = openContext({ dataDir: tempDir(), allowPrivate: false });
    const s = await startServer(strict, { port: 0, host: '127.0.0.1' });
    try {
      const res = await fetch(`${s.url}/api/sources/url`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${fixturesUrl}/feed.xml` }),
      });
      // Refused before anything is fetched or recorded: a 403 that says why.
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(res.status).toBe(403);
      expect(body.error).toMatchObject({ code: 'fetch_blocked', message: expect.stringMatching(/private or loopback/) });
      expect(((await (await fetch(`${s.url}/api/sources`)).json()) as { sources: unknown[] }).sources).toEqual([]);
    } finally {
      await s.close();
      await strict.store.close();
    }
  });

  it('exports results as CSV (with a BOM, for Excel) and NDJSON, and deletes one document (issue 18, item 13)', async () => {
    await post('/api/documents', [
      { id: 'e1', title: '稀土, "引号" 与逗号', body: '稀土价格上涨，\n第二段也提到稀土。', source: '导出测试', published_at: '2025-07-03T10:00:00+08:00' },
      { id: 'e2', title: '稀土二', body: '稀土永磁需求旺盛。', source: '导出测试', published_at: '2025-07-04T10:00:00+08:00' },
    ]);
    const total = ((await get(`/api/search?q=${encodeURIComponent('稀土')}`)).body.total as number);
    const csv = await fetch(`${server.url}/api/search?q=${encodeURIComponent('稀土')}&sort=newest&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="lodestone-\d{4}-\d\d-\d\d\.csv"$/);
    const bytes = Buffer.from(await csv.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.toString('utf8').slice(1).trimEnd().split('\n');
    expect(lines[0]).toBe('id,title,source,published_at,type,lang,url,score,paragraph,snippet,also_in');
    expect(lines).toHaveLength(total + 1);
    expect(lines.some((l) => l.startsWith('e1,"稀土, ""引号"" 与逗号",导出测试,2025-07-03T02:00:00.000Z'))).toBe(true);
    const nd = await fetch(`${server.url}/api/search?q=${encodeURIComponent('稀土')}&format=ndjson&limit=1`);
    const rows = (await nd.text()).trim().split('\n').map((l) => JSON.parse(l) as { id: string; source: string });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: expect.any(String), source: expect.any(String) });
    expect((await get('/api/search?q=x&format=xml')).status).toBe(400);

    const del = await fetch(`${server.url}/api/documents/e2`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(await del.json()).toMatchObject({ deleted: { id: 'e2', title: '稀土二', source: '导出测试' } });
    expect((await get('/api/documents/e2')).status).toBe(404);
    expect((await get(`/api/search?q=${encodeURIComponent('稀土')}`)).body.total).toBe(total - 1);
    expect((await fetch(`${server.url}/api/documents/e2`, { method: 'DELETE' })).status).toBe(404);
    const cross = await fetch(`${server.url}/api/documents/e1`, { method: 'DELETE', headers: { origin: 'http://evil.example' } });
    expect(cross.status).toBe(403);
  });

  it("lists the publisher's tags and levels among a query's matches, apart from the search", async () => {
    await post('/api/documents', [
      { id: 't1', title: '标签测试一', body: '标签测试：稀土永磁。', source: '标签源', tags: ['永磁', '稀土'], level: 'A' },
      { id: 't2', title: '标签测试二', body: '标签测试：稀土价格。', source: '标签源', tags: ['稀土'], level: 'C' },
    ]);
    const r = await get(`/api/search/labels?q=${encodeURIComponent('标签测试')}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ total: 2, counted: 2, tags: [{ value: '稀土', count: 2 }, { value: '永磁', count: 1 }], levels: [{ value: 'A', count: 1 }, { value: 'C', count: 1 }] });
    expect((await get(`/api/search?q=${encodeURIComponent('标签测试 tag:永磁')}`)).body.total).toBe(1);
  });

  it('a document deleted one by one stays deleted when its feed is fetched again; storing it by hand brings it back', async () => {
    const feedUrl = `${fixturesUrl}/feed.xml`;
    const first = await post('/api/sources/url', { url: feedUrl });
    const ids = ((first.body.documents ?? []) as { id: string }[]).map((d) => d.id);
    expect(ids).toHaveLength(3);
    const del = await fetch(`${server.url}/api/documents/${encodeURIComponent(ids[1]!)}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    const again = await post('/api/sources/url', { url: feedUrl });
    expect(again.body).toMatchObject({ inserted: 0, unchanged: 2, warnings: 1 });
    expect((await get(`/api/documents/${encodeURIComponent(ids[1]!)}`)).status).toBe(404);
    // Posted records are stored by hand: a deleted one comes back and is forgotten as deleted.
    await post('/api/documents', { id: 'back1', title: '删除后恢复', body: '删除后再次手动添加的文档。', source: '手动' });
    expect((await fetch(`${server.url}/api/documents/back1`, { method: 'DELETE' })).status).toBe(200);
    expect((await ctx.store.deletedKeys(['ext:手动:back1'])).size + (await ctx.store.deletedKeys(['ext:api:back1'])).size).toBe(1);
    expect((await post('/api/documents', { id: 'back1', title: '删除后恢复', body: '删除后再次手动添加的文档。', source: '手动' })).body).toMatchObject({ inserted: 1 });
    expect((await ctx.store.deletedKeys(['ext:手动:back1', 'ext:api:back1'])).size).toBe(0);
  });
});
