/**
 * Worker threads from our own modules. The built product starts the compiled `.js` module;
 * under tsx (tests, benchmarks run from src/) the module is TypeScript, so the thread starts
 * `worker-tsx.mjs`, which registers tsx and imports it (`workerData.entry`).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { isMainThread, Worker, type WorkerOptions } from 'node:worker_threads';
import { config } from './config.js';

/** The loader a thread under tsx starts with. */
export const TSX_LOADER = new URL('./worker-tsx.mjs', import.meta.url);

/** Whether the module at `base` (its import.meta.url) runs as TypeScript, under tsx. */
export function underTsx(base: string): boolean {
  return base.endsWith('.ts');
}

/** A thread running the module `name` (no extension) next to `base` (the caller's import.meta.url). */
export function startThread(
  base: string,
  name: string,
  workerData: Record<string, unknown> = {},
  /** Other Worker options, such as resourceLimits. */
  options: Omit<WorkerOptions, 'workerData'> = {},
): Worker {
  if (!underTsx(base)) return new Worker(new URL(`./${name}.js`, base), { ...options, workerData });
  return new Worker(TSX_LOADER, { ...options, workerData: { ...workerData, entry: new URL(`./${name}.ts`, base).href } });
}

/**
 * Lowers the calling thread's CPU priority (nice 19 by default) for bulk work. On Linux a priority is
 * per thread and threads inherit their creator's, so a bulk ingest calls this before it
 * starts its worker threads, and a server's background workers call it as they start: on a
 * two-core machine an ingest otherwise takes the CPU from the server answering searches
 * (issue 17: search p99 237 ms under a concurrent `lodestone ingest`, 25 ms idle). Alone, a
 * lowered priority costs nothing. LODESTONE_BULK_NICE=0 keeps the normal priority.
 */
export function lowerPriority(): void {
  // In a worker thread this lowers that thread only (a server's background workers); in the
  // main thread of a bulk command, every thread of the process.
  const nice = config().bulkNice;
  if (nice <= 0) return;
  try {
    setPriority(Math.min(19, nice));
  } catch {
    // not permitted here: run at the normal priority
    return;
  }
  // The threads Node started before this call (V8's garbage-collection and compiler helpers,
  // libuv's pool) keep their priority: set each (Linux lists them in /proc/self/task; a
  // thread id is a valid target of setpriority there).
  if (!isMainThread || process.platform !== 'linux') return;
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        setPriority(Number(tid), Math.min(19, nice));
      } catch {
        // a thread that ended meanwhile
      }
    }
  } catch {
    // no /proc: the calling thread and its later threads only
  }
  // With autogroups, the kernel first shares the CPU between sessions (terminals), then by
  // nice within each: an ingest started from another terminal than the server would get
  // half the CPU whatever its nice value (search p99 under a writer 3.2x idle, against 1.8x
  // in one session). A process alone in a session of its own lowers its group as well.
  if (autogroupsOn() && ownSession()) {
    try {
      writeFileSync('/proc/self/autogroup', String(Math.min(19, nice)));
    } catch {
      // not permitted: the nice values above still apply within the group
    }
  }
}

/** Linux with the scheduler's autogroups on (per-session CPU groups). */
export function autogroupsOn(): boolean {
  try {
    return process.platform === 'linux' && readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

/** Is this process the leader of its own session (so its autogroup holds it alone)? */
export function ownSession(): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // pid (comm) state ppid pgrp session …: fields after the command name, which may hold spaces.
    const session = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
    return session === process.pid;
  } catch {
    return false;
  }
}
