/**
 * The checkpoint thread (checkpointer.ts): its own connection to the database file, which
 * copies committed WAL frames into the database whenever the writing thread asks. Requests
 * that arrive while a checkpoint runs are answered by one more checkpoint, not one each.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckpointDone, CheckpointerData } from './checkpointer.js';

const { file, journalSizeLimit } = workerData as CheckpointerData;
const db = new Database(file);
db.pragma('busy_timeout = 10000');
db.pragma(`journal_size_limit = ${journalSizeLimit}`);
let queued = false;
/** Requests received; a checkpoint covers every request received before it started. */
let seen = 0;

parentPort!.on('message', (m: 'checkpoint' | 'close') => {
  if (m === 'close') {
    db.close();
    parentPort!.close();
    return;
  }
  seen++;
  if (queued) return;
  queued = true;
  setImmediate(() => {
    queued = false;
    const upTo = seen;
    let done: CheckpointDone;
    try {
      const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
      done = { ok: true, upTo, log: r?.log ?? 0, checkpointed: r?.checkpointed ?? 0 };
    } catch (err) {
      // Another connection checkpointing at the same time: the next request tries again.
      done = { ok: false, upTo, error: (err as Error).message };
    }
    parentPort!.postMessage(done);
  });
});
