import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/fixtures.js';
import { analyzeDocument } from '../../analysis/analyzer.js';
import { parseQuery } from '../../search/query/parse.js';
import { runRepoContract } from '../contract/repos.js';
import { doc, runStoreContract, T0 } from '../contract/suite.js';
import type { SearchRequest } from '../ports.js';
import { SqliteStore } from './store.js';
import { resetConfig } from '../../core/config.js';

runStoreContract('sqlite', async () => SqliteStore.open(tempDir('lodestone-store-')));
runRepoContract('sqlite', async () => SqliteStore.open(tempDir('lodestone-store-')));
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
    await w.deleteBySeq((await w.findByPublicId('s8')).map((d) => d.seq));
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

describe('column log', () => {
  const story = (id: string, source: string, body: string, at: number) =>
    analyzeDocument(doc(id, `稀土 ${id}`, body, { source, publishedAt: T0 + at * 3_600_000, type: at % 3 === 0 ? 'report' : 'news' }));
  const X = '北方稀土公告，上调镨钕氧化物挂牌价至每吨56万元。公司表示，高性能钕铁硼磁体需求旺盛，订单排至年底。';
  const req = (q: string): SearchRequest => ({ query: q === '' ? null : parseQuery(q), filters: {}, sort: 'newest', collapse: true, limit: 100, offset: 0, facets: true });
  const answers = (s: SqliteStore) => Promise.all(['', '稀土', '北方稀土 source:B', 'type:report'].map((q) => s.search(req(q))));

  it('a reader that follows another connection through the log answers as one that read every row; a gap falls back to the rows', async () => {
    const dir = tempDir('lodestone-log-');
    const w = SqliteStore.open(dir);
    const r = SqliteStore.open(dir);
    await w.upsert([story('a1', 'A', X, 1), story('a2', 'B', '碳酸锂价格下跌。', 2)]);
    await answers(r); // r has its columns
    // New documents, near copies joining and merging clusters, an update, a delete.
    await w.upsert([story('a3', 'C', `${X}分析人士认为，后市仍有上行空间。`, 3), story('a4', 'D', '光伏组件排产回升。', 4)]);
    await w.upsert([story('a2', 'B', '碳酸锂价格反弹。', 5)]);
    await w.deleteBySeq((await w.findByPublicId('a4')).map((d) => d.seq));
    expect(w.db.prepare('SELECT count(*) FROM column_log').pluck().get()).toBe(4);
    const fresh = SqliteStore.open(dir);
    expect(await answers(r)).toEqual(await answers(fresh));
    // Entries missing (an older writer, or too far behind): the rows are read, with the same result.
    await w.upsert([story('a5', 'E', X, 6)]);
    w.db.prepare('DELETE FROM column_log').run();
    await w.upsert([story('a6', 'F', '稀土永磁出口增长。', 7)]);
    const fresh2 = SqliteStore.open(dir);
    expect(await answers(r)).toEqual(await answers(fresh2));
    for (const s of [w, r, fresh, fresh2]) await s.close();
  });
});

describe('one-character terms on the FTS5 thread', () => {
  it('answers as the searching thread does, and stops a query past its time budget', async () => {
    const dir = tempDir('lodestone-fts-');
    const w = SqliteStore.open(dir);
    await w.upsert(
      ['稀土价格上涨', '锂矿扩产', '锂电池需求', '铜价回落，锂价企稳', '稀土出口'].map((t, i) =>
        analyzeDocument(doc(`f${i}`, t, `${t}。第${i}条消息。`, { publishedAt: T0 + i * 86_400_000 })),
      ),
    );
    const threaded = SqliteStore.open(dir, { parallel: true });
    const req = (q: string, sort: 'relevance' | 'newest' = 'relevance'): SearchRequest => ({
      query: parseQuery(q),
      filters: {},
      sort,
      collapse: true,
      limit: 10,
      offset: 0,
      facets: true,
    });
    for (const q of ['锂', 'title:锂', '锂 -稀土', '稀 OR 铜', '锂 稀', '价 NOT 锂']) {
      for (const sort of ['relevance', 'newest'] as const) expect(await threaded.search(req(q, sort)), q).toEqual(await w.search(req(q, sort)));
    }
    // A budget shorter than the thread takes to start and answer: stopped, then a new thread.
    const cold = SqliteStore.open(dir, { parallel: true });
    process.env.LODESTONE_QUERY_TIMEOUT_MS = '1';
    resetConfig();
    try {
      await expect(cold.search(req('锂'))).rejects.toMatchObject({ code: 'query_too_costly' });
    } finally {
      delete process.env.LODESTONE_QUERY_TIMEOUT_MS;
      resetConfig();
    }
    expect((await cold.search(req('锂'))).total).toBe(3);
    for (const s of [w, threaded, cold]) await s.close();
  });
});

