/**
 * The product on PostgreSQL, as a team runs it: two servers on one database, concurrent
 * writers of the same story, an ingest killed in the middle, a migration interrupted.
 * Each test gets a database of its own; without PostgreSQL they skip with the reason
 * (CI insists they run).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeDocument } from '../src/analysis/analyzer.js';
import { startServer } from '../src/http/server.js';
import { openContext } from '../src/services/context.js';
import { migrateStore } from '../src/services/migrate.js';
import { generatedCorpus } from '../src/store/contract/cross.js';
import { doc, T0 } from '../src/store/contract/suite.js';
import type { DocumentStore } from '../src/store/ports.js';
import { PgStore } from '../src/store/postgres/store.js';
import { createTestDatabase, pgUnavailable } from '../src/store/postgres/testing.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { parseQuery } from '../src/search/query/parse.js';
import { runCli, spawnCli } from './helpers/cli.js';
import { tempDir } from './helpers/fixtures.js';

const unavailable = await pgUnavailable();
if (unavailable && process.env.CI) throw new Error(`CI requires PostgreSQL: ${unavailable}`);
const d = unavailable ? describe.skip : describe;

const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const drop of drops) await drop().catch(() => {});
});

async function database(): Promise<string> {
  const db = await createTestDatabase();
  drops.push(db.drop);
  return db.url;
}

/** Everything a reader can compare between two stores: counts, clusters by public ids, search answers. */
async function picture(s: DocumentStore, queries: string[]) {
  const stats = await s.stats();
  const clusters = (await s.clusters(2)).map((c) => c.members.map((m) => m.id).join(' ')).sort();
  const answers: unknown[] = [];
  for (const q of queries) {
    const r = await s.search({ query: parseQuery(q), filters: {}, sort: 'relevance', collapse: true, limit: 10, offset: 0, facets: true });
    const docs = await s.getManyBySeq(r.hits.map((h) => h.seq));
    answers.push({ q, total: r.total, hits: r.hits.map((h) => [docs.get(h.seq)!.id, Math.round(h.score * 1e6), h.collapsed]), facets: r.facets });
  }
  return { documents: stats.documents, clusters: stats.clusters, clustered: stats.clusteredDocuments, members: clusters, answers };
}

const QUERIES = ['稀土', '锂', 'rare earth', '"export controls"', '出口 -管制', 'title:央行 OR 降准', 'copper OR lithium'];

