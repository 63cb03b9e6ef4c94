/**
 * Worker threads from our own modules. The built product starts the compiled `.js` module;
 * under tsx (tests, benchmarks run from src/) the module is TypeScript, so the thread starts
 * `worker-tsx.mjs`, which registers tsx and imports it (`workerData.entry`).
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

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
