/**
 * A process that writes a bulk batch (starting the checkpoint thread), closes the store and
 * lets its event loop run dry: it must exit with code 0, not 13 (a top-level await that never
 * settled because nothing kept the loop alive). Run by checkpointer.test.ts.
 */
import { analyzeDocument } from '../../src/analysis/analyzer.js';
import { doc } from '../../src/store/contract/suite.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';

const s = SqliteStore.open(process.argv[2]!);
await s.upsert(Array.from({ length: 1000 }, (_, i) => analyzeDocument(doc(`c${i}`, `稀土 ${i}`, `第${i}号公告：钕铁硼订单${i}份。`))));
if (s.checkpoints === null) throw new Error('no checkpoint thread');
await s.close();
console.log('closed');
