/**
 * npm run bench -- --backend postgres
 *
 * The PostgreSQL backend on the generated corpus (LODESTONE_BENCH_DOCS, default 100,000),
 * in one run beside the two things a user compares it with:
 *  - the SQLite engine on the same corpus (its store in bench/out/generated-N, reused when
 *    LODESTONE_BENCH_REUSE=1 and present), and
 *  - plain PostgreSQL full-text search: jieba-segmented text in a `tsvector` (simple
 *    configuration) under GIN, `ts_rank` order or newest first, top 10 plus the exact count.
 * Each gets the same query classes (bench/latency.ts; the baseline the same query strings,
 * segmented by jieba). Ingest through the built CLI with LODESTONE_DATABASE_URL set, timed by
 * its own report; database size from pg_database_size.
 *
 * The server is LODESTONE_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres);
 * the database `lodestone_bench_N` is created (or reused with LODESTONE_BENCH_REUSE=1).
 * LODESTONE_BENCH_PG_ONLY=1 runs the PostgreSQL part alone (a long run at 1,000,000
 * documents; its report says that it has no ratios).
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Jieba } from '@node-rs/jieba';
import pg from 'pg';
import { PgStore } from '../src/store/postgres/store.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { dirSize, mb, outDir, percentile, ROOT } from './common.js';
import { generateCorpus, TOPIC } from './generate.js';
import { classes, GENERATED_MEDIUM, GENERATED_PHRASES, latency, type QueryClass, sqliteSpan } from './latency.js';

const CLI = join(ROOT, 'bin', 'lodestone.js');
const ADMIN = process.env.LODESTONE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REUSE = process.env.LODESTONE_BENCH_REUSE === '1';

function urlOf(db: string): string {
  const u = new URL(ADMIN);
  u.pathname = `/${db}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

function ingest(files: string[], env: Record<string, string>, dataDir: string): { stored: number; secs: number } {
  const r = spawnSync(process.execPath, [CLI, 'ingest', ...files, '--data', dataDir, '--json'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, ...env },
  });
  if (r.status !== 0 && r.status !== 1) throw new Error(`lodestone ingest failed (${r.status}): ${r.stderr}`);
  const report = JSON.parse(r.stdout) as { inserted: number; updated: number; unchanged: number; took_ms: number };
  return { stored: report.inserted + report.updated + report.unchanged, secs: report.took_ms / 1000 };
}

function jieba(): Jieba {
  const { dict } = createRequire(import.meta.url)('@node-rs/jieba/dict.js') as { dict: Uint8Array };
  return Jieba.withDict(dict);
}
const words = (j: Jieba, s: string) => j.cutForSearch(s, true).filter((w) => /[\p{L}\p{N}]/u.test(w));

/** The ts_rank baseline's table, in the same database: built once (reused when present). */
async function buildBaseline(url: string, file: string, say: (s?: string) => void): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const exists = (await c.query("SELECT to_regclass('baseline_docs') IS NOT NULL AS e")).rows[0].e as boolean;
    if (exists) return;
    const t = performance.now();
    await c.query('CREATE TABLE baseline_docs (id bigserial PRIMARY KEY, published_at bigint, tsv tsvector NOT NULL)');
    const j = jieba();
    let rows: { p: number | null; t: string }[] = [];
    const flush = async () => {
      if (rows.length === 0) return;
      await c.query(
        "INSERT INTO baseline_docs (published_at, tsv) SELECT p, setweight(to_tsvector('simple', t), 'A') FROM unnest($1::bigint[], $2::text[]) AS x(p, t)",
        [rows.map((r) => r.p), rows.map((r) => r.t)],
      );
      rows = [];
    };
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as { title?: string; body?: string; published_at?: string };
      const p = r.published_at ? Date.parse(r.published_at) : Number.NaN;
      rows.push({ p: Number.isNaN(p) ? null : p, t: words(j, `${r.title ?? ''} ${r.body ?? ''}`).join(' ') });
      if (rows.length >= 1000) await flush();
    }
    await flush();
    await c.query("SET maintenance_work_mem = '1GB'");
    await c.query('CREATE INDEX baseline_docs_tsv ON baseline_docs USING gin (tsv)');
    await c.query('CREATE INDEX baseline_docs_published ON baseline_docs (published_at)');
    await c.query('VACUUM ANALYZE baseline_docs');
    say(`Baseline table (jieba + to_tsvector('simple') + GIN) built in ${((performance.now() - t) / 1000).toFixed(0)} s.`);
    say('');
  } finally {
    await c.end();
  }
}

