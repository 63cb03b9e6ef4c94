/**
 * The scan thread (parallel.ts; started by scan-watch.ts): runs `scanTerm` over the later
 * chunks of a list, `matchesInto` / `collectJoin` over part of a hot-list conjunction, or
 * `collectRange` over the later rowids of a query of filters only,
 * on the columns the main thread shares, and answers with its collector's part (or its
 * match count) on the same channel. It never touches the database.
 */
import { type MessagePort, workerData } from 'node:worker_threads';
import { type CollectSpec, FLAG_REPLIED, type ScanReply, type WorkerJob } from './parallel.js';
import { Collector, collectJoin, collectRange, matchesInto, type ScanColumns, scanTerm } from './scan.js';

const { port, flag } = workerData as { port: MessagePort; flag: Int32Array };
let cols: ScanColumns | null = null;
let bestId = new Int32Array(0);
let bestP = new Float64Array(0);
let bestS = new Float64Array(0);
let bestN = new Int32Array(0);

/** A collector over the shared columns, shaped as the main thread's. */
function collector(spec: CollectSpec, c: ScanColumns): Collector {
  if (bestN.length <= spec.maxCluster) {
    const n = Math.max(spec.maxCluster + 1, bestN.length * 2, 1024);
    bestId = new Int32Array(n);
    bestP = new Float64Array(n);
    bestS = new Float64Array(n);
    bestN = new Int32Array(n);
  }
  return new Collector(c, spec.ncombos, spec.k, spec.collapse, spec.facets, bestId, bestP, bestS, bestN);
}

function run(m: WorkerJob, c: ScanColumns): ScanReply {
  if (m.type === 'matches') return { ok: true, kind: 'matches', ...matchesInto(m.job, c) };
  const job = m.job;
  const out = collector(job, c);
  const filter = { from: job.from, to: job.to, combos: job.combos, preds: [] };
  let df = 0;
  if (m.type === 'scan') df = scanTerm(m.job.chunks, m.job.titleOnly, m.job.byScore, m.job.c2, m.job.lo, m.job.hi, c, filter, out);
  else if (m.type === 'range') collectRange(m.job.lo, m.job.hi, c, filter, out);
  else collectJoin(m.job, c, filter, out);
  const part = out.part();
  out.reset();
  return { ok: true, kind: 'part', part, df };
}

port.on('message', (m: { type: 'columns'; cols: ScanColumns } | WorkerJob) => {
  if (m.type === 'columns') {
    cols = m.cols;
    return;
  }
  let reply: ScanReply;
  try {
    reply = cols === null ? { ok: false, error: 'no columns' } : run(m, cols);
  } catch (err) {
    reply = { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  // The reply is queued on the port before the flag is raised, so the waiting thread finds it.
  port.postMessage(reply);
  Atomics.store(flag, 0, FLAG_REPLIED);
  Atomics.notify(flag, 0);
});
