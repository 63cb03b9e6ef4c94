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
import { ingestTargets } from '../src/services/ingest.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { corpusFiles, cpuProbe, dirSize, machine, mb, OUT, outDir, ROOT, skip } from './common.js';
import { generateCorpus, TOPIC } from './generate.js';
import { CJK_TERMS, measureRecall } from './recall.js';
import { concurrentWriter } from './concurrent.js';
import { classes, GENERATED_MEDIUM, GENERATED_PHRASES, latency, sqliteSpan } from './latency.js';

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
  await latency(say, store, classes(sqliteSpan(store), common, medium, phrases, '财联社'), 'cn_finance_flash_news', SERVER_THREADS);
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
  await latency(say, store, classes(sqliteSpan(store), TOPIC[0]!, GENERATED_MEDIUM, GENERATED_PHRASES, '财联社'), `generated ${n.toLocaleString('en')} docs`, SERVER_THREADS);
  const rss = await serverRss(dbDir, [TOPIC[0]!, ...GENERATED_MEDIUM]);
  if (rss) say(`Server RSS after the query mix: ${mb(rss)}.\n`);
  await store.close();
}

const which = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (process.argv.includes('--backend') && process.argv[process.argv.indexOf('--backend') + 1] === 'postgres') {
  // npm run bench -- --backend postgres: the PostgreSQL backend beside the SQLite engine and plain ts_rank (bench/postgres.ts).
  const { postgresBench } = await import('./postgres.js');
  await postgresBench(say);
  writeFileSync(join(OUT, `results-${Date.now()}.md`), `${lines.join('\n')}\n`);
  process.exit(0);
}
const run = (name: string) => which.length === 0 || which.includes(name);
say(`## Benchmark run ${new Date().toISOString()} on ${machine()}; ${cpuProbe()}`);
say('');
if (run('flash')) await flash();
if (run('crud')) await crud();
if (run('generated')) await generated();
if (run('concurrent')) await concurrentWriter(say);
writeFileSync(join(OUT, `results-${Date.now()}.md`), `${lines.join('\n')}\n`);
