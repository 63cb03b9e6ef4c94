/**
 * Query latency per class through the search service (top-10, exact totals, collapse on):
 * the same classes and rounds for every store the benchmarks time (bench/run.ts for the
 * SQLite engine, bench/postgres.ts for PostgreSQL).
 */
import { searchDocuments, type SearchParams } from '../src/services/search.js';
import type { DocumentStore } from '../src/store/ports.js';
import type { SqliteStore } from '../src/store/sqlite/store.js';
import { percentile } from './common.js';

/** Measured rounds over each class's queries (LODESTONE_BENCH_ROUNDS, default 3). */
const ROUNDS = Number(process.env.LODESTONE_BENCH_ROUNDS ?? 3);

/** Generated corpus: medium-frequency words and phrases the classes use. */
export const GENERATED_MEDIUM = ['发展', '企业', '政府', '经济', '技术', '国际', '市场', '研究', '管理', '问题'];
export const GENERATED_PHRASES = ['出口管制', '冶炼分离', '稀土独立', '经济发展', '国际市场'];

/** The corpus's publication span (date-range classes). */
export function sqliteSpan(store: SqliteStore): { lo: number; hi: number } {
  return store.db.prepare('SELECT min(published_at) AS lo, max(published_at) AS hi FROM documents').get() as { lo: number; hi: number };
}

/**
 * Let the event loop turn between queries, as it does between a server's requests: work a
 * search queued for afterwards (a hot phrase's list, store/sqlite/hot.ts) runs here,
 * outside the timings.
 */
const nextTick = () => new Promise((r) => setImmediate(r));

export interface QueryClass {
  name: string;
  params: SearchParams[];
}

export async function latency(say: (s?: string) => void, store: DocumentStore, classes: QueryClass[], label: string, threads = false): Promise<void> {
  say(
    `### ${label}: query latency (search service, top-10, exact totals, collapse on${threads ? '; lists of 100,000+ postings scanned by two threads, as the server does' : ''})`,
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
    for (let round = 0; round < ROUNDS; round++) {
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

export function classes(span: { lo: number; hi: number }, common: string, medium: string[], phrases: string[], source: string): QueryClass[] {
  const rep = <T>(xs: T[], n: number) => Array.from({ length: n }, (_, i) => xs[i % xs.length]!);
  // Date ranges: ten 20-day windows spread over the corpus's own time span.
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

