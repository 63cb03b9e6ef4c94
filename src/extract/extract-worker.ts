/** Worker thread: runs extraction jobs for the sandbox (see sandbox.ts), one at a time. */
import { parentPort } from 'node:worker_threads';
import { LodestoneError } from '../core/errors.js';
import { lowerPriority } from '../core/threads.js';
import { extractBytes } from './extract.js';
import type { SandboxReply, SandboxRequest } from './sandbox.js';

// Parsing is background work: the thread answering requests comes first.
lowerPriority();

parentPort?.on('message', (req: SandboxRequest) => {
  extractBytes(req.job).then(
    (result) => parentPort?.postMessage({ id: req.id, ok: true, result } satisfies SandboxReply),
    (err: unknown) => {
      const reply: SandboxReply =
        err instanceof LodestoneError
          ? { id: req.id, ok: false, code: err.code, message: err.message }
          : { id: req.id, ok: false, code: 'unsupported_format', message: `could not read it: ${err instanceof Error ? err.message : String(err)}` };
      parentPort?.postMessage(reply);
    },
  );
});

// Loaded: the sandbox starts a job's deadline from here, not from the thread's start.
parentPort?.postMessage({ ready: true });