describe('LSH buckets in memory', () => {
  const story = (id: string, source: string, body: string, extra = '') =>
    analyzeDocument(doc(id, '北方稀土上调挂牌价', `${body}${extra}`, { source, publishedAt: T0 }));
  const X = '北方稀土公告，上调镨钕氧化物挂牌价至每吨56万元。公司表示，高性能钕铁硼磁体需求旺盛，订单排至年底。';
  const Y = '宁德时代发布新一代钠离子电池，能量密度达到每公斤175瓦时，计划明年实现量产并供货多家车企。';
  const more = '分析人士认为，后市仍有上行空间。';

  it('finds near copies written by another connection since its last write, and recovers from a rolled-back batch', async () => {
    const dir = tempDir('lodestone-lsh-');
    const a = SqliteStore.open(dir);
    const b = SqliteStore.open(dir);
    await a.upsert([analyzeDocument(doc('other', '其他消息', '碳酸锂价格下跌，锂矿股走弱。'))]); // a loads its buckets
    const [x1] = await b.upsert([story('x1', 'A', X)]);
    const [x2] = await a.upsert([story('x2', 'B', X, more)]); // only in b's write: a catches up
    expect(x1!.clusterId).toBeNull();
    expect(x2!.clusterId).not.toBeNull();
    expect((await a.cluster(x2!.clusterId!))!.members.map((m) => m.id)).toEqual(['x1', 'x2']);

    // A batch that fails after writing a near copy rolls back; its rowid is used again.
    a.db.exec("CREATE TRIGGER boom BEFORE INSERT ON documents WHEN NEW.public_id = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END");
    await expect(a.upsert([story('y1', 'A', Y), story('boom', 'C', '另一条消息，内容无关。')])).rejects.toThrow(/boom/);
    a.db.exec('DROP TRIGGER boom');
    const [y2, y3] = await a.upsert([story('y2', 'B', Y), story('y3', 'C', Y, more)]);
    expect(y2!.seq).toBeLessThanOrEqual(x2!.seq + 2);
    expect(y3!.clusterId).not.toBeNull();
    expect((await a.cluster(y3!.clusterId!))!.members.map((m) => m.id)).toEqual(['y2', 'y3']);
    // A fresh process loads every key from lsh_keys.
    const c = SqliteStore.open(dir);
    const [x3] = await c.upsert([story('x3', 'D', X, '另据了解，该公司产能利用率较高。')]);
    expect(x3!.clusterId).toBe(x2!.clusterId);
    for (const s of [a, b, c]) await s.close();
  });

  it('does not verify against its own recent fingerprints after another connection changed documents', async () => {
    const Z = '紫金矿业公告，旗下铜矿项目投产，预计年产铜精矿二十万吨，公司将继续扩大海外资源布局。';
    const dir = tempDir('lodestone-recent-');
    const a = SqliteStore.open(dir);
    const b = SqliteStore.open(dir);
    const [z1] = await a.upsert([story('z1', 'A', Z)]);
    const [z2] = await a.upsert([story('z2', 'B', Z, more)]); // verified from a's recent fingerprints
    expect(z2!.clusterId).not.toBeNull();
    // b deletes both and writes a copy: a must not take z1 or z2 for candidates any more.
    await b.deleteBySeq([z1!.seq, z2!.seq]);
    const [z3] = await a.upsert([story('z3', 'C', Z)]);
    expect(z3!.clusterId).toBeNull();
    // b merges clusters a holds: a's next copy joins the merged cluster.
    const [z4] = await b.upsert([story('z4', 'D', Z, more)]);
    expect(z4!.clusterId).not.toBeNull();
    const [z5] = await a.upsert([story('z5', 'E', Z, '另据了解，该公司产能利用率较高。')]);
    expect(z5!.clusterId).toBe(z4!.clusterId);
    expect((await a.cluster(z5!.clusterId!))!.members.map((m) => m.id)).toEqual(['z3', 'z4', 'z5']);
    for (const s of [a, b]) await s.close();
  });
});