/** The baseline answering a class's queries: the same strings segmented by jieba, all words required. */
async function baselineLatency(url: string, cls: QueryClass[], say: (s?: string) => void): Promise<Map<string, number>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const j = jieba();
  const p50s = new Map<string, number>();
  say('### plain PostgreSQL baseline: query latency (jieba words in a tsvector, GIN, `ts_rank` or newest, top-10, exact count)');
  say('');
  say('| class | p50 ms | p95 ms | p99 ms |');
  say('| --- | --- | --- | --- |');
  try {
    for (const k of cls) {
      const times: number[] = [];
      for (let round = 0; round < 2; round++) {
        for (const p of k.params) {
          const ws = words(j, p.q.replace(/"/g, ''));
          const q = ws.length === 0 ? "''" : ws.map((w) => `'${w.replace(/'/g, "''")}'`).join(' & ');
          const date = p.from ? ` AND published_at >= ${Date.parse(p.from)} AND published_at < ${Date.parse(p.to ?? p.from) + 86400_000}` : '';
          const order = p.sort === 'newest' ? 'published_at DESC NULLS LAST' : `ts_rank(tsv, '${q.replace(/'/g, "''")}'::tsquery) DESC`;
          const t = performance.now();
          await c.query(`SELECT id FROM baseline_docs WHERE tsv @@ $1::tsquery${date} ORDER BY ${order} LIMIT 10`, [q]);
          await c.query(`SELECT count(*) FROM baseline_docs WHERE tsv @@ $1::tsquery${date}`, [q]);
          times.push(performance.now() - t);
        }
      }
      times.sort((a, b) => a - b);
      p50s.set(k.name, percentile(times, 0.5));
      say(`| ${k.name} | ${percentile(times, 0.5).toFixed(1)} | ${percentile(times, 0.95).toFixed(1)} | ${percentile(times, 0.99).toFixed(1)} |`);
    }
  } finally {
    await c.end();
  }
  say('');
  return p50s;
}

export async function postgresBench(say: (s?: string) => void): Promise<void> {
  const n = Number(process.env.LODESTONE_BENCH_DOCS ?? 100_000);
  const src = outDir('generated-src');
  const file = join(src, `docs-${n}.ndjson`);
  if (!existsSync(file)) await generateCorpus(file, n);
  const name = `lodestone_bench_${n}`;
  const url = urlOf(name);
  const present = await admin(async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rows.length > 0);
  if (!(REUSE && present)) {
    await admin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.query(`CREATE DATABASE ${name}`);
    });
    const dataDir = outDir(`pg-data-${n}`);
    const { stored, secs } = ingest([file], { LODESTONE_DATABASE_URL: url }, dataDir);
    const size = await admin(async (c) => Number((await c.query('SELECT pg_database_size($1) AS s', [name])).rows[0].s));
    say(`### PostgreSQL, generated ${n.toLocaleString('en')} docs: ingest (built CLI)`);
    say('');
    say('| documents | seconds | docs/s | database size |');
    say('| --- | --- | --- | --- |');
    say(`| ${stored.toLocaleString('en')} | ${secs.toFixed(1)} | ${Math.round(stored / secs).toLocaleString('en')} | ${mb(size)} |`);
    say('');
  } else {
    say(`### PostgreSQL, generated ${n.toLocaleString('en')} docs: reusing ${name}`);
    say('');
  }
  const pgStore = await PgStore.open(url, { parallel: true }).opened();
  // As docs/postgres.md advises after a bulk load: merges left dead blocks behind.
  await pgStore.pool.query('VACUUM ANALYZE seg_blocks, documents');
  const span = (await pgStore.pool.query('SELECT min(published_at) AS lo, max(published_at) AS hi FROM documents')).rows[0] as { lo: number; hi: number };
  const cls = classes(span, TOPIC[0]!, GENERATED_MEDIUM, GENERATED_PHRASES, '财联社');
  await latency(say, pgStore, cls, `PostgreSQL, generated ${n.toLocaleString('en')} docs`);
  await pgStore.close();
  if (process.env.LODESTONE_BENCH_PG_ONLY === '1') {
    say('(LODESTONE_BENCH_PG_ONLY=1: the SQLite engine and the plain PostgreSQL baseline were not run, so no ratios in this run.)');
    return;
  }

  // The SQLite engine on the same corpus, in the same run.
  const sqDir = outDir(`generated-${n}`);
  if (!(REUSE && existsSync(join(sqDir, 'lodestone.db')))) {
    rmSync(sqDir, { recursive: true, force: true });
    const { stored, secs } = ingest([file], {}, sqDir);
    say(`### SQLite, generated ${n.toLocaleString('en')} docs: ingest (built CLI): ${stored.toLocaleString('en')} in ${secs.toFixed(1)} s (${Math.round(stored / secs)} docs/s), ${mb(dirSize(sqDir))}`);
    say('');
  }
  const sq = SqliteStore.open(sqDir, { parallel: true });
  await latency(say, sq, classes(sqliteSpan(sq), TOPIC[0]!, GENERATED_MEDIUM, GENERATED_PHRASES, '财联社'), `SQLite engine, generated ${n.toLocaleString('en')} docs`, true);
  await sq.close();

  await buildBaseline(url, file, say);
  await baselineLatency(url, cls, say);
}
