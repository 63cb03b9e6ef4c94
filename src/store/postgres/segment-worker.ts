/**
 * The thread that builds a batch's posting segment (segments.ts `buildSegment`) while the
 * writing thread stores the batch's documents: the blocks come back as one transferred
 * buffer with their lengths.
 */
import { parentPort } from 'node:worker_threads';
import { buildSegment } from './segments.js';

export interface SegmentJob {
  id: number;
  docs: { seq: number; titleTerms: string; bodyTerms: string }[];
}

export type SegmentReply = { id: number; firsts: string[]; lasts: string[]; lengths: number[]; data: ArrayBuffer } | { id: number; error: string };

parentPort?.on('message', (job: SegmentJob) => {
  try {
    const blocks = buildSegment(job.docs);
    let size = 0;
    for (const b of blocks) size += b.body.length;
    const data = new ArrayBuffer(size);
    const view = new Uint8Array(data);
    let off = 0;
    for (const b of blocks) {
      view.set(b.body, off);
      off += b.body.length;
    }
    const reply: SegmentReply = { id: job.id, firsts: blocks.map((b) => b.first), lasts: blocks.map((b) => b.last), lengths: blocks.map((b) => b.body.length), data };
    parentPort!.postMessage(reply, [data]);
  } catch (err) {
    parentPort!.postMessage({ id: job.id, error: (err as Error).message } satisfies SegmentReply);
  }
});