describe('schema upgrades', () => {
  it('says once that an existing database is being upgraded, then opens it upgraded', async () => {
    const dir = tempDir('lodestone-upgrade-');
    const a = SqliteStore.open(dir);
    const story = '北方稀土公告，上调镨钕氧化物挂牌价至每吨56万元。公司表示，高性能钕铁硼磁体需求旺盛，订单排至年底。';
    const u1 = analyzeDocument(doc('u1', '稀土', story));
    // Too short for band keys: an exact copy is found through the exact key alone.
    const short = (id: string, source: string) => analyzeDocument(doc(id, '快讯', '铜价上涨', { source }));
    const u3 = short('u3', 'wire');
    expect(u3.analysis.bandKeys).toEqual([]);
    await a.upsert([u1, u3]);
    await a.close();
    // Back to schema 8: undo migrations 9 to 20.
    const raw = new Database(join(dir, 'lodestone.db'));
    raw.exec(
      "DROP INDEX documents_columns; CREATE INDEX documents_rev ON documents(rev); DROP TABLE column_snapshot; INSERT INTO fts(fts, rank) VALUES('automerge', 4); PRAGMA user_version = 8",
    );
    raw.exec(`CREATE TABLE lsh (band_key INTEGER NOT NULL, doc_id INTEGER NOT NULL); CREATE INDEX lsh_key ON lsh(band_key, doc_id);
      DROP TABLE lsh_keys; DROP TABLE column_log; DROP TABLE labels; DROP TABLE deleted_keys; CREATE INDEX documents_published ON documents(published_at);
      CREATE INDEX documents_norm_hash ON documents(norm_hash) WHERE norm_hash <> ''`);
    raw.prepare("UPDATE documents SET dedup_keys = ? WHERE public_id = 'u1'").run(u1.analysis.bandKeys.join(' '));
    raw.close();
    const messages: string[] = [];
    const b = SqliteStore.open(dir, { onUpgrade: (m) => messages.push(m) });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/from schema 8 to 20 \(2 documents/);
    expect(b.db.pragma('user_version', { simple: true })).toBe(20);
    const indexes = b.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'documents'").pluck().all();
    expect(indexes).not.toContain('documents_published');
    expect(indexes.filter((n) => String(n).includes('norm'))).toEqual([]);
    expect(b.db.prepare("SELECT v FROM fts_config WHERE k = 'automerge'").pluck().get()).toBe(64);
    expect(b.db.prepare("SELECT v FROM fts_config WHERE k = 'crisismerge'").pluck().get()).toBe(64);
    expect(b.db.prepare("SELECT v FROM fts_config WHERE k = 'hashsize'").pluck().get()).toBe(2097152);
    expect((await b.search({ query: parseQuery('稀土'), filters: {}, sort: 'relevance', collapse: true, limit: 10, offset: 0, facets: false })).total).toBe(1);
    // The document's LSH keys moved to lsh_keys: a near copy finds it.
    const [u2] = await b.upsert([analyzeDocument(doc('u2', '稀土', `${story}分析人士认为，后市仍有上行空间。`, { source: 'other' }))]);
    expect(u2!.clusterId).not.toBeNull();
    // Migration 16 gave both old documents their exact key: copies from another source join them.
    const [u4, u5] = await b.upsert([short('u4', 'other'), analyzeDocument(doc('u5', '稀土', story, { source: 'third' }))]);
    expect((await b.cluster(u4!.clusterId!))!.members.map((m) => m.id)).toEqual(['u3', 'u4']);
    expect(u5!.clusterId).toBe(u2!.clusterId);
    await b.close();
    const c = SqliteStore.open(dir, { onUpgrade: (m) => messages.push(m) });
    expect(messages).toHaveLength(1); // nothing to upgrade the second time
    await c.close();
  });
});
