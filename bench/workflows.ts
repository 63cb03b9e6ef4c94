/**
 * npm run bench:workflows [-- run select]   (default: both)
 *
 * run:    a workflow run over 1,000 new documents (cn_finance_flash_news) end to end
 *         (selection, summaries, topic brief, digest), first with summaries made during the
 *         run (extractive), then by a second workflow over the same documents with the
 *         summaries cached. Target: <= 2 s with cached summaries.
 * select: 200 workflows (topic terms, phrases, AND/OR, source filters) on the 1,000,000-
 *         document generated store (bench/out/generated-1000000, made by `npm run bench --
 *         generated` with LODESTONE_BENCH_DOCS=1000000): each workflow's selection query over
 *         windows of the latest 1,000 / 5,000 / 20,000 stored documents. Target: p99 <= 100 ms.
 * Missing corpora or stores are skipped with a message.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { ingestRecords } from '../src/services/ingest.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { loadDigest } from '../src/workflows/digest.js';
import { runWorkflow } from '../src/workflows/run.js';
import { runNow } from '../src/workflows/service.js';
import { normalizeSpec } from '../src/workflows/spec.js';
import { corpusFiles, machine, OUT, outDir, percentile, skip } from './common.js';
import { TOPIC } from './generate.js';

const lines: string[] = [];
const say = (s = '') => {
  console.log(s);
  lines.push(s);
};

async function readRecords(file: string, limit: number, keep: (r: { body?: string; title?: string }) => boolean): Promise<Record<string, unknown>[]> {
  const input = file.endsWith('.gz') ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
  const out: Record<string, unknown>[] = [];
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (out.length >= limit) break;
    try {
      const r = JSON.parse(line) as Record<string, unknown>;
      if (keep(r as { body?: string })) out.push(r);
    } catch {
      // a malformed line is not a benchmark's concern
    }
  }
  return out;
}

async function benchRun(): Promise<void> {
  const files = corpusFiles('cn_finance_flash_news');
  if (!files) return skip('workflow run', 'no ../shared/corpora/cn_finance_flash_news');
  const dir = outDir('workflows-run');
  rmSync(dir, { recursive: true, force: true });
  const store = SqliteStore.open(dir);
  const ctx = { store, llm: null, allowPrivate: false };
  try {
    // 5,000 earlier items, then 1,000 new ones that mention 公司 (the workflow's query).
    const base = await readRecords(files[0]!, 5000, () => true);
    await ingestRecords(store, base);
    const fresh = (await readRecords(files[1]!, 20_000, (r) => (r.body ?? '').includes('公司'))).slice(0, 1000);
    const mk = async (name: string) => {
      const spec = normalizeSpec({ name, query: '公司', summarize: true, brief: true, max_items: 1000 });
      return store.workflows.create(spec, await store.workflows.maxDocId(), Date.now());
    };
    await mk('cold');
    await mk('cached');
    await ingestRecords(store, fresh);
    const t1 = performance.now();
    const cold = await runNow(ctx, 'cold', { deliver: 'none' });
    const coldMs = performance.now() - t1;
    // Same window, summaries now cached (the first run made them).
    const t2 = performance.now();
    const cached = await runNow(ctx, 'cached', { deliver: 'none' });
    const cachedMs = performance.now() - t2;
    say('### Workflow run over new documents (cn_finance_flash_news)');
    say('');
    say(`5,000 documents stored, then ${fresh.length.toLocaleString('en')} new ones matching the query \`公司\`; one run each, end to end (runNow: selection, summaries, topic brief, digest with "also in").`);
    say('');
    say('| run | items | selection ms | summaries ms | run ms | end to end ms (incl. digest) |');
    say('| --- | --- | --- | --- | --- | --- |');
    for (const [label, r, ms] of [
      ['summaries made in the run (extractive)', cold, coldMs],
      ['summaries cached', cached, cachedMs],
    ] as const) {
      say(
        `| ${label} | ${r.items.length.toLocaleString('en')} | ${r.timings?.select_ms ?? '?'} | ${r.timings?.summarize_ms ?? '?'} | ${r.timings?.total_ms ?? '?'} | ${Math.round(ms).toLocaleString('en')} |`,
      );
    }
    say('');
    const wf = (await store.workflows.get('cached'))!;
    const run = (await store.workflows.lastDone(wf.id))!;
    const t3 = performance.now();
    await loadDigest(ctx, wf, run);
    say(`Reloading that digest (web page / API): ${Math.round(performance.now() - t3)} ms.`);
    say('');
  } finally {
    await store.close();
  }
}

function queries(): { query: string; source?: string[] }[] {
  const out: { query: string; source?: string[] }[] = [];
  const ops = [
    (a: string) => a,
    (a: string, b: string) => `${a} ${b}`,
    (a: string, b: string) => `${a} OR ${b}`,
    (a: string) => `"${a}"`,
    (a: string, b: string) => `${a} -${b}`,
    (a: string, b: string) => `title:${a} ${b}`,
  ];
  for (let i = 0; out.length < 200; i++) {
    const a = TOPIC[i % TOPIC.length]!;
    const b = TOPIC[(i * 3 + 1) % TOPIC.length]!;
    const q = ops[i % ops.length]!(a, b === a ? TOPIC[(i + 2) % TOPIC.length]! : b);
    out.push(i % 7 === 0 ? { query: q, source: [`来源${i % 50}`] } : { query: q });
  }
  return out;
}

async function benchSelect(): Promise<void> {
  const dir = join(OUT, 'generated-1000000');
  if (!existsSync(join(dir, 'lodestone.db'))) {
    return skip('workflow selection', `no 1,000,000-document store at ${dir} (LODESTONE_BENCH_DOCS=1000000 npm run bench -- generated)`);
  }
  const store = SqliteStore.open(dir);
  const ctx = { store, llm: null };
  try {
    const n = (await store.stats()).documents;
    const max = await store.workflows.maxDocId();
    // Warm the in-memory columns and hot lists (a running server has them).
    await store.search({ query: null, filters: {}, sort: 'newest', collapse: true, limit: 1, offset: 0, facets: false });
    const times: number[] = [];
    const totals: number[] = [];
    let items = 0;
    for (const window of [1000, 5000, 20_000]) {
      const created: number[] = [];
      for (const [i, q] of queries().entries()) {
        const spec = normalizeSpec({ name: `bench-${window}-${i}`, query: q.query, summarize: false, ...(q.source ? { filters: { source: q.source } } : {}) });
        const existing = await store.workflows.get(spec.name);
        if (existing) await store.workflows.remove(existing.id);
        const wf = await store.workflows.create(spec, max - window, Date.now());
        created.push(wf.id);
        const r = await runWorkflow(ctx, wf);
        if (r.outcome !== 'done') throw new Error(`${spec.name}: ${r.outcome} ${r.reason}`);
        times.push(r.timings!.select_ms);
        totals.push(r.timings!.total_ms);
        items += (await store.workflows.items(r.run_id!)).length;
      }
      for (const id of created) await store.workflows.remove(id);
    }
    times.sort((a, b) => a - b);
    totals.sort((a, b) => a - b);
    say(`### Workflow selection on the ${n.toLocaleString('en')}-document store`);
    say('');
    say(`200 workflows (topic terms, two-term AND, OR, phrases, NOT, title:, one in seven with a source filter), each run over windows of the latest 1,000 / 5,000 / 20,000 stored documents: ${times.length} selections, ${items.toLocaleString('en')} items recorded.`);
    say('');
    say('| measure | p50 ms | p95 ms | p99 ms | max ms |');
    say('| --- | --- | --- | --- | --- |');
    for (const [label, xs] of [
      ['selection (query over the window, cluster and delivered checks, stored)', times],
      ['whole run without summaries', totals],
    ] as const) {
      say(`| ${label} | ${percentile(xs, 0.5).toFixed(1)} | ${percentile(xs, 0.95).toFixed(1)} | ${percentile(xs, 0.99).toFixed(1)} | ${xs.at(-1)!.toFixed(1)} |`);
    }
    say('');
  } finally {
    await store.close();
  }
}

const which = process.argv.slice(2);
const all = which.length === 0;
say(`## Workflows benchmark (${new Date().toISOString().slice(0, 10)}, ${machine()})`);
say('');
if (all || which.includes('run')) await benchRun();
if (all || which.includes('select')) await benchSelect();
const file = join(OUT, `workflows-${Date.now()}.md`);
writeFileSync(file, `${lines.join('\n')}\n`);
console.log(`\nwritten to ${file}`);
