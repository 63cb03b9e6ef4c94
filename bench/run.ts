/**
 * npm run bench [-- flash crud generated concurrent]   (default: all four)
 *
 * For each corpus: a fresh database, ingest through the built CLI as users run it
 * (`lodestone ingest --json`, its own timing: docs/s, and the database size), then query
 * latency per class through the search service
 * (p50/p95/p99 of top-10 with exact totals), server RSS after the query mix over HTTP, and
 * for the flash corpus the recall/precision check and duplicate statistics; `concurrent`:
 * search latency over HTTP while another process ingests into the same store, beside the
 * jieba + FTS5 baseline under the same load (bench/concurrent.ts).
 * Corpora are read from ../shared/corpora; a missing corpus is skipped with a message.
 * LODESTONE_BENCH_DOCS sets the generated corpus size (default 100000).
 *
 * Why the built CLI: the product runs compiled JavaScript; under tsx every worker thread
 * compiles our TypeScript as it starts, which cost the flash ingest ~5% (in-process, the same
 * ingest: 10.48-10.74 s from src under tsx, 9.80-10.18 s from dist). `npm run bench` builds
 * dist first; LODESTONE_BENCH_INPROCESS=1 times the ingest in this process from src instead.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { searchDocuments, type SearchParams } from '../src/services/search.js';
import { ingestTargets } from '../src/services/ingest.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { corpusFiles, cpuProbe, dirSize, machine, mb, OUT, outDir, percentile, ROOT, skip } from './common.js';
import { generateCorpus, TOPIC } from './generate.js';
import { CJK_TERMS, measureRecall } from './recall.js';
import { concurrentWriter } from './concurrent.js';

const lines: string[] = [];
const say = (s = '') => {
  console.log(s);
  lines.push(s);
};

/**
 * As `lodestone serve` does: long scans split with a second thread when there is a second
 * core. LODESTONE_BENCH_THREADS=1 measures one thread.
 */
const SERVER_THREADS = availableParallelism() > 1 && process.env.LODESTONE_BENCH_THREADS !== '1';

const CLI = join(ROOT, 'bin', 'lodestone.js');
const THROUGH_CLI = process.env.LODESTONE_BENCH_INPROCESS !== '1' && existsSync(join(ROOT, 'dist', 'cli', 'entry.js'));

interface IngestFigures {
  stored: number;
  failed: number;
  secs: number;
}

