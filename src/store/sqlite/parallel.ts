/**
 * A second thread for the longest scans. A single-term query over a long list (a common
 * term: 300,000+ postings at 1,000,000 documents) is split by chunks: this thread scans the
 * earlier chunks while a worker scans the later ones over the same columns (shared memory,
 * columns.ts), and the worker's collector part is merged in (`Collector.merge`), giving the
 * result one scan would give. The search API is synchronous, so the main thread waits for
 * the worker with Atomics.wait and takes its reply with receiveMessageOnPort.
 *
 * If the worker fails, or does not answer within WAIT_MS, the main thread scans the later
 * chunks itself and the worker is dropped (a new one starts on a later query, at most
 * MAX_RESTARTS times). A worker that exits between searches is noticed when the event loop
 * turns (its 'exit' event) and replaced the same way. One that dies in the middle of a job
 * cannot be seen by the main thread, which is blocked in Atomics.wait: the scan thread is
 * therefore started by a small watcher thread (scan-watch.ts), whose event loop stays free
 * and which raises the flag as DEAD when the scan thread exits, so that search goes on at
 * once instead of waiting out WAIT_MS. On a machine with one core, or for a one-shot CLI
 * search where starting a thread costs more than it saves, the store is opened without it.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { TSX_LOADER, underTsx } from '../../core/threads.js';
import type { PostingChunk } from './postings.js';
import type { CollectorPart, JoinJob, MatchJob, ScanColumns } from './scan.js';

const WAIT_MS = 10_000;
const MAX_RESTARTS = 3;

/** The flag's values: a job is running, its reply is on the port, the scan thread exited. */
export const FLAG_WAITING = 0;
export const FLAG_REPLIED = 1;
export const FLAG_DEAD = 2;

/** What a collector in the worker needs: the filters it checks and its shape. */
export interface CollectSpec {
  from: number | null;
  to: number;
  combos: Uint8Array | null;
  k: number;
  collapse: boolean;
  facets: boolean;
  /** Number of facet combinations, and the largest cluster id (scratch sizes). */
  ncombos: number;
  maxCluster: number;
}

/** One scan for the worker: the later chunks of a list and everything `scanTerm` needs. */
export interface ScanJob extends CollectSpec {
  chunks: PostingChunk[];
  titleOnly: boolean;
  byScore: boolean;
  c2: number;
  lo: number;
  hi: number;
}

/**
 * Work for the worker: a single-list scan, the later chunks of one list of a hot-list
 * conjunction, the later stretch of that conjunction's driving list to collect, or the later
 * rowids of a query of filters only.
 */
export type WorkerJob =
  | { type: 'scan'; job: ScanJob }
  | { type: 'matches'; job: MatchJob }
  | { type: 'join'; job: JoinJob & CollectSpec }
  | { type: 'range'; job: CollectSpec & { lo: number; hi: number } };

/** A collector's part (scan, join; df is the scanned list's, 0 for join) or a match count. */
export type WorkerResult = { kind: 'part'; part: CollectorPart; df: number } | { kind: 'matches'; m: number; df: number };
export type ScanReply = ({ ok: true } & WorkerResult) | { ok: false; error: string };

/** A thread to start: its file, and (under tsx) the TypeScript module that file loads. */
export interface ThreadSpec {
  file: string;
  entry: string;
}

/** What the watcher thread is started with; the scan thread gets the same, `entry` its own. */
export interface WatchData {
  port: MessagePort;
  flag: Int32Array;
  scan: ThreadSpec;
  entry: string;
}

export class ScanWorker {
  /** The watcher thread (scan-watch.ts), which runs the scan thread. */
  private worker: Worker | null = null;
  private port: MessagePort | null = null;
  /** One flag a thread: a watcher that outlives its thread cannot flag a later one. */
  private flag = new Int32Array(new SharedArrayBuffer(4));
  /** The column arrays the worker holds (they are replaced when the columns grow). */
  private sent: ScanColumns | null = null;
  private restarts = 0;
  private busy = false;
  /** Scans the worker answered. */
  scans = 0;

  /** `scanEntry`: the module the scan thread runs (scan-worker by default; tests swap it). */
  constructor(private readonly scanEntry?: URL) {}