d(`the product on PostgreSQL${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it('two servers on one database answer every request identically', async () => {
    const url = await database();
    const a = openContext({ dataDir: tempDir(), databaseUrl: url });
    const b = openContext({ dataDir: tempDir(), databaseUrl: url });
    const sa = await startServer(a, { port: 0, host: '127.0.0.1' });
    const sb = await startServer(b, { port: 0, host: '127.0.0.1' });
    try {
      const records = generatedCorpus(120, 21).map((x) => ({
        id: x.externalId,
        title: x.title,
        body: x.paragraphs.map((p) => p.text).join('\n'),
        source: x.source,
        published_at: x.publishedAt === null ? null : new Date(x.publishedAt).toISOString(),
      }));
      // Written through one server; read through both.
      const posted = await fetch(`${sa.url}/api/documents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(records) });
      expect(posted.status).toBe(200);
      const created = await fetch(`${sb.url}/api/workflows`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'metals', query: '稀土 OR 锂', schedule: null }),
      });
      expect(created.status).toBeLessThan(300);
      const paths = [
        '/api/search?q=%E7%A8%80%E5%9C%9F',
        '/api/search?q=rare%20earth&sort=newest',
        '/api/search?q=%E5%87%BA%E5%8F%A3%20-%E7%AE%A1%E5%88%B6&explain=1',
        '/api/search?q=&source=wire&limit=5',
        '/api/search/labels?q=%E7%A8%80%E5%9C%9F',
        '/api/clusters',
        '/api/sources',
        '/api/workflows',
        `/api/documents/${records[3]!.id}`,
      ];
      for (const p of paths) {
        const [x, y] = await Promise.all([fetch(sa.url + p), fetch(sb.url + p)]);
        expect(y.status, p).toBe(x.status);
        const strip = (j: unknown) => JSON.parse(JSON.stringify(j, (k, v) => (k === 'took_ms' ? undefined : v)));
        expect(strip(await y.json()), p).toEqual(strip(await x.json()));
      }
      const stats = (await (await fetch(`${sb.url}/api/stats`)).json()) as { documents: number; backend: { name: string } };
      expect(stats).toMatchObject({ documents: 120, backend: { name: 'postgres' } });
    } finally {
      await sa.close();
      await sb.close();
      await a.store.close();
      await b.store.close();
    }
  }, 60_000);

  it('two writers storing copies of the same stories at the same moment end with one cluster per story', async () => {
    const url = await database();
    const [x, y] = [await PgStore.open(url).opened(), await PgStore.open(url).opened()];
    try {
      const story = (i: number) => `第${i}号公告：北方稀土${i}月${i}日公告称，公司将上调镨钕氧化物挂牌价${i}%，并扩建高性能钕铁硼磁体产线，预计新增产能${i * 100}吨。`;
      const copies = (source: string) => Array.from({ length: 40 }, (_, i) => analyzeDocument(doc(`${source}-${i}`, `稀土公告${i}`, story(i), { source, publishedAt: T0 + i * 60_000 })));
      // Each writer stores its own outlet's copy of all forty stories, in batches, interleaved.
      const write = async (s: PgStore, docs: ReturnType<typeof copies>) => {
        for (let i = 0; i < docs.length; i += 5) await s.upsert(docs.slice(i, i + 5));
      };
      await Promise.all([write(x, copies('wire')), write(y, copies('desk'))]);
      const clusters = await x.clusters(2);
      expect(clusters).toHaveLength(40);
      for (const c of clusters) expect(c.members.map((m) => m.source).sort()).toEqual(['desk', 'wire']);
      expect((await x.stats()).clusteredDocuments).toBe(80);
    } finally {
      await x.close();
      await y.close();
    }
  }, 60_000);

  it('an ingest killed in the middle leaves a consistent database; the same command completes it without duplicates', async () => {
    const url = await database();
    const dir = tempDir();
    const file = join(dir, 'feed.ndjson');
    const corpus = generatedCorpus(3000, 33);
    writeFileSync(
      file,
      corpus.map((x) => JSON.stringify({ id: x.externalId, title: x.title, body: x.paragraphs.map((p) => p.text).join('\n'), source: x.source })).join('\n'),
    );
    const env = { LODESTONE_DATABASE_URL: url };
    const child = spawnCli(['ingest', file, '--data', dir], env);
    const probe = await PgStore.open(url).opened();
    try {
      // Kill it once some batches have committed.
      for (let i = 0; i < 600; i++) {
        await new Promise((r) => setTimeout(r, 50));
        if ((await probe.stats()).documents > 0) break;
      }
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
      const partial = await probe.stats();
      expect(partial.documents).toBeGreaterThan(0);
      const again = await runCli(['ingest', file, '--data', dir, '--json'], env);
      expect(again.code, again.stderr).toBe(0);
      const s = await probe.stats();
      expect(s.documents).toBe(3000);
      const keys = await probe.pool.query('SELECT count(DISTINCT key)::int AS n, count(*)::int AS m FROM documents');
      expect(keys.rows[0]).toEqual({ n: 3000, m: 3000 });
      // Every cluster's recorded size is its number of members.
      const bad = await probe.pool.query(
        'SELECT c.id FROM clusters c WHERE c.size <> (SELECT count(*) FROM documents d WHERE d.cluster_id = c.id) OR c.size < 2',
      );
      expect(bad.rows).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      await probe.close();
    }
  }, 120_000);

  it('the glossary lives in the database (as the dictionary does): a pair added on one machine is used by every process', async () => {
    const url = await database();
    const env = { LODESTONE_DATABASE_URL: url };
    const [a, b] = [tempDir(), tempDir()];
    const ctx = openContext({ dataDir: tempDir(), databaseUrl: url });
    const server = await startServer(ctx, { port: 0, host: '127.0.0.1' });
    try {
      const posted = await fetch(`${server.url}/api/documents`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([{ id: 'w1', title: '奇异部件订单', body: '奇异部件订单大增。' }]),
      });
      expect(posted.status).toBe(200);
      const added = await runCli(['glossary', 'add', 'quux widget', '奇异部件', '--data', a], env);
      expect(added.code, added.stderr).toBe(0);
      // Another machine's CLI (its own data directory) translates with it.
      const found = await runCli(['search', 'quux widget', '--data', b, '--json'], env);
      expect(found.code, found.stderr).toBe(0);
      expect(JSON.parse(found.stdout)).toMatchObject({ total: 1, hits: [{ id: 'w1' }] });
      // A running server picks it up within its polling interval.
      let total = 0;
      for (let i = 0; i < 40 && total === 0; i++) {
        await new Promise((r) => setTimeout(r, 250));
        total = ((await (await fetch(`${server.url}/api/search?q=quux%20widget`)).json()) as { total: number }).total;
      }
      expect(total).toBe(1);
      const listed = await runCli(['glossary', 'list', '--data', b, '--json'], env);
      expect(JSON.parse(listed.stdout).pairs).toEqual([expect.objectContaining({ en: 'quux widget' })]);
    } finally {
      await server.close();
      await ctx.store.close();
    }
  }, 60_000);

  it('migrate, interrupted and run again, ends with identical counts, clusters and search results on both sides', async () => {
    const url = await database();
    const src = SqliteStore.open(tempDir());
    const corpus = generatedCorpus(400, 41);
    for (let i = 0; i < corpus.length; i += 100) await src.upsert(corpus.slice(i, i + 100).map((x) => analyzeDocument(x)));
    const wf = await src.workflows.create(
      { name: 'metals', query: '稀土', filters: {}, lang: null, schedule: null, tz: 'UTC', summarize: false, brief: false, webhook: null, maxItems: 50, refreshFeeds: false, firstRunDays: 0, translate: true },
      0,
      T0,
    );
    const begun = await src.workflows.beginRun(wf, { trigger: 'manual', scheduledFor: null, owner: 'test', now: T0, abandoned: () => false });
    if (!('run' in begun)) throw new Error('no run');
    await src.workflows.finishRun(begun.run.id, 'done', null, null, T0 + 1, []);
    await src.putSummary({ contentHash: 'h', template: 't', model: 'extractive', lang: 'en' }, '{}');
    const dst = PgStore.open(url);
    try {
      const first = await migrateStore(src, dst, { batch: 50, stopAfter: 150 });
      expect(first.documents.copied).toBe(150);
      const second = await migrateStore(src, dst, { batch: 50 });
      expect(second.documents).toMatchObject({ copied: 250, resumedAfter: expect.any(Number) });
      expect(second.documents.resumedAfter).toBeGreaterThan(0);
      expect(await picture(dst, QUERIES)).toEqual(await picture(src, QUERIES));
      // The workflow's done run covers the same documents: its next run starts after the last one copied.
      const run = await dst.workflows.lastDone((await dst.workflows.get('metals'))!.id);
      expect(run!.toDoc).toBe(await dst.workflows.maxDocId());
      expect(await dst.getSummary({ contentHash: 'h', template: 't', model: 'extractive', lang: 'en' })).toBe('{}');
      // A third run copies nothing and changes nothing.
      const third = await migrateStore(src, dst);
      expect(third.documents.copied).toBe(0);
      expect(Object.values(third.tables).every((t) => t.copied === 0)).toBe(true);
    } finally {
      await src.close();
      await dst.close();
    }
  }, 120_000);
});