/** `lodestone ingest --json` in a child process; its report's own timing (not the process start). */
function ingestThroughCli(dir: string, files: string[]): IngestFigures {
  const r = spawnSync(process.execPath, [CLI, 'ingest', ...files, '--data', dir, '--json'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0 && r.status !== 1) throw new Error(`lodestone ingest failed (${r.status}): ${r.stderr}`);
  const report = JSON.parse(r.stdout) as { inserted: number; updated: number; unchanged: number; failed: number; took_ms: number };
  return { stored: report.inserted + report.updated + report.unchanged, failed: report.failed, secs: report.took_ms / 1000 };
}

async function ingestInProcess(dir: string, files: string[]): Promise<IngestFigures> {
  const store = SqliteStore.open(dir);
  const t = performance.now();
  const report = await ingestTargets(store, files);
  const secs = (performance.now() - t) / 1000;
  await store.close();
  return { stored: report.inserted + report.updated + report.unchanged, failed: report.failed, secs };
}

async function ingestCorpus(name: string, files: string[]): Promise<{ store: SqliteStore; dir: string }> {
  const dir = outDir(name);
  if (process.env.LODESTONE_BENCH_REUSE === '1' && existsSync(join(dir, 'lodestone.db'))) {
    // Query-only run over a database ingested earlier (e.g. by `lodestone ingest`, timed there).
    const store = SqliteStore.open(dir, { parallel: SERVER_THREADS });
    say(`### ${name}: reusing the existing database (${(await store.stats()).documents.toLocaleString('en')} documents, ${mb(dirSize(dir))})`);
    say('');
    return { store, dir };
  }
  rmSync(dir, { recursive: true, force: true });
  // Closed before it is measured: the last connection's close checkpoints and removes the WAL.
  const { stored, failed, secs } = THROUGH_CLI ? ingestThroughCli(dir, files) : await ingestInProcess(dir, files);
  say(`### ${name}: ingest (${THROUGH_CLI ? 'built CLI' : 'in process, from src under tsx'})`);
  say('');
  say(`| documents | failed | seconds | docs/s | database size |`);
  say(`| --- | --- | --- | --- | --- |`);
  say(`| ${stored.toLocaleString('en')} | ${failed} | ${secs.toFixed(1)} | ${Math.round(stored / secs).toLocaleString('en')} | ${mb(dirSize(dir))} |`);
  say('');
  const store = SqliteStore.open(dir, { parallel: SERVER_THREADS });
  return { store, dir };
}

/**
 * Let the event loop turn between queries, as it does between a server's requests: work a
 * search queued for afterwards (a hot phrase's list, store/sqlite/hot.ts) runs here,
 * outside the timings.
 */
const nextTick = () => new Promise((r) => setImmediate(r));

interface QueryClass {
  name: string;
  params: SearchParams[];
}

async function latency(store: SqliteStore, classes: QueryClass[], label: string): Promise<void> {
  say(
    `### ${label}: query latency (search service, top-10, exact totals, collapse on${SERVER_THREADS ? '; lists of 100,000+ postings scanned by two threads, as the server does' : ''})`,
  );
  say('');
  say('| class | example | matches | cold max ms | p50 ms | p95 ms | p99 ms |');
  say('| --- | --- | --- | --- | --- | --- | --- |');
  // Warm up as a server does at start: the in-memory columns and the segmenter's dictionary.
  await searchDocuments(store, { q: '稀土出口管制' });
  for (const c of classes) {
    const times: number[] = [];
    let matches = 0;
    // The first run of each distinct query may pay one-time costs (hot-term promotion,
    // store/sqlite/hot.ts): reported as "cold max", then three measured rounds.
    let first = 0;
    for (const key of new Set(c.params.map((p) => JSON.stringify(p)))) {
      const t0 = performance.now();
      const r = await searchDocuments(store, { limit: 10, ...(JSON.parse(key) as SearchParams) });
      first = Math.max(first, performance.now() - t0);
      await nextTick();
      if (key === JSON.stringify(c.params[0])) matches = r.total; // the example's total
    }
    for (let round = 0; round < 3; round++) {
      for (const p of c.params) {
        const t = performance.now();
        await searchDocuments(store, { limit: 10, ...p });
        times.push(performance.now() - t);
        await nextTick();
      }
    }
    times.sort((a, b) => a - b);
    const ex = c.params[0]!;
    const desc = `\`${ex.q}\`${ex.sort === 'newest' ? ' newest' : ''}${ex.from ? ` ${ex.from}..${ex.to}` : ''}${ex.type ? ` type=${ex.type}` : ''}${ex.source ? ` source=${ex.source}` : ''}`;
    say(
      `| ${c.name} | ${desc} | ${matches.toLocaleString('en')} | ${first.toFixed(0)} | ${percentile(times, 0.5).toFixed(1)} | ${percentile(times, 0.95).toFixed(1)} | ${percentile(times, 0.99).toFixed(1)} |`,
    );
  }
  say('');
}

function classes(store: SqliteStore, common: string, medium: string[], phrases: string[], source: string): QueryClass[] {
  const rep = <T>(xs: T[], n: number) => Array.from({ length: n }, (_, i) => xs[i % xs.length]!);
  // Date ranges: ten 20-day windows spread over the corpus's own time span.
  const span = store.db.prepare('SELECT min(published_at) AS lo, max(published_at) AS hi FROM documents').get() as { lo: number; hi: number };
  const day = (t: number) => new Date(t + 8 * 3600_000).toISOString().slice(0, 10);
  const ranges = Array.from({ length: 10 }, (_, i) => {
    const from = span.lo + ((span.hi - span.lo - 20 * 86400_000) * i) / 10;
    return { from: day(from), to: day(from + 19 * 86400_000) };
  });
  return [
    { name: 'common term, relevance', params: rep([{ q: common }], 30) },
    { name: 'common term, newest', params: rep([{ q: common, sort: 'newest' as const }], 30) },
    { name: '2-term AND', params: rep(medium.slice(0, 10).map((m, i) => ({ q: `${m} ${medium[(i + 3) % medium.length]}` })), 30) },
    { name: 'phrase', params: rep(phrases.map((p) => ({ q: `"${p}"` })), 30) },
    { name: 'term + date range', params: rep(medium.slice(0, 10).map((m, i) => ({ q: m, ...ranges[i]! })), 30) },
    {
      name: 'newest + filters',
      params: rep(medium.slice(0, 10).map((m) => ({ q: m, sort: 'newest' as const, type: ['news'], source: [source] })), 30),
    },
    { name: 'zero-hit', params: rep(['不存在之词甲', '乙丙丁戊己', 'zzzqqq', '"稀土 不存在"'].map((q) => ({ q })), 30) },
  ];
}

async function serverRss(dir: string, queries: string[]): Promise<number | null> {
  const bin = join(ROOT, 'bin', 'lodestone.js');
  if (!existsSync(join(ROOT, 'dist', 'cli', 'entry.js'))) return null;
  const child = spawn(process.execPath, [bin, 'serve', '--data', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /at (http:\/\/\S+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
  });
  for (const q of queries) await (await fetch(`${url}/api/search?q=${encodeURIComponent(q)}`)).json();
  const status = (await import('node:fs')).readFileSync(`/proc/${child.pid}/status`, 'utf8');
  child.kill('SIGTERM');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : null;
}

/** The candidate whose document frequency is closest to 30% of the corpus. */
function pickCommon(store: SqliteStore, candidates: string[]): string {
  const n = (store.db.prepare('SELECT count(*) FROM documents').pluck().get() as number) || 1;
  let best = candidates[0]!;
  let bestDiff = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const df = (store.db.prepare('SELECT count(*) FROM fts WHERE fts MATCH ?').pluck().get(`"${c}"`) as number) / n;
    if (Math.abs(df - 0.3) < bestDiff) {
      bestDiff = Math.abs(df - 0.3);
      best = c;
    }
  }
  return best;
}

async function flash(): Promise<void> {
  const files = corpusFiles('cn_finance_flash_news');
  if (!files) return skip('flash', `../shared/corpora/cn_finance_flash_news not found`);
  const { store, dir } = await ingestCorpus('cn_finance_flash_news', files);
  const stats = await store.stats();
  say(`Duplicates: ${stats.clusters.toLocaleString('en')} clusters holding ${stats.clusteredDocuments.toLocaleString('en')} of ${stats.documents.toLocaleString('en')} documents.`);
  say('');
  const rec = measureRecall(store);
  say(`### cn_finance_flash_news: recall against a substring oracle (${CJK_TERMS.length} terms, quoted)`);
  say('');
  say(`Recall ${(rec.recall * 100).toFixed(3)}%, precision ${(rec.precision * 100).toFixed(3)}% over ${rec.rows.reduce((s, r) => s + r.oracle, 0).toLocaleString('en')} oracle matches.`);
  const misses = rec.rows.filter((r) => r.truePositives !== r.oracle || r.found !== r.oracle);
  say(misses.length === 0 ? 'Every term: found set = oracle set.' : `Terms that differ: ${misses.map((r) => `${r.term} (oracle ${r.oracle}, found ${r.found}, agree ${r.truePositives})`).join('; ')}`);
  say('');
  const common = pickCommon(store, ['公司', '市场', '亿元', '中国', '美国', '同比', '增长', '发布']);
  const medium = ['稀土', '光伏', '储能', '芯片', '黄金', '原油', '降息', '关税', '机器人', '锂电池', '半导体', '美联储'];
  const phrases = ['国际油价', '北向资金', '稀土永磁', '人民币汇率', '半导体设备', '美联储主席', '碳酸锂期货', '光伏组件'];
  await latency(store, classes(store, common, medium, phrases, '财联社'), 'cn_finance_flash_news');
  const rss = await serverRss(dir, [common, ...medium]);
  if (rss) say(`Server RSS after the query mix: ${mb(rss)}.\n`);
  await store.close();
}

async function crud(): Promise<void> {
  const files = corpusFiles('crud_rag_news_2023');
  if (!files) return skip('crud', '../shared/corpora/crud_rag_news_2023 not found');
  const { store } = await ingestCorpus('crud_rag_news_2023', files);
  const stats = await store.stats();
  say(`Duplicates: ${stats.clusters.toLocaleString('en')} clusters holding ${stats.clusteredDocuments.toLocaleString('en')} documents.\n`);
  await store.close();
}

async function generated(): Promise<void> {
  const n = Number(process.env.LODESTONE_BENCH_DOCS ?? 100_000);
  const dir = outDir('generated-src');
  const file = join(dir, `docs-${n}.ndjson`);
  if (!existsSync(file)) {
    const t = performance.now();
    await generateCorpus(file, n);
    console.log(`generated ${n} documents in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const { store, dir: dbDir } = await ingestCorpus(`generated-${n}`, [file]);
  const medium = ['发展', '企业', '政府', '经济', '技术', '国际', '市场', '研究', '管理', '问题'];
  await latency(store, classes(store, TOPIC[0]!, medium, ['出口管制', '冶炼分离', '稀土独立', '经济发展', '国际市场'], '财联社'), `generated ${n.toLocaleString('en')} docs`);
  const rss = await serverRss(dbDir, [TOPIC[0]!, ...medium]);
  if (rss) say(`Server RSS after the query mix: ${mb(rss)}.\n`);
  await store.close();
}

const which = process.argv.slice(2);
const run = (name: string) => which.length === 0 || which.includes(name);
say(`## Benchmark run ${new Date().toISOString()} on ${machine()}; ${cpuProbe()}`);
say('');
if (run('flash')) await flash();
if (run('crud')) await crud();
if (run('generated')) await generated();
if (run('concurrent')) await concurrentWriter(say);
writeFileSync(join(OUT, `results-${Date.now()}.md`), `${lines.join('\n')}\n`);
