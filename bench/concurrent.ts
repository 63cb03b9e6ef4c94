/**
 * Search latency under a concurrent writer (issue 17, item 5): a `lodestone serve` over the
 * flash corpus answers an open-loop load of searches (a fixed rate, each request sent on
 * schedule whatever the others are doing, so a stall shows in every request it delays),
 * first idle, then while `lodestone ingest` writes the crud corpus into the same store from
 * another process. Reported: p50/p95/p99/max of both phases and the ratio of the p99s.
 * Target: the writer's p99 within 2x of idle.
 *
 * The baseline a user would pick instead, in the same run: jieba + plain SQLite FTS5
 * (`bench/baseline.ts`: a server answering FTS5 MATCH with bm25 over jieba-segmented text),
 * under the same load, idle and while another process inserts the crud corpus into it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { corpusFiles, outDir, percentile, ROOT } from './common.js';

const CLI = join(ROOT, 'bin', 'lodestone.js');
const QUERIES = ['稀土', '光伏', '储能', '芯片', '黄金', '原油', '降息', '关税', '机器人', '锂电池', '半导体', '美联储', '国际油价', '北向资金', '人民币汇率', '公司'];

export interface PhaseFigures {
  requests: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Sends `rate` requests a second for `seconds` (or until `until` resolves), on schedule. */
export async function openLoop(urlFor: (i: number) => string, rate: number, seconds: number, until?: Promise<unknown>): Promise<PhaseFigures> {
  const times: number[] = [];
  let errors = 0;
  let stop = false;
  until?.then(() => {
    stop = true;
  });
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; !stop && performance.now() - start < seconds * 1000; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const sent = due; // latency counted from when the request was due (no coordinated omission)
    inFlight.push(
      fetch(urlFor(i))
        .then(async (res) => {
          await res.arrayBuffer();
          if (!res.ok) errors++;
          times.push(performance.now() - sent);
        })
        .catch(() => {
          errors++;
        }),
    );
    if (inFlight.length > 5000) await Promise.all(inFlight.splice(0, 1000));
  }
  await Promise.all(inFlight);
  times.sort((a, b) => a - b);
  return {
    requests: times.length,
    errors,
    p50: percentile(times, 0.5),
    p95: percentile(times, 0.95),
    p99: percentile(times, 0.99),
    max: times[times.length - 1] ?? Number.NaN,
  };
}

/** Searches a second the server answers with `concurrency` requests always in flight (closed loop). */
export async function capacity(urlFor: (i: number) => string, seconds = 5, concurrency = 4): Promise<number> {
  let done = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, k) => {
      for (let i = k; performance.now() < end; i += concurrency) {
        await (await fetch(urlFor(i))).arrayBuffer();
        done++;
      }
    }),
  );
  return done / seconds;
}

