/**
 * WAL checkpoints on another thread during bulk writes. A checkpoint copies the frames the
 * writing connection committed to the WAL into the database file (and syncs it); SQLite's
 * automatic checkpoint does that on the committing thread, after each commit that leaves
 * more than 1,000 pages in the WAL: 8% of the writing thread's time in a 100,000-document
 * ingest (3.7 s of 41 s of transactions), work the second core can do meanwhile.
 *
 * The writing connection stops checkpointing itself (`wal_autocheckpoint = 0`) while this
 * thread lives, and asks for a checkpoint after each batch and the promotions that follow
 * it; a PASSIVE checkpoint takes no lock writers wait for. A write transaction that finds
 * every frame checkpointed starts the WAL over, as with automatic checkpoints; one that
 * begins while the thread still works appends, so the store waits for the thread when the
 * WAL has grown past 256 MB. If the thread cannot start or dies, the connection checkpoints
 * itself again (`onFail`); nothing is lost either way (the WAL holds every committed frame
 * until some connection checkpoints it).
 */
import { once } from 'node:events';
import { statSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { startThread } from '../../core/threads.js';

export interface CheckpointerData {
  file: string;
  journalSizeLimit: number;
}

/** A checkpoint's outcome; it covers the first `upTo` requests. */
export type CheckpointDone = { upTo: number } & ({ ok: true; log: number; checkpointed: number } | { ok: false; error: string });

export class Checkpointer {
  private worker: Worker | null;
  private closing = false;
  /** Checkpoints asked for and answered (tests wait for them to match). */
  private asked = 0;
  private answered = 0;
  private waiters: (() => void)[] = [];
  /** The last checkpoint's answer. */
  last: CheckpointDone | null = null;

  private readonly file: string;

  constructor(data: CheckpointerData, onFail: (err: Error) => void) {
    this.file = data.file;
    const w = startThread(import.meta.url, 'checkpoint-worker', { ...data });
    w.unref();
    w.on('message', (done: CheckpointDone) => {
      this.last = done;
      this.answered = done.upTo;
      // Only once every request so far is covered: an earlier request's answer can arrive
      // while a later one waits.
      if (this.answered >= this.asked) for (const resolve of this.waiters.splice(0)) resolve();
    });
    const fail = (err: Error) => {
      if (this.worker !== w) return;
      this.worker = null;
      for (const resolve of this.waiters.splice(0)) resolve();
      if (!this.closing) onFail(err);
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`checkpoint thread exited (code ${code})`)));
    this.worker = w;
  }

  get alive(): boolean {
    return this.worker !== null;
  }

  /** Size of the WAL file now (0 when there is none). */
  walBytes(): number {
    try {
      return statSync(`${this.file}-wal`).size;
    } catch {
      return 0;
    }
  }

  /** Ask for a checkpoint of everything committed so far. */
  request(): void {
    if (this.worker === null) return;
    this.asked++;
    this.worker.postMessage('checkpoint');
  }

  /** Resolves when every checkpoint asked for so far has run (or the thread is gone). */
  idle(): Promise<void> {
    if (this.worker === null || this.answered >= this.asked) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stop the thread (its connection closed first). */
  async close(): Promise<void> {
    const w = this.worker;
    if (w === null) return;
    this.closing = true;
    // Keep the process alive until the thread is gone (it is unref'd so that an idle one
    // never holds a process open; awaiting an unref'd thread would let Node exit, code 13).
    w.ref();
    const exited = once(w, 'exit');
    w.postMessage('close');
    await exited;
  }

  /** Tests: end the thread as a crash would. */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }
}
