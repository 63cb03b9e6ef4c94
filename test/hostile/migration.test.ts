/**
 * Migration 17 (issue 17, item 8): documents stored before feed entries and uploads were
 * keyed by where they came from get the new keys, and workflows' delivered sets follow, so
 * the next poll or upload updates them instead of adding copies.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { analyzeDocument } from '../../src/analysis/analyzer.js';
import type { DocumentInput } from '../../src/core/types.js';
import { ingestTargets } from '../../src/services/ingest.js';
import { DB_FILE, SqliteStore } from '../../src/store/sqlite/store.js';
import { rssFeed, tempDir } from '../helpers/fixtures.js';
import { writeFileSync } from 'node:fs';

const input = (key: string, over: Partial<DocumentInput> = {}): DocumentInput => ({
  key,
  externalId: null,
  title: `标题 ${key}`,
  source: 'uploads',
  url: null,
  publishedAt: null,
  fetchedAt: 0,
  type: 'news',
  lang: null,
  paragraphs: [{ n: 1, text: `正文 ${key}` }],
  metadata: {},
  ...over,
});

describe('migration 17: keys that say where a document came from', () => {
  it('rewrites old feed-entry and upload keys, and the delivered sets that name them', async () => {
    const dir = tempDir();
    const feedPath = join(dir, 'feed.xml');
    writeFileSync(feedPath, rssFeed(2));
    let store = SqliteStore.open(dir);
    await store.upsert([
      analyzeDocument(input('url:https://example.com/a/1', { externalId: 'g1', url: 'https://example.com/a/1', metadata: { feed: 'https://feeds.example/x.xml' } })),
      analyzeDocument(input('ext:Wire:g2', { externalId: 'g2', metadata: { feed: 'https://feeds.example/x.xml' } })),
      analyzeDocument(input('upload:report.txt', { source: 'uploads' })),
      analyzeDocument(input('ext:api:keep-me', { externalId: 'keep-me' })),
    ]);
    await store.close();
    const db = new Database(join(dir, DB_FILE));
    db.prepare("INSERT INTO workflow_seen (workflow_id, doc_key, run_id) VALUES (1, 'url:https://example.com/a/1', 1)").run();
    db.exec('DROP TABLE column_log'); // migration 18 makes it again
    db.exec('DROP TABLE labels; DROP TABLE deleted_keys'); // and 19 and 20 these
    db.pragma('user_version = 16');
    db.close();

    store = SqliteStore.open(dir);
    await store.close();
    const check = new Database(join(dir, DB_FILE), { readonly: true });
    const keys = (check.prepare('SELECT key FROM documents ORDER BY id').pluck().all() as string[]);
    expect(keys).toEqual([
      'url:https://feeds.example/x.xml#g1',
      'url:https://feeds.example/x.xml#g2',
      'upload:uploads:report.txt',
      'ext:api:keep-me',
    ]);
    expect(check.prepare('SELECT doc_key FROM workflow_seen').pluck().all()).toEqual(['url:https://feeds.example/x.xml#g1']);
    check.close();

    // New feed entries are keyed the same way: ingesting the feed file twice updates nothing.
    store = SqliteStore.open(dir);
    const first = await ingestTargets(store, [feedPath], { workers: 0 });
    const again = await ingestTargets(store, [feedPath], { workers: 0 });
    expect(first.inserted).toBe(2);
    expect(again).toMatchObject({ inserted: 0, unchanged: 2 });
    await store.close();
  });
});

describe('migration 19: publishers\' tags and levels become query fields', () => {
  it('labels the documents already stored, and new ones as they come', async () => {
    const { parseQuery } = await import('../../src/search/query/parse.js');
    const dir = tempDir();
    let store = SqliteStore.open(dir);
    await store.upsert([
      analyzeDocument(input('k1', { metadata: { tags: ['人工智能', ' 美股IPO动态 '], level: 'a' } })),
      analyzeDocument(input('k2', { metadata: { tags: ['人工智能'], level: 'B' } })),
      analyzeDocument(input('k3', { metadata: { tags: 'not a list', level: 7 } })),
    ]);
    await store.close();
    const db = new Database(join(dir, DB_FILE));
    db.exec('DROP TABLE labels; DROP TABLE deleted_keys');
    db.pragma('user_version = 18');
    db.close();

    store = SqliteStore.open(dir);
    const ids = async (q: string) =>
      (await store.search({ query: parseQuery(q), filters: {}, sort: 'newest', collapse: false, limit: 10, offset: 0, facets: false })).hits.map((h) => h.seq).sort();
    expect(await ids('tag:人工智能')).toEqual([1, 2]);
    expect(await ids('tag:美股IPO动态')).toEqual([1]);
    expect(await ids('level:A')).toEqual([1]);
    expect(await ids('level:b')).toEqual([2]);
    expect(await ids('tag:人工智能 -level:B')).toEqual([1]);
    // A new document is labelled as it is stored; an update replaces its labels.
    await store.upsert([analyzeDocument(input('k4', { metadata: { tags: ['人工智能'], level: 'A' } }))]);
    expect(await ids('level:A')).toEqual([1, 4]);
    await store.upsert([analyzeDocument(input('k1', { paragraphs: [{ n: 1, text: '改写后的正文' }], metadata: { tags: ['半导体'] } }))]);
    expect(await ids('level:A')).toEqual([4]);
    expect((await ids('tag:半导体')).length).toBe(1);
    await store.close();
  });
});
