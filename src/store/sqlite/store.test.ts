import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/fixtures.js';
import { analyzeDocument } from '../../analysis/analyzer.js';
import { parseQuery } from '../../search/query/parse.js';
import { doc, runStoreContract, T0 } from '../contract/suite.js';
import type { SearchRequest } from '../ports.js';
import { SqliteStore } from './store.js';

runStoreContract('sqlite', async () => SqliteStore.open(tempDir('lodestone-store-')));
// Every term that matches anything becomes hot on first use: the same contract through the
// hot posting lists (phrases from positions, BM25 computed in JavaScript).
runStoreContract('sqlite, hot lists', async () => SqliteStore.open(tempDir('lodestone-store-'), { hotThreshold: 1 }));

describe('in-memory columns snapshot', () => {
  const req = (q: string, filters: SearchRequest['filters'] = {}): SearchRequest => ({
    query: q === '' ? null : parseQuery(q),
    filters,
    sort: 'newest',
    collapse: true,
    limit: 100,
    offset: 0,
    facets: true,
  });
  const docs = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => {
      const k = from + i;
      return analyzeDocument(
        doc(`s${k}`, `稀土 ${k}`, `北方稀土 永磁 ${k % 3 === 0 ? '出口管制' : '价格'}`, {
          source: k % 2 === 0 ? 'desk' : 'wire',
          type: k % 4 === 0 ? 'report' : 'news',
          publishedAt: T0 + k * 86_400_000 * 7,
        }),
      );
    });
  const shapes: [string, SearchRequest['filters']][] = [
    ['稀土', {}],
    ['永磁 source:desk type:news', {}],
    ['"出口管制"', { sources: ['desk'] }],
    ['', { types: ['report'] }],
    ['永磁', { from: T0 + 30 * 86_400_000, to: T0 + 200 * 86_400_000 }],
  ];
  const answers = async (s: SqliteStore) => Promise.all(shapes.map(([q, f]) => s.search(req(q, f))));

  it('a reopened store answers from the snapshot plus later changes exactly as from the rows', async () => {
    const dir = tempDir('lodestone-snap-');
    const a = SqliteStore.open(dir, { snapshotMinRows: 1 });
    await a.upsert(docs(0, 40));
    const before = await answers(a);
    await a.close(); // saves the snapshot
    const b = SqliteStore.open(dir, { snapshotMinRows: 1 });
    expect(b.db.prepare('SELECT count(*) FROM column_snapshot').pluck().get()).toBe(1);
    expect(await answers(b)).toEqual(before);
    // Changes after the snapshot, from another connection: new documents, an update, a delete.
    const w = SqliteStore.open(dir, { snapshotMinRows: 1_000_000 });
    await w.upsert(docs(40, 25));
    await w.upsert([analyzeDocument(doc('s3', '稀土 changed', '出口管制 新内容', { source: 'wire' }))]);
    await w.deleteByRowid((await w.findByPublicId('s8')).map((d) => d.rowid));
    await w.close();
    const c = SqliteStore.open(dir, { snapshotMinRows: 1_000_000 }); // snapshot + changes
    const fromRows = SqliteStore.open(dir, { snapshotMinRows: 1_000_000 });
    fromRows.db.prepare('DELETE FROM column_snapshot').run(); // this one reads every row
    const want = await answers(fromRows);
    expect(want[0]!.total).toBe(64); // 65 documents, one deleted
    expect(await answers(c)).toEqual(want);
    // b had the columns from the snapshot and reads the changes as a running server does.
    expect(await answers(b)).toEqual(want);
    for (const s of [b, c, fromRows]) await s.close();
  });
});

describe('schema upgrades', () => {
  it('says once that an existing database is being upgraded, then opens it upgraded', async () => {
    const dir = tempDir('lodestone-upgrade-');
    const a = SqliteStore.open(dir);
    await a.upsert([analyzeDocument(doc('u1', '稀土', '北方稀土'))]);
    await a.close();
    // Back to schema 8: undo migrations 9 to 11.
    const raw = new Database(join(dir, 'lodestone.db'));
    raw.exec(
      "DROP INDEX documents_columns; CREATE INDEX documents_rev ON documents(rev); DROP TABLE column_snapshot; INSERT INTO fts(fts, rank) VALUES('automerge', 4); PRAGMA user_version = 8",
    );
    raw.close();
    const messages: string[] = [];
    const b = SqliteStore.open(dir, { onUpgrade: (m) => messages.push(m) });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/from schema 8 to 11 \(1 documents/);
    expect(b.db.pragma('user_version', { simple: true })).toBe(11);
    expect(b.db.prepare("SELECT v FROM fts_config WHERE k = 'automerge'").pluck().get()).toBe(16);
    expect((await b.search({ query: parseQuery('稀土'), filters: {}, sort: 'relevance', collapse: true, limit: 10, offset: 0, facets: false })).total).toBe(1);
    await b.close();
    const c = SqliteStore.open(dir, { onUpgrade: (m) => messages.push(m) });
    expect(messages).toHaveLength(1); // nothing to upgrade the second time
    await c.close();
  });
});
