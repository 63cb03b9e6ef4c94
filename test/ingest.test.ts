import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { searchDocuments } from '../src/services/search.js';
import { ingestTargets } from '../src/services/ingest.js';
import { DB_FILE, SqliteStore } from '../src/store/sqlite/store.js';
import { spawnCli } from './helpers/cli.js';
import { rssFeed, tempDir, writeFixtureFolder } from './helpers/fixtures.js';

describe('ingest a folder of every kind, with bad items', () => {
  it('stores the good items, reports each bad one with its location, and re-runs idempotently', async () => {
    const dir = await writeFixtureFolder(tempDir());
    const store = SqliteStore.open(tempDir());
    const report = await ingestTargets(store, [dir]);
    const reasons = report.errors.map((e) => `${e.location.replace(dir, '')}: ${e.reason}`);
    expect(reasons).toEqual([
      expect.stringMatching(/news\.ndjson:4: malformed JSON/),
      expect.stringMatching(/news\.ndjson:6: empty document/),
      expect.stringMatching(/news\.ndjson:\d+: invalid UTF-8/),
      expect.stringMatching(/notes\/binary\.txt: binary content/),
    ]);
    expect(report.warningList.map((w) => w.reason)).toEqual(
      expect.arrayContaining([expect.stringMatching(/invalid published_at "not a date"/), expect.stringMatching(/skipped: not a supported file type/)]),
    );
    expect(report.inserted).toBe(14);
    expect(report.failed).toBe(4);

    const again = await ingestTargets(store, [dir]);
    expect(again.inserted).toBe(0);
    expect(again.unchanged).toBe(14);
    expect((await store.stats()).documents).toBe(14);

    const s = await searchDocuments(store, { q: '稀土', sort: 'newest', collapse: true });
    const titles = s.hits.map((h) => h.title);
    expect(titles).toContain('稀土永磁行业周报'); // GBK page decoded
    const n1 = s.hits.find((h) => h.id === 'n1' || h.id === 'n2')!;
    expect(n1.cluster?.others.map((o) => o.id)).toEqual([n1.id === 'n1' ? 'n2' : 'n1']);
    expect((await searchDocuments(store, { q: '结算价', collapse: true })).total).toBe(2); // template items stay apart
    expect((await searchDocuments(store, { q: 'magnet demand' })).hits[0]!.type).toBe('report'); // PDF
    expect((await searchDocuments(store, { q: 'lithium', translate: false })).total).toBe(1); // DOCX
    // Searched in both languages by default: the English DOCX first, then the Chinese documents about 锂.
    const both = await searchDocuments(store, { q: 'lithium' });
    expect(both.total).toBeGreaterThan(1);
    expect(both.translations).toMatchObject([{ source: 'lithium', targets: [{ text: '锂', lang: 'zh' }] }]);
    const feedHit = (await searchDocuments(store, { q: '稀土快讯' })).hits[0]!;
    expect(feedHit.source).toBe('示例稀土源');
    expect(feedHit.snippet).not.toMatch(/<script|onclick|javascript:/);
    await store.close();
  });
});

describe('bad sources do not stop a batch', () => {
  it('reports a hanging URL, an HTML page given as a feed file and an oversized file, and stores the rest', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rssFeed(1));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const dir = tempDir();
      writeFileSync(join(dir, 'page.xml'), '<html><body><p>not a feed</p></body></html>');
      writeFileSync(join(dir, 'huge.txt'), '稀土'.repeat(5000));
      writeFileSync(join(dir, 'ok.txt'), '稀土价格企稳。');
      const store = SqliteStore.open(tempDir());
      const report = await ingestTargets(store, [`${base}/hang`, join(dir, 'page.xml'), join(dir, 'huge.txt'), `${base}/feed`, join(dir, 'ok.txt')], {
        allowPrivate: true,
        fetch: { timeoutMs: 500 },
        maxFileBytes: 10_000,
      });
      expect(report.errors.map((e) => e.reason)).toEqual([
        expect.stringMatching(/timed out/),
        expect.stringMatching(/not an RSS, Atom or JSON feed/),
        expect.stringMatching(/over the 10000-byte cap/),
      ]);
      expect(report.inserted).toBe(2);
      await store.close();
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('crash safety', () => {
  it('a killed ingest leaves a consistent database and re-running completes it without duplicates', async () => {
    const dir = tempDir();
    const data = tempDir();
    const file = join(dir, 'big.ndjson');
    const n = 20_000;
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      lines.push(JSON.stringify({ id: `b${i}`, title: `第${i}条快讯`, body: `稀土价格第${i}次调整，报${i}元/吨。永磁企业${i % 97}号扩产。`, source: '压力测试', published_at: 1_750_000_000_000 + i * 1000 }));
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
    const child = spawnCli(['ingest', file, '--data', data]);
    // Kill once some batches have committed.
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const timer = setInterval(() => {
        try {
          const db = new Database(join(data, DB_FILE), { readonly: true, fileMustExist: true });
          const count = (db.prepare('SELECT count(*) AS c FROM documents').get() as { c: number }).c;
          db.close();
          if (count >= 2000) {
            clearInterval(timer);
            child.kill('SIGKILL');
            resolve();
          }
        } catch {
          // database not created yet
        }
        if (Date.now() - started > 60_000) {
          clearInterval(timer);
          reject(new Error('ingest made no progress'));
        }
      }, 20);
    });
    await new Promise((r) => child.on('close', r));
    const db = new Database(join(data, DB_FILE));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const partial = (db.prepare('SELECT count(*) AS c FROM documents').get() as { c: number }).c;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(n);
    db.close();

    const store = SqliteStore.open(data);
    const report = await ingestTargets(store, [file]);
    expect(report.unchanged).toBe(partial);
    expect(report.inserted).toBe(n - partial);
    expect((await store.stats()).documents).toBe(n);
    const total = await searchDocuments(store, { q: '稀土', collapse: false, limit: 1 });
    expect(total.total).toBe(n);
    await store.close();
  }, 180_000);
});
