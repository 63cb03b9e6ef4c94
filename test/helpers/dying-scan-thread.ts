/**
 * A scan thread that dies in the middle of its first job (parallel.test.ts): it takes the
 * columns, then exits when a job arrives, without answering.
 */
import { type MessagePort, workerData } from 'node:worker_threads';

const { port } = workerData as { port: MessagePort };
port.on('message', (m: { type: string }) => {
  if (m.type !== 'columns') process.exit(3);
});
