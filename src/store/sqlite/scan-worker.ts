/**
 * The scan worker (parallel.ts): runs `scanTerm` over the later chunks of a list, on the
 * columns the main thread shares, and answers with its collector's part. It never touches
 * the database.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { ScanJob, ScanReply, WorkerJob } from './parallel.js';
import { Collector, matchesInto, type ScanColumns, scanTerm } from './scan.js';

const { port, flag } = workerData as { port: MessagePort; flag: Int32Array };
let cols: ScanColumns | null = null;
let bestId = new Int32Array(0);
let bestP = new Float64Array(0);
let bestS = new Float64Array(0);
let bestN = new Int32Array(0);

function run(job: ScanJob): ScanReply {
  if (cols === null) return { ok: false, error: 'no columns' };
  if (bestN.length <= job.maxCluster) {
    const n = Math.max(job.maxCluster + 1, bestN.length * 2, 1024);
    bestId = new Int32Array(n);
    bestP = new Float64Array(n);
    bestS = new Float64Array(n);
    bestN = new Int32Array(n);
  }
  const out = new Collector(cols, job.ncombos, job.k, job.collapse, job.facets, bestId, bestP, bestS, bestN);
  const filter = { from: job.from, to: job.to, combos: job.combos, preds: [] };
  const df = scanTerm(job.chunks, job.titleOnly, job.byScore, job.c2, job.lo, job.hi, cols, filter, out);
  const part = out.part();
  out.reset();
  return { ok: true, kind: 'scan', part, df };
}

parentPort!.on('message', (m: { type: 'columns'; cols: ScanColumns } | WorkerJob) => {
  if (m.type === 'columns') {
    cols = m.cols;
    return;
  }
  let reply: ScanReply;
  try {
    if (m.type === 'scan') reply = run(m.job);
    else if (cols === null) reply = { ok: false, error: 'no columns' };
    else reply = { ok: true, kind: 'matches', ...matchesInto(m.job, cols) };
  } catch (err) {
    reply = { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  // The reply is queued on the port before the flag is raised, so the waiting thread finds it.
  port.postMessage(reply);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
