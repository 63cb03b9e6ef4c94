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
import { freshPgStore, pgUnavailable } from './testing.js';

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
