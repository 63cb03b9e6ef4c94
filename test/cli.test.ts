import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from './helpers/cli.js';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { autogroupsOn } from '../src/core/threads.js';
import { join } from 'node:path';
import { LONG_ARTICLE_ZH, tempDir, writeFixtureFolder } from './helpers/fixtures.js';

let data = '';

beforeAll(async () => {
  const dir = await writeFixtureFolder(tempDir());
  data = tempDir();
  const r = await runCli(['ingest', dir, '--data', data, '--json']);
  expect(r.code).toBe(1); // some items failed, and the exit code says so
  const report = JSON.parse(r.stdout);
  expect(report).toMatchObject({ inserted: 14, failed: 4 });
}, 60_000);

describe('lodestone CLI contract', () => {
  it('summarize ID --json prints the summary contract; --all summarizes every document', async () => {
    const one = await runCli(['summarize', 'n1', '--data', data, '--json']);
    expect(one.code).toBe(0);
    // A two-sentence flash needs no summary: its text is the answer (summaries/short.ts).
    expect(JSON.parse(one.stdout)).toMatchObject({ document_id: 'n1', method: 'none', model: null, sections: [], text: expect.stringMatching(/^北方稀土公告/) });
    const all = await runCli(['summarize', '--all', '--data', data, '--json']);
    expect(all.code).toBe(0);
    const lines = all.stdout.trim().split('\n').map((l) => JSON.parse(l) as { document_id: string });
    expect(lines).toHaveLength(14);
    expect(all.stderr).toMatch(/summarized 14 documents/);
    const { SqliteStore } = await import('../src/store/sqlite/store.js');
    const store = SqliteStore.open(data);
    expect(store.db.prepare('SELECT scope, model, documents, failed FROM summary_runs').all()).toEqual([
      { scope: 'all', model: 'extractive', documents: 14, failed: 0 },
    ]);
    await store.close();
  });

  it("summarize: a summary's labels follow --lang, else the document's language; --json keeps the canonical labels", async () => {
    const dir = tempDir();
    const store = tempDir();
    writeFileSync(join(dir, 'long.ndjson'), `${JSON.stringify({ id: 'long1', title: '中重稀土出口管制落地', body: LONG_ARTICLE_ZH, source: '示例' })}\n`);
    expect((await runCli(['ingest', dir, '--data', store])).code).toBe(0);
    const zh = await runCli(['summarize', 'long1', '--data', store]);
    expect(zh.stdout).toMatch(/^核心观点 - /);
    expect(zh.stdout).not.toMatch(/Core Viewpoint|Group \d/);
    const en = await runCli(['summarize', 'long1', '--lang', 'en', '--data', store]);
    expect(en.stdout).toMatch(/^Core Viewpoint - /);
    const json = JSON.parse((await runCli(['summarize', 'long1', '--lang', 'zh', '--data', store, '--json'])).stdout);
    expect(json.sections[0].heading).toBe('Core Viewpoint');
  });

  it('search --format csv|ndjson exports the hits; rm deletes one document', async () => {
    const dir = tempDir();
    const store = tempDir();
    const recs = [
      { id: 'c1', title: '稀土价格上涨', body: '稀土价格上涨，镨钕氧化物报价走高。', source: '示例一', published_at: '2025-07-01T10:00:00+08:00' },
      { id: 'c2', title: '稀土出口数据', body: '稀土出口量同比下降，海外磁材企业库存偏紧。', source: '示例二', published_at: '2025-07-02T10:00:00+08:00' },
    ];
    writeFileSync(join(dir, 'r.ndjson'), `${recs.map((r) => JSON.stringify(r)).join('\n')}\n`);
    expect((await runCli(['ingest', dir, '--data', store])).code).toBe(0);
    const csv = await runCli(['search', '稀土', '--sort', 'newest', '--format', 'csv', '--data', store]);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.replace(/^\uFEFF/, '').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id,title,source,published_at,/);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['c2', 'c1']);
    const nd = await runCli(['search', '稀土', '--format', 'ndjson', '--limit', '1', '--data', store]);
    expect(nd.stdout.trim().split('\n')).toHaveLength(1);
    expect((await runCli(['search', '稀土', '--format', 'xml', '--data', store])).code).toBe(2);
    const rm = await runCli(['rm', 'c1', '--data', store, '--json']);
    expect(rm.code).toBe(0);
    expect(JSON.parse(rm.stdout)).toMatchObject({ deleted: { id: 'c1', source: '示例一' } });
    expect((await runCli(['show', 'c1', '--data', store])).code).toBe(2);
  });

  it('a bad configuration stops every command at start; config prints the effective one, secrets masked', async () => {
    const bad = await runCli(['stats', '--data', data], { LODESTONE_TZ: 'Mars/Base' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad configuration: LODESTONE_TZ must be an IANA time zone/);
    const shown = await runCli(['config', '--json'], { LODESTONE_LLM_API_KEY: 'sk-very-secret', LODESTONE_TZ: 'UTC' });
    expect(shown.code).toBe(0);
    const c = JSON.parse(shown.stdout) as Record<string, string>;
    expect(c.LODESTONE_TZ).toBe('UTC');
    expect(c.LODESTONE_LLM_API_KEY).not.toContain('secret');
  });

  it.runIf(autogroupsOn())('ingest runs in a session of its own with its autogroup lowered, and dies with its parent', async () => {
    const dir = tempDir();
    const lines = Array.from({ length: 80_000 }, (_, i) => JSON.stringify({ id: `s${i}`, title: `稀土消息 ${i}`, body: `第${i}条：稀土价格与出口数据的独立描述，编号${i * 7919}。` }));
    writeFileSync(join(dir, 'big.ndjson'), `${lines.join('\n')}\n`);
    const parent = spawnCli(['ingest', dir, '--data', tempDir()]);
    const childOf = (pid: number) =>
      readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .find((d) => {
          try {
            const st = readFileSync(`/proc/${d}/stat`, 'utf8');
            return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) === pid;
          } catch {
            return false;
          }
        });
    let child: string | undefined;
    for (let i = 0; i < 100 && !child; i++) {
      await new Promise((r) => setTimeout(r, 100));
      child = childOf(parent.pid!);
    }
    expect(child).toBeDefined();
    const st = readFileSync(`/proc/${child}/stat`, 'utf8');
    expect(Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[3])).toBe(Number(child)); // session leader
    // It lowers its group as it starts (under tsx, on a busy machine, that can take seconds).
    const group = () => readFileSync(`/proc/${child}/autogroup`, 'utf8');
    for (let i = 0; i < 100 && !/nice 19/.test(group()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(group()).toMatch(/nice 19/);
    parent.kill('SIGKILL');
    for (let i = 0; i < 50 && existsSync(`/proc/${child}`); i++) await new Promise((r) => setTimeout(r, 100));
    const state = existsSync(`/proc/${child}/stat`) ? readFileSync(`/proc/${child}/stat`, 'utf8').split(') ')[1]?.[0] : 'gone';
    expect(['gone', 'Z']).toContain(state);
  });

  it('verify --json checks a text\'s citations and exits 1 when a point fails', async () => {
    const shown = JSON.parse((await runCli(['show', 'n1', '--data', data, '--json'])).stdout) as { paragraphs: { text: string }[] };
    const ok = await runCli(['verify', 'n1', '--text', `${shown.paragraphs[0]!.text} [1]`, '--data', data, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ points: [{ citations: [1], verified: true, problems: [] }] });
    const bad = await runCli(['verify', 'n1', '--text', '出口量为987654吨 [1] 另见 [99]', '--data', data, '--json']);
    expect(bad.code).toBe(1);
    const points = JSON.parse(bad.stdout).points as { verified: boolean; problems: string[] }[];
    expect(points.map((p) => p.verified)).toEqual([false, false]);
    expect(points[0]!.problems[0]).toMatch(/987654吨/);
  });

  it('search --json prints the documented shape, newest first', async () => {
    const r = await runCli(['search', '稀土', '--sort', 'newest', '--data', data, '--json']);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res).toMatchObject({ total: expect.any(Number), took_ms: expect.any(Number), facets: expect.any(Object) });
    expect(res.hits.length).toBeGreaterThan(2);
    for (const h of res.hits) {
      expect(Object.keys(h)).toEqual(expect.arrayContaining(['id', 'title', 'source', 'published_at', 'type', 'lang', 'score', 'snippet', 'cluster']));
    }
    const dated = res.hits.map((h: { published_at: string | null }) => h.published_at).filter(Boolean);
    expect([...dated].sort().reverse()).toEqual(dated);
    const clustered = res.hits.find((h: { id: string }) => h.id === 'n1' || h.id === 'n2');
    expect(clustered.cluster).toMatchObject({ id: expect.any(Number), size: 2 });
  });

  it('--no-collapse shows every member; filters and date ranges apply', async () => {
    const collapsed = JSON.parse((await runCli(['search', '挂牌价', '--data', data, '--json'])).stdout);
    const all = JSON.parse((await runCli(['search', '挂牌价', '--no-collapse', '--data', data, '--json'])).stdout);
    expect(collapsed.total).toBe(1);
    expect(all.total).toBe(2);
    const ranged = JSON.parse((await runCli(['search', '', '--from', '2025-07-05', '--to', '2025-07-06', '--data', data, '--json'])).stdout);
    expect(ranged.hits.map((h: { id: string }) => h.id).sort()).toEqual(['n3', 'n4']);
    const typed = JSON.parse((await runCli(['search', '农业', '--type', 'announcement', '--data', data, '--json'])).stdout);
    expect(typed.hits.map((h: { id: string }) => h.id)).toEqual(['n3']);
  });

  it('show and clusters print documents and duplicate groups', async () => {
    const show = JSON.parse((await runCli(['show', 'n1', '--data', data, '--json'])).stdout);
    expect(show.paragraphs[0]).toEqual({ n: 1, text: '北方稀土公告，上调镨钕氧化物挂牌价至每吨56万元。' });
    expect(show.tickers).toContain('600111.SH');
    expect(show.metadata.tags).toEqual(['稀土']);
    const lines = (await runCli(['clusters', '--data', data, '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([{ cluster: expect.any(Number), canonical: 'n1', members: ['n1', 'n2'] }]);
    const text = await runCli(['show', 'n1', '--data', data]);
    expect(text.stdout).toContain('[1] 北方稀土公告');
    expect(text.stdout).toContain('Also published by');
  });

  it('reports syntax errors and unknown ids clearly, with exit code 2', async () => {
    const bad = await runCli(['search', '(稀土', '--data', data]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Missing "\)"/);
    const missing = await runCli(['show', 'nope', '--data', data]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/No document with id "nope"/);
  });

  it('dict add takes effect for queries without reindexing', async () => {
    const before = JSON.parse((await runCli(['search', '镨钕氧化物', '--data', data, '--json'])).stdout);
    const add = await runCli(['dict', 'add', '镨钕氧化物', '--data', data]);
    expect(add.code).toBe(0);
    const after = JSON.parse((await runCli(['search', '镨钕氧化物', '--data', data, '--json'])).stdout);
    expect(after.total).toBe(before.total);
    expect(after.total).toBeGreaterThan(0);
  });

  it('workflow add / run --json / list --json / show / rm follow the contract', async () => {
    const add = await runCli(['workflow', 'add', '稀土独立', '--query', '稀土', '--schedule', '30 8 * * 1-5', '--tz', 'Asia/Shanghai', '--summarize', '--first-run-days', '3650', '--data', data]);
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/next run 20\d\d-\d\d-\d\dT00:30:00/);
    const bad = await runCli(['workflow', 'add', 'bad', '--query', '稀土', '--schedule', 'weekdays', '--data', data]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid cron expression "weekdays"/);
    const run = await runCli(['workflow', 'run', '稀土独立', '--json', '--data', data]);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { run_id: number; outcome: string; items: { id: string; title: string; source: string; published_at: string | null; cluster: unknown; summary: unknown }[] };
    expect(out).toMatchObject({ run_id: expect.any(Number), outcome: 'done' });
    expect(out.items.length).toBeGreaterThan(0);
    for (const it of out.items) {
      expect(it).toMatchObject({ id: expect.any(String), title: expect.any(String), source: expect.any(String) });
      expect(it).toHaveProperty('published_at');
      expect(it).toHaveProperty('cluster');
      expect(it.summary).toMatchObject({ document_id: it.id, sections: expect.any(Array) });
    }
    // n1 and n2 are one story: one item, the other outlet under "also in".
    expect(out.items.filter((i) => i.id === 'n1' || i.id === 'n2')).toHaveLength(1);
    const again = JSON.parse((await runCli(['workflow', 'run', '稀土独立', '--json', '--data', data])).stdout);
    expect(again).toMatchObject({ outcome: 'done', items: [] });
    const list = (await runCli(['workflow', 'list', '--json', '--data', data])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ name: '稀土独立', schedule: '30 8 * * 1-5', tz: 'Asia/Shanghai', last_run: { status: 'done', items: 0 } });
    const md = await runCli(['workflow', 'digest', '稀土独立', String(out.run_id), '--data', data]);
    expect(md.stdout).toMatch(/^# 稀土独立/);
    expect((await runCli(['workflow', 'rm', '稀土独立', '--data', data])).code).toBe(0);
    const gone = await runCli(['workflow', 'show', '稀土独立', '--data', data]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/no workflow named/);
  }, 60_000);
});

