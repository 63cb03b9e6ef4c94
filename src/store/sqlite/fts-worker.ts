/**
 * The FTS5 thread (fts-reader.ts): answers MATCH expressions from its own read-only
 * connection — rowids ascending with FTS5's bm25 — so a one-character query, an FTS5 prefix
 * query over every word starting with that character (0.6 s for `的` over 171,000
 * documents), runs off the server's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { FtsReply, FtsRequest } from './fts-reader.js';
import { rowsToScored } from './fts.js';

const { file, titleWeight, bodyWeight } = workerData as { file: string; titleWeight: number; bodyWeight: number };
const db = new Database(file, { readonly: true });
db.pragma('busy_timeout = 10000');
const match = db
  .prepare(`SELECT rowid, bm25(fts, ${titleWeight}, ${bodyWeight}) FROM fts WHERE fts MATCH ? ORDER BY rowid`)
  .raw(true);

parentPort?.on('message', (req: FtsRequest) => {
  try {
    // One read transaction: every expression sees the same commit.
    const out = db.transaction(() =>
      req.exprs.map((expr) => rowsToScored(match.all(expr) as [number, number][])),
    )();
    parentPort?.postMessage({ id: req.id, ok: true, sets: out } satisfies FtsReply, out.flatMap((s) => [s.ids.buffer, s.scores.buffer]));
  } catch (err) {
    parentPort?.postMessage({ id: req.id, ok: false, error: (err as Error).message } satisfies FtsReply);
  }
});