  /** Hand a scan to the worker; false when there is no worker to hand it to. */
  start(cols: ScanColumns, job: WorkerJob): boolean {
    // A job whose reply was never collected (the caller threw in between): collect it now,
    // so its reply cannot be taken for this job's.
    if (this.busy) this.wait();
    const w = this.ensure();
    if (w === null) return false;
    const { alive, published, ntokens, facet, cluster } = cols;
    const port = this.port!;
    const s = this.sent;
    if (s === null || s.alive !== alive || s.published !== published || s.ntokens !== ntokens || s.facet !== facet || s.cluster !== cluster) {
      port.postMessage({ type: 'columns', cols: { alive, published, ntokens, facet, cluster } });
      this.sent = { alive, published, ntokens, facet, cluster };
    }
    // A thread that died since its last job (its exit event not seen yet) is not given this one.
    if (Atomics.exchange(this.flag, 0, FLAG_WAITING) === FLAG_DEAD) {
      this.drop(new Error('scan worker exited'));
      return false;
    }
    // Chunks are copied (structured clone; a 2 MB list costs ~0.2 ms); shared arrays are not.
    if (job.type === 'join' || job.type === 'range') port.postMessage(job);
    else port.postMessage({ type: job.type, job: { ...job.job, chunks: job.job.chunks.map((c) => ({ n: c.n, docs: c.docs })) } });
    this.busy = true;
    return true;
  }

  /** The reply to the job started; null when the worker failed or timed out (then do it here). */
  wait(): WorkerResult | null {
    this.busy = false;
    Atomics.wait(this.flag, 0, FLAG_WAITING, WAIT_MS);
    const msg = this.port ? receiveMessageOnPort(this.port) : undefined;
    if (msg === undefined) {
      const dead = Atomics.load(this.flag, 0) === FLAG_DEAD;
      this.drop(new Error(dead ? 'scan worker exited during a search' : `scan worker did not answer within ${WAIT_MS} ms`));
      return null;
    }
    const reply = msg.message as ScanReply;
    if (!reply.ok) {
      this.drop(new Error(`scan worker failed: ${reply.error}`));
      return null;
    }
    this.scans++;
    return reply;
  }

  /** Start the thread now (it loads its modules while the process does other things). */
  warm(): void {
    this.ensure();
  }

  close(): void {
    const w = this.worker;
    this.worker = null;
    this.port?.close();
    this.port = null;
    this.sent = null;
    if (w) void w.terminate();
  }

  private drop(err: Error): void {
    process.emitWarning(`${err.message}; scanning on the main thread`, { code: 'LODESTONE_SCAN_WORKER' });
    this.close();
  }

  private ensure(): Worker | null {
    if (this.worker) return this.worker;
    if (this.restarts >= MAX_RESTARTS) return null;
    this.restarts++;
    // Jobs go out and replies come back over one channel, straight between this thread and
    // the scan thread; the watcher only hands the scan thread its end.
    const { port1, port2 } = new MessageChannel();
    this.flag = new Int32Array(new SharedArrayBuffer(4));
    // Under tsx (tests, benchmarks) the threads are TypeScript and need the same loader.
    const isTs = underTsx(import.meta.url);
    const tsx = TSX_LOADER.href;
    const scanEntry = this.scanEntry?.href ?? new URL(isTs ? './scan-worker.ts' : './scan-worker.js', import.meta.url).href;
    const scan: ThreadSpec = isTs ? { file: tsx, entry: scanEntry } : { file: scanEntry, entry: '' };
    const workerData: WatchData = { port: port2, flag: this.flag, scan, entry: new URL('./scan-watch.ts', import.meta.url).href };
    const w = new Worker(isTs ? new URL(tsx) : new URL('./scan-watch.js', import.meta.url), { workerData, transferList: [port2] });
    w.unref();
    w.on('error', (err) => {
      if (this.worker === w) this.drop(err);
    });
    // The watcher exits with the scan thread (crashed, or terminated from outside): seen
    // between searches, it is dropped here before the next job.
    w.on('exit', (code) => {
      if (this.worker === w) this.drop(new Error(`scan worker exited (code ${code})`));
    });
    this.worker = w;
    this.port = port1;
    return w;
  }
}
