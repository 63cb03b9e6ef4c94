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
