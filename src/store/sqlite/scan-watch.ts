/**
 * The watcher thread (parallel.ts): starts the scan thread and waits for it to end. The
 * main thread blocks in Atomics.wait while a scan runs, so it cannot see the scan thread
 * exit; this thread's event loop can, and it raises the shared flag as DEAD and wakes the
 * main thread, which then scans the rest itself. It then exits too, so the main thread also
 * sees an 'exit' between searches.
 */
import { Worker, workerData } from 'node:worker_threads';
import { FLAG_DEAD, type WatchData } from './parallel.js';

const { port, flag, scan } = workerData as WatchData;
const scanThread = new Worker(new URL(scan.file), {
  workerData: { port, flag, entry: scan.entry },
  transferList: [port],
});
scanThread.on('error', () => {
  // Its 'exit' follows; the main thread scans the rest.
});
scanThread.on('exit', (code) => {
  Atomics.store(flag, 0, FLAG_DEAD);
  Atomics.notify(flag, 0);
  process.exit(code === 0 ? 1 : code);
});
