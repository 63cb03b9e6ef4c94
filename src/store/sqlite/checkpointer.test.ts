import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../../test/helpers/cli.js';
import { tempDir } from '../../../test/helpers/fixtures.js';
import { analyzeDocument } from '../../analysis/analyzer.js';
import { parseQuery } from '../../search/query/parse.js';
import { doc } from '../contract/suite.js';
import { SqliteStore } from './store.js';

const batch = (from: number, n: number, topic = '') =>
  Array.from({ length: n }, (_, i) =>
    analyzeDocument(
      doc(`c${from + i}`, `稀土快讯 ${from + i}`, `第${from + i}号公告：镨钕价格${(from + i) % 97}万元每吨，钕铁硼订单${from + i}份。${topic}`),
    ),
  );
const count = async (s: SqliteStore) =>
  (await s.search({ query: parseQuery('稀土'), filters: {}, sort: 'newest', collapse: false, limit: 1, offset: 0, facets: false })).total;

describe.skipIf(availableParallelism() < 2)('checkpoints on their own thread', () => {
  it('a bulk batch moves checkpoints to a thread, which copies every committed frame into the database', async () => {
    const dir = tempDir('lodestone-ckpt-');
    const s = SqliteStore.open(dir);
    await s.upsert(batch(0, 10)); // small: the connection checkpoints itself
    expect(s.checkpoints).toBeNull();
    expect(s.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await s.upsert(batch(10, 1000));
    expect(s.checkpoints?.alive).toBe(true);
    expect(s.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    // New frequent words: the batch is followed by a promotion, a transaction of its own.
    await s.upsert(batch(1010, 1000, '固态电池产能扩张。'));
    await s.checkpoints!.idle();
    const last = s.checkpoints!.last;
    expect(last?.ok).toBe(true);
    if (last?.ok) expect(last.checkpointed).toBe(last.log);
    // Everything was checkpointed (promotions' frames too), so the next write starts the
    // WAL over: its checkpoint finds only that write's few frames.
    await s.upsert(batch(2010, 10));
    await s.checkpoints!.idle();
    const after = s.checkpoints!.last;
    expect(after?.ok && after.log).toBeGreaterThan(0);
    expect(after?.ok && after.log).toBeLessThan(last?.ok ? last.log / 4 : 0);
    await s.close();
    // The last connection closed: everything is in the database file.
    expect(existsSync(join(dir, 'lodestone.db-wal'))).toBe(false);
    const again = SqliteStore.open(dir);
    expect(await count(again)).toBe(2020);
    await again.close();
  });

  it('when the thread dies, the connection checkpoints itself again and nothing is lost', async () => {
    const dir = tempDir('lodestone-ckpt-');
    const s = SqliteStore.open(dir);
    await s.upsert(batch(0, 1000));
    const thread = s.checkpoints!;
    await thread.kill();
    expect(thread.alive).toBe(false);
    expect(s.checkpoints).toBeNull();
    expect(s.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await s.upsert(batch(1000, 1000)); // not started again
    expect(s.checkpoints).toBeNull();
    expect(await count(s)).toBe(2000);
    await s.close();
    expect(statSync(join(dir, 'lodestone.db')).size).toBeGreaterThan(0);
    const again = SqliteStore.open(dir);
    expect(await count(again)).toBe(2000);
    await again.close();
  });

  it('a process that closes the store after a bulk write exits by itself, with code 0', () => {
    const dir = tempDir('lodestone-ckpt-');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'helpers', 'bulk-close.ts'), dir], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('closed');
    expect(r.status).toBe(0);
  });
});
