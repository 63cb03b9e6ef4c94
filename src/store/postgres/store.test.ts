import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/fixtures.js';
import { analyzeDocument } from '../../analysis/analyzer.js';
import { parseQuery } from '../../search/query/parse.js';
import { runCrossBackend } from '../contract/cross.js';
import { runRepoContract } from '../contract/repos.js';
import { doc, runStoreContract } from '../contract/suite.js';
import { prepareQuery } from '../../services/translation.js';
import { SqliteStore } from '../sqlite/store.js';
import { PgStore } from './store.js';
import { createTestDatabase, freshPgStore, pgUnavailable } from './testing.js';

const unavailable = await pgUnavailable();
// CI insists the PostgreSQL suite runs; a laptop without PostgreSQL skips it with the reason.
if (unavailable && process.env.CI) throw new Error(`CI requires PostgreSQL: ${unavailable}`);


runStoreContract('postgres', freshPgStore, unavailable ?? undefined);
runRepoContract('postgres', freshPgStore, unavailable ?? undefined);

runCrossBackend('sqlite', async () => SqliteStore.open(tempDir('lodestone-cross-')), 'postgres', freshPgStore, unavailable ?? undefined, async (s, q) => (await prepareQuery(s, q)).query);

describe('PostgreSQL unreachable', () => {
  it('says so, naming the server without its password', async () => {
    const s = PgStore.open('postgres://lodestone:secret@127.0.0.1:1/nowhere');
    await expect(s.opened()).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/^cannot connect to PostgreSQL at postgres:\/\/lodestone:\*\*\*@127\.0\.0\.1:1\/nowhere: /) });
    await expect(s.stats()).rejects.toMatchObject({ code: 'unavailable' });
    await s.close();
  });
});

describe.skipIf(unavailable !== null)('PostgreSQL: a document with ~160,000 distinct terms', () => {
  it('is indexed whole (its terms span many blocks of one segment): every term and phrase in it is found', async () => {
    const s = await freshPgStore();
    try {
      // 160,000 two-character words apart: ~160,000 distinct bigrams (once past what a tsvector held).
      const chars = Array.from({ length: 400 }, (_, i) => String.fromCodePoint(0x4e00 + i * 7));
      const parts: string[] = [];
      for (const a of chars) for (const b of chars) parts.push(a + b);
      const body = parts.join('，');
      const last = parts[parts.length - 1]!;
      const [r] = await s.upsert([analyzeDocument(doc('big', '长文', `${body}。稀有词尾巴`))]);
      const blocks = await s.pool.query('SELECT count(*)::int AS n FROM seg_blocks b JOIN segments s ON s.id = b.seg WHERE $1 BETWEEN s.first_seq AND s.last_seq', [r!.seq]);
      expect(blocks.rows[0].n).toBeGreaterThan(100);
      for (const q of [last, '稀有词尾巴', `"${parts[parts.length - 2]!}，${last}"`, '尾巴']) {
        const res = await s.search({ query: parseQuery(q), filters: {}, sort: 'relevance', collapse: false, limit: 10, offset: 0, facets: false });
        expect(res.total, q).toBe(1);
      }
    } finally {
      await s.close();
    }
  }, 60_000);
});

describe.skipIf(unavailable !== null)('PostgreSQL: a store written before posting segments (schema 2)', () => {
  it('gets segments from the term strings it kept when it opens, clears them, and answers as before', async () => {
    const { url, drop } = await createTestDatabase();
    const wrap = (terms: string) => {
      const list = terms.split(/\s+/).filter((t) => t !== '');
      return list.length === 0 ? '' : ` ${list.join('  ')} `;
    };
    const inputs = Array.from({ length: 30 }, (_, i) =>
      doc(`d${i}`, i % 3 === 0 ? '稀土出口管制升级' : `第${i}号公告`, `公司公告第${i}号。稀土价格${i % 2 === 0 ? '上涨' : '回落'}，出口管制影响永磁企业。Rare earth export ${i}.`),
    );
    const ask = (q: string) => ({ query: parseQuery(q), filters: {}, sort: 'relevance' as const, collapse: false, limit: 50, offset: 0, facets: true });
    const queries = ['稀土', '"出口管制"', 'title:稀土', '公告 -上涨', '稀*', 'rare earth'];
    let s = await PgStore.open(url).opened();
    try {
      // Three batches: three segments.
      for (let i = 0; i < 30; i += 10) await s.upsert(inputs.slice(i, i + 10).map((d) => analyzeDocument(d)));
      const before = await Promise.all(queries.map((q) => s.search(ask(q))));
      expect(before[0]!.total).toBe(30);
      // As schema 2 left it: the term strings in the rows, no segments, the backfill pending.
      for (const d of inputs) {
        const a = analyzeDocument(d).analysis;
        await s.pool.query('UPDATE documents SET title_terms = $2, body_terms = $3 WHERE key = $1', [d.key, wrap(a.titleTerms), wrap(a.bodyTerms)]);
      }
      await s.pool.query("DELETE FROM seg_blocks; DELETE FROM segments; UPDATE meta SET value = '1' WHERE key = 'segments_backfill'");
      await s.close();
      s = await PgStore.open(url).opened();
      const after = await Promise.all(queries.map((q) => s.search(ask(q))));
      expect(after).toEqual(before);
      const left = await s.pool.query('SELECT count(*)::int AS n FROM documents WHERE title_terms IS NOT NULL OR body_terms IS NOT NULL');
      expect(left.rows[0].n).toBe(0);
      const segs = await s.pool.query('SELECT sum(docs)::int AS n FROM segments');
      expect(segs.rows[0].n).toBe(30);
    } finally {
      await s.close();
      await drop();
    }
  }, 60_000);
});

describe.skipIf(unavailable !== null)('PostgreSQL: a server whose columns fell behind the pruned change log', () => {
  it('loads them whole instead of missing a change', async () => {
    const { url, drop } = await createTestDatabase();
    const a = await PgStore.open(url).opened();
    const b = await PgStore.open(url).opened();
    try {
      await a.upsert(['一', '二', '三'].map((n, i) => analyzeDocument(doc(`p${i}`, `稀土公告${n}`, `稀土价格公告${n}。`))));
      const ask = { query: parseQuery('稀土'), filters: {}, sort: 'newest' as const, collapse: false, limit: 10, offset: 0, facets: false };
      expect((await a.search(ask)).total).toBe(3);
      // Another server deletes one; the log of that change is pruned before `a` reads it.
      const gone = (await b.findByKey(doc('p1', '', '').key))!;
      await b.deleteBySeq([gone.seq]);
      await b.pool.query("DELETE FROM doc_changes; UPDATE meta SET value = (SELECT rev FROM doc_stats)::text WHERE key = 'changes_pruned'");
      const r = await a.search(ask);
      expect(r.total).toBe(2);
      expect(r.hits.map((h) => h.seq)).not.toContain(gone.seq);
    } finally {
      await a.close();
      await b.close();
      await drop();
    }
  }, 60_000);
});
