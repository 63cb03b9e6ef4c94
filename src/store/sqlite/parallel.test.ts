import { describe, expect, it } from 'vitest';
import { ScanWorker, type WorkerJob } from './parallel.js';
import type { ScanColumns } from './scan.js';

describe('scan worker', () => {
  it('a scan thread that dies in the middle of a job is seen at once (by its watcher), not after the 10 s wait', async () => {
    const w = new ScanWorker(new URL('../../../test/helpers/dying-scan-thread.ts', import.meta.url));
    const cols: ScanColumns = {
      alive: new Uint8Array(new SharedArrayBuffer(4)),
      published: new Float64Array(new SharedArrayBuffer(32)),
      ntokens: new Uint32Array(new SharedArrayBuffer(16)),
      facet: new Uint32Array(new SharedArrayBuffer(16)),
      cluster: new Int32Array(new SharedArrayBuffer(16)),
    };
    const job = { type: 'scan', job: { chunks: [] } } as unknown as WorkerJob;
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      expect(w.start(cols, job)).toBe(true);
      // The main thread blocks in Atomics.wait; the watcher flags the exit and wakes it.
      expect(w.wait()).toBeNull();
      await new Promise((r) => setImmediate(r));
      expect(warnings.join('\n')).toMatch(/scan worker exited during a search; scanning on the main thread/);
      // A later job gets a new thread (which dies too), and is told the same way.
      expect(w.start(cols, job)).toBe(true);
      expect(w.wait()).toBeNull();
    } finally {
      w.close();
      process.off('warning', onWarning);
    }
  });
});
