/** Shared helpers for benchmarks: corpus paths, timing, percentiles, machine description. */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');
export const CORPORA = process.env.LODESTONE_CORPORA ?? join(ROOT, '..', 'shared', 'corpora');
export const OUT = join(ROOT, 'bench', 'out');

export function corpusFiles(name: string): string[] | null {
  const dir = join(CORPORA, name);
  if (!existsSync(dir)) return null;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ndjson') || f.endsWith('.ndjson.gz'))
    .sort()
    .map((f) => join(dir, f));
}

export function skip(name: string, why: string): void {
  console.log(`SKIP ${name}: ${why}`);
}

export function outDir(name: string): string {
  const d = join(OUT, name);
  mkdirSync(d, { recursive: true });
  return d;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export function machine(): string {
  const c = cpus();
  return `${c.length} cores (${c[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

/**
 * A fixed CPU workload (dependent integer steps over a 16 MB typed array, like a posting
 * scan's reads of the columns), timed seven times. It does not use Lodestone's code, so it
 * changes only with the machine: this machine's speed has varied ~3x between days, and
 * figures from runs on different days compare only after scaling by their probes' ratio.
 */
export function cpuProbe(): string {
  const a = new Int32Array(1 << 22);
  let x = 2463534242;
  for (let i = 0; i < a.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    a[i] = x;
  }
  const mask = a.length - 1;
  const times: number[] = [];
  let sink = 0;
  for (let r = 0; r < 7; r++) {
    const t = performance.now();
    let j = 0;
    for (let i = 0; i < 20_000_000; i++) {
      j = (j + (a[j]! & 15) + 1) & mask;
      sink += a[j]! >>> 28;
    }
    times.push(performance.now() - t);
  }
  // Using the sum keeps the loop from being optimised away.
  if (sink < 0) throw new Error('unreachable');
  times.sort((p, q) => p - q);
  return `CPU probe ${times[3]!.toFixed(1)} ms median, ${times[0]!.toFixed(1)}-${times[6]!.toFixed(1)} (fixed loop; lower is faster)`;
}

export function dirSize(dir: string): number {
  let total = 0;
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    const s = statSync(p);
    total += s.isDirectory() ? dirSize(p) : s.size;
  }
  return total;
}

export const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