describe('the CLI at the terminal and in pipes (issue 18, item 12)', () => {
  it('`show ID | head` stops quietly when the reader goes away', async () => {
    const { spawnCli } = await import('./helpers/cli.js');
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    // More text than a pipe holds (64 KB), so the writes are still going when the pipe closes.
    const big = tempDir();
    const file = join(big, 'long.ndjson');
    writeFileSync(file, `${JSON.stringify({ id: 'long', title: '长文', paragraphs: Array.from({ length: 3000 }, (_, i) => `第${i}段：稀土价格与出口管制的最新动态。`) })}\n`);
    await runCli(['ingest', file, '--data', big]);
    const child = spawnCli(['show', 'long', '--data', big]);
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    // Read one chunk, then close the pipe, as `head -1` does.
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    child.stdout!.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(err).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  });

  it('thousands of warnings print the first few of each kind and a count', async () => {
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const dir = tempDir();
    const file = join(dir, 'dates.ndjson');
    writeFileSync(file, Array.from({ length: 300 }, (_, i) => JSON.stringify({ id: `w${i}`, title: `标题${i}`, body: '正文', published_at: `bad ${i}` })).join('\n'));
    const r = await runCli(['ingest', file, '--data', tempDir()]);
    expect(r.code).toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('warning:'))).toHaveLength(5);
    expect(r.stderr).toMatch(/^300 warnings: invalid published_at "…"; stored without a date$/m);
    expect(r.stdout).toMatch(/300 new, 0 updated, 0 unchanged, 0 failed, 300 warnings/);
  });

  it('clusters takes --limit', async () => {
    const r = await runCli(['clusters', '--limit', '1', '--data', data, '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });
});

describe('times in one zone, named (issue 18, item 7)', () => {
  it('search and show print LODESTONE_TZ times and say which zone', async () => {
    const s = await runCli(['search', '稀土', '--sort', 'newest', '--data', data], { LODESTONE_TZ: 'Asia/Shanghai' });
    expect(s.stdout).toMatch(/times in Asia\/Shanghai/);
    expect(s.stdout).not.toMatch(/UTC/);
    // n1 was published 2025-07-02T09:30:00+08:00: 09:30 in Shanghai, 01:30 in UTC.
    const shown = await runCli(['show', 'n1', '--data', data], { LODESTONE_TZ: 'Asia/Shanghai' });
    expect(shown.stdout).toContain('2025-07-02 09:30 (Asia/Shanghai)');
    const utc = await runCli(['show', 'n1', '--data', data], { LODESTONE_TZ: 'UTC' });
    expect(utc.stdout).toContain('2025-07-02 01:30 (UTC)');
  });
});

describe('LODESTONE_ALLOW_PRIVATE (issue 18, item 14)', () => {
  it('is honoured by the CLI, which no longer passes false over it', async () => {
    const { createServer } = await import('node:http');
    const { rssFeed } = await import('./helpers/fixtures.js');
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rssFeed(1)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/feed.xml`;
    try {
      const refused = await runCli(['ingest', url, '--data', tempDir(), '--json']);
      expect(JSON.parse(refused.stdout).errors[0].reason).toMatch(/private or loopback/);
      const allowed = await runCli(['ingest', url, '--data', tempDir(), '--json'], { LODESTONE_ALLOW_PRIVATE: '1' });
      expect(JSON.parse(allowed.stdout)).toMatchObject({ inserted: 1, failed: 0 });
    } finally {
      server.close();
    }
  });
});
