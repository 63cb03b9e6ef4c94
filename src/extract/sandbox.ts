/**
 * The extraction sandbox: untrusted bytes (uploads, fetched pages and feeds, files) are
 * parsed in a worker thread with a heap cap and a deadline, so no file can freeze the event
 * loop (Readability on deeply nested HTML, mammoth on a DOCX bomb) or take the process down
 * with it (a worker out of memory dies alone). A job that runs past its deadline, or whose
 * caller gave up (an HTTP client that went away), ends its worker; the next job starts a
 * fresh one.
 *
 * Limits: typed-array memory (pdf.js inflating a stream) is outside V8's heap cap, so
 * `checkPdfStreams` and `checkDocx` bound decompression before the parsers run; LZW and
 * run-length PDF filters are bounded only by the deadline.
 */
import type { Worker } from 'node:worker_threads';
import { type ErrorCode, LodestoneError } from '../core/errors.js';
import { startThread } from '../core/threads.js';
import { type Extracted, type ExtractJob, extractBytes } from './extract.js';
import { config } from '../core/config.js';

export type SandboxRequest = { id: number; job: ExtractJob };
export type SandboxReply = { id: number; ok: true; result: Extracted } | { id: number; ok: false; code: ErrorCode; message: string };

export interface SandboxOptions {
  /** Deadline of one job (default 60 s, LODESTONE_EXTRACT_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Old-generation heap of a worker in MB (default 768). */
  heapMb?: number;
}

/** Anything that turns bytes into documents: the sandbox, or (tests, fallback) the calling thread. */
export interface Extractor {
  extract(job: ExtractJob, signal?: AbortSignal): Promise<Extracted>;
  close(): Promise<void>;
}

/** On the calling thread, unbounded: only where the input is known to be ours. */
export const inlineExtractor: Extractor = {
  extract: (job) => extractBytes(job),
  async close() {},
};

interface Pending {
  job: ExtractJob;
  signal: AbortSignal | undefined;
  resolve: (r: Extracted) => void;
  reject: (e: Error) => void;
}

function defaultTimeout(): number {
  return config().extractTimeoutMs;
}

export class ExtractionSandbox implements Extractor {
  private worker: Worker | null = null;
  private readonly queue: Pending[] = [];
  private current: (Pending & { id: number; timer: NodeJS.Timeout; onAbort: () => void }) | null = null;
  private next = 1;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly heapMb: number;
  private readonly online = new WeakSet<Worker>();

  constructor(opts: SandboxOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? defaultTimeout();
    this.heapMb = opts.heapMb ?? 768;
  }

  extract(job: ExtractJob, signal?: AbortSignal): Promise<Extracted> {
    if (this.closed) return Promise.reject(new LodestoneError('internal', 'the extraction sandbox is closed'));
    if (signal?.aborted) return Promise.reject(aborted());
    return new Promise((resolve, reject) => {
      this.queue.push({ job, signal, resolve, reject });
      this.pump();
    });
  }

  private spawn(): Worker {
    const w = startThread(import.meta.url, 'extract-worker', {}, { resourceLimits: { maxOldGenerationSizeMb: this.heapMb } });
    w.on('message', (reply: SandboxReply | { ready: true }) => {
      if ('ready' in reply) {
        this.online.add(w);
        w.emit('lodestone-ready');
        return;
      }
      const cur = this.current;
      if (!cur || cur.id !== reply.id) return;
      this.finish();
      if (reply.ok) cur.resolve(reply.result);
      else cur.reject(new LodestoneError(reply.code, reply.message));
    });
    w.on('error', (err: Error & { code?: string }) => {
      if (this.worker !== w) return;
      this.worker = null;
      const cur = this.current;
      if (!cur) return;
      this.finish();
      cur.reject(
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new LodestoneError('too_large', `reading it needed more than ${this.heapMb} MB of memory; not read`)
          : new LodestoneError('unsupported_format', `could not read it: ${err.message}`),
      );
    });
    w.on('exit', () => {
      if (this.worker !== w) return;
      this.worker = null;
      const cur = this.current;
      if (cur) {
        this.finish();
        cur.reject(new LodestoneError('unsupported_format', 'could not read it: the reader stopped'));
      }
    });
    w.unref();
    return w;
  }

  private pump(): void {
    if (this.current || this.closed) return;
    const p = this.queue.shift();
    if (!p) return;
    if (p.signal?.aborted) {
      p.reject(aborted());
      this.pump();
      return;
    }
    if (!this.worker) {
      try {
        this.worker = this.spawn();
      } catch {
        // No thread (should not happen on Node 20): read on this thread rather than not at all.
        extractBytes(p.job).then(p.resolve, p.reject).finally(() => this.pump());
        return;
      }
    }
    const id = this.next++;
    const stop = (err: LodestoneError) => {
      if (this.current?.id !== id) return;
      this.finish();
      this.kill();
      p.reject(err);
    };
    const limit = this.timeoutMs >= 1000 ? `${Math.round(this.timeoutMs / 1000)} s` : `${this.timeoutMs} ms`;
    const onTimeout = () => stop(new LodestoneError('too_large', `reading it took longer than ${limit}; not read (too large or too complex)`));
    const onAbort = () => stop(aborted());
    p.signal?.addEventListener('abort', onAbort, { once: true });
    // The deadline counts the job's own work: a worker that is still starting (a fresh one
    // after a kill, or under tsx compiling its modules) starts the clock once it has loaded.
    const worker = this.worker;
    const cur = { ...p, id, timer: setTimeout(() => {}, 0), onAbort };
    clearTimeout(cur.timer);
    if (this.online.has(worker)) cur.timer = setTimeout(onTimeout, this.timeoutMs);
    else worker.once('lodestone-ready', () => {
      if (this.current === cur) cur.timer = setTimeout(onTimeout, this.timeoutMs);
    });
    this.current = cur;
    worker.ref();
    worker.postMessage({ id, job: p.job } satisfies SandboxRequest);
  }

  /** Clears the current job and starts the next one. */
  private finish(): void {
    const cur = this.current;
    if (!cur) return;
    clearTimeout(cur.timer);
    cur.signal?.removeEventListener('abort', cur.onAbort);
    this.current = null;
    this.worker?.unref();
    queueMicrotask(() => this.pump());
  }

  private kill(): void {
    const w = this.worker;
    this.worker = null;
    void w?.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new LodestoneError('internal', 'the extraction sandbox is closed'));
    const cur = this.current;
    if (cur) {
      this.finish();
      cur.reject(new LodestoneError('internal', 'the extraction sandbox is closed'));
    }
    const w = this.worker;
    this.worker = null;
    await w?.terminate();
  }
}

function aborted(): LodestoneError {
  return new LodestoneError('aborted', 'abandoned: the client went away');
}