export function startChild(args: string[], readyPattern: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const look = (d: Buffer) => {
      out += d.toString();
      const m = readyPattern.exec(out);
      if (m) resolve({ child, match: m });
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before it was ready:\n${out.slice(-2000)}`)));
  });
}

export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });
}

const row = (label: string, f: PhaseFigures) =>
  `| ${label} | ${f.requests.toLocaleString('en')} | ${f.errors} | ${f.p50.toFixed(1)} | ${f.p95.toFixed(1)} | ${f.p99.toFixed(1)} | ${f.max.toFixed(0)} |`;

/**
 * Idle, then under the writer: our server, then the baseline. Lines for the report. The rate
 * is LODESTONE_BENCH_RATE, else half of what our server answers flat out on this machine
 * today (measured first), so the idle phase is not already a queue; both servers get it.
 */
export async function concurrentWriter(say: (s?: string) => void, idleSeconds = 20): Promise<void> {
  const flash = corpusFiles('cn_finance_flash_news');
  const crud = corpusFiles('crud_rag_news_2023');
  if (!flash || !crud) {
    say('SKIP concurrent: ../shared/corpora/cn_finance_flash_news or crud_rag_news_2023 not found');
    return;
  }
  if (!existsSync(join(ROOT, 'dist', 'cli', 'entry.js'))) {
    say('SKIP concurrent: dist/ not built (npm run build)');
    return;
  }
  const dir = outDir('concurrent');
  rmSync(dir, { recursive: true, force: true });
  outDir('concurrent');
  await exited(spawn(process.execPath, [CLI, 'ingest', ...flash, '--data', dir, '--json'], { stdio: 'ignore' }));
  const { child: server, match } = await startChild([CLI, 'serve', '--data', dir, '--port', '0'], /at (http:\/\/\S+)/);
  const url = match[1]!;
  const q = (i: number) => `${url}/api/search?q=${encodeURIComponent(QUERIES[i % QUERIES.length]!)}${i % 3 === 0 ? '&sort=newest' : ''}`;
  // Warm-up: every query once.
  for (let i = 0; i < QUERIES.length * 2; i++) await (await fetch(q(i))).arrayBuffer();
  const ours = await capacity(q);
  const rate = Number(process.env.LODESTONE_BENCH_RATE) || Math.max(10, Math.round(ours / 2));
  const idle = await openLoop(q, rate, idleSeconds);
  // LODESTONE_BENCH_WRITER_SESSION=1 starts the writer in a session of its own, as when a user
  // runs `lodestone ingest` in another terminal: with the kernel's autogroups on, processes of
  // different sessions share the CPU by group, and a nice value only counts within its group.
  const ownSession = process.env.LODESTONE_BENCH_WRITER_SESSION === '1';
  const writer = spawn(process.execPath, [CLI, 'ingest', ...crud, '--data', dir, '--json'], { stdio: 'ignore', detached: ownSession });
  const t = performance.now();
  const busy = await openLoop(q, rate, 600, exited(writer));
  const writerSecs = (performance.now() - t) / 1000;
  server.kill('SIGTERM');
  await exited(server);

  // LODESTONE_BENCH_BASELINE=0 skips the baseline (for quick experiments; the report then lacks its rows).
  const { baselineConcurrent } = await import('./baseline.js');
  const none: PhaseFigures = { requests: 0, errors: 0, p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN };
  const base =
    process.env.LODESTONE_BENCH_BASELINE === '0'
      ? { idle: none, busy: none, writerSecs: 0, capacity: Number.NaN }
      : await baselineConcurrent(flash, crud, rate, idleSeconds);

  say(`### Search under a concurrent writer (${rate} searches/s, open loop; HTTP; the writer is \`lodestone ingest\` of crud_rag_news_2023 into the same store)`);
  say('');
  say(`Flat out (4 requests in flight, 5 s, idle): Lodestone ${ours.toFixed(0)} searches/s, baseline ${base.capacity.toFixed(0)} searches/s. Queries: ${QUERIES.join(' ')} (every third newest first).`);
  say('');
  say('| phase | requests | errors | p50 ms | p95 ms | p99 ms | max ms |');
  say('| --- | --- | --- | --- | --- | --- | --- |');
  say(row(`Lodestone idle (${idleSeconds} s)`, idle));
  say(row(`Lodestone + writer (${writerSecs.toFixed(0)} s)`, busy));
  say(row(`baseline jieba + FTS5 idle (${idleSeconds} s)`, base.idle));
  say(row(`baseline + writer (${base.writerSecs.toFixed(0)} s)`, base.busy));
  say('');
  say(
    `p99 under the writer / p99 idle: Lodestone ${(busy.p99 / idle.p99).toFixed(2)}x (target 2x), baseline ${(base.busy.p99 / base.idle.p99).toFixed(2)}x. ` +
      `Lodestone p99 / baseline p99: idle ${(idle.p99 / base.idle.p99).toFixed(2)}x, under a writer ${(busy.p99 / base.busy.p99).toFixed(2)}x.`,
  );
  say('');
}
