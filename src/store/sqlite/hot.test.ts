import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import { analyzeDocument } from '../../analysis/analyzer.js';
import { TermMatcher } from '../../analysis/term-hits.js';
import { ingestTargets } from '../../services/ingest.js';
import { tempDir } from '../../../test/helpers/fixtures.js';
import { parseQuery } from '../../search/query/parse.js';
import { doc, T0 } from '../contract/suite.js';
import type { SearchRequest } from '../ports.js';
import { decodePostings, encodePostings, PostingsBuilder, positionsOf } from './postings.js';
import { SqliteStore } from './store.js';

describe('posting codec', () => {
  it('round-trips documents, frequencies and positions across chunks', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            gap: fc.integer({ min: 1, max: 100_000 }),
            title: fc.uniqueArray(fc.integer({ min: 0, max: 50 }), { maxLength: 4 }),
            body: fc.uniqueArray(fc.integer({ min: 0, max: 5_000_000 }), { maxLength: 20 }),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        fc.integer({ min: 1, max: 5 }),
        (entries, parts) => {
          let doc = 0;
          const docs = entries.map((e) => {
            doc += e.gap;
            return { doc, title: [...e.title].sort((a, b) => a - b), body: [...e.body].sort((a, b) => a - b) };
          });
          const per = Math.ceil(docs.length / parts);
          const chunks = [];
          for (let i = 0; i < docs.length; i += per) {
            const b = new PostingsBuilder();
            for (const d of docs.slice(i, i + per)) b.add(d.doc, d.title, d.body);
            chunks.push({ n: b.n, docs: b.docs.bytes(), pos: b.pos.bytes() });
          }
          const p = decodePostings(chunks, true);
          expect([...p.docs]).toEqual(docs.map((d) => d.doc));
          // A merge re-encodes the chunks as one: same postings.
          const m = encodePostings(p);
          const q = decodePostings([{ n: m.n, docs: m.docs.bytes(), pos: m.pos.bytes() }], true);
          expect([...q.docs]).toEqual([...p.docs]);
          const buf = new Int32Array(64);
          docs.forEach((d, k) => {
            for (const x of [p, q]) {
              positionsOf(x, k, buf);
              expect([...buf.subarray(0, x.tfTitle[k]!)]).toEqual(d.title);
              expect([...buf.subarray(x.tfTitle[k]!, x.tfTitle[k]! + x.tfBody[k]!)]).toEqual(d.body);
            }
          });
        },
      ),
      { numRuns: 100, seed: 3 },
    );
  });
});

describe('hot-term lists answer exactly like FTS5', () => {
  const words = ['稀土', '永磁', '出口', '管制', '北方', 'rare', 'earth', 'export', 'magnet', '锂', '价格', '，'];
  const text = (seed: number, n: number) =>
    fc.sample(fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: n }), { numRuns: 1, seed })[0]!.join(
      seed % 2 === 0 ? '' : ' ',
    );
  const queries = [
    '稀土',
    '"稀土永磁"',
    '"出口管制"',
    'title:稀土',
    'title:"北方稀土"',
    '稀土 出口',
    '稀土 OR magnet',
    '稀土 -管制',
    'rare earth',
    '"rare earth"',
    '"earth export"',
    'export OR (永磁 -北方)',
    '锂',
    '价格 type:news',
    '(稀土 OR 永磁) source:wire',
    '稀土 OR source:wire',
    'type:news -稀土',
    // Conjunctions of hot lists (hotJoin): three terms, negations, a title leaf, a repeat.
    '稀土 出口 管制',
    '稀土 出口 -管制',
    'title:稀土 -出口',
    '稀土 稀土',
    '稀土 -稀土',
    'rare earth -magnet',
    '价格 -稀土 -rare source:wire',
    '稀土 (出口 管制)',
  ];
  const req = (q: string, over: Partial<SearchRequest> = {}): SearchRequest => ({
    query: parseQuery(q),
    filters: {},
    sort: 'relevance',
    collapse: false,
    limit: 1000,
    offset: 0,
    facets: true,
    ...over,
  });

  it('same documents, order, scores and totals through ingest, promotion, appends, merges, updates and deletes', async () => {
    const plain = SqliteStore.open(tempDir('lodestone-fts-'), { hotThreshold: 0 });
    const hot = SqliteStore.open(tempDir('lodestone-hot-'), { hotThreshold: 1 });
    let next = 0;
    const batch = async (n: number) => {
      const docs = [];
      for (let i = 0; i < n; i++, next++) {
        // Dates an hour apart, two sources, two types; every seventh document is carried again
        // by a third source (an exact duplicate: a cluster for collapse).
        const extra = { publishedAt: T0 + next * 3_600_000, source: next % 3 === 0 ? 'desk' : 'wire', type: next % 4 === 0 ? 'report' : 'news' } as const;
        const d = doc(`d${next}`, text(next * 7 + 1, 4), `${text(next * 7 + 2, 12)}\n${text(next * 7 + 3, 8)}`, extra);
        docs.push(analyzeDocument(d));
        if (next % 7 === 0) docs.push(analyzeDocument({ ...d, key: `ext:copy:d${next}`, source: 'copy', publishedAt: d.publishedAt! + 600_000 }));
      }
      await plain.upsert(docs);
      await hot.upsert(docs);
    };
    // FTS5 never decrements its row count and token total (its averages record) when a row
    // of a contentless_delete table is deleted, so after updates and deletes its bm25() uses
    // a stale N and avgdl; the hot path (like explain) uses the live documents. Then only the
    // matches are compared (and the order of newest-first results).
    const compare = async (label: string, relTol: number | null = 1e-9) => {
      // Ingest-order windows (workflows) read only the hot chunks overlapping them.
      const windows: SearchRequest['filters'][] = [{}, { afterSeq: 30, throughSeq: 90 }, { afterSeq: 100 }, { afterSeq: 7, throughSeq: 7 }];
      // Filters checked inside the scans: dates, sources, types.
      windows.push({ from: T0 + 20 * 3_600_000, to: T0 + 70 * 3_600_000 }, { sources: ['desk'] }, { types: ['report'], sources: ['wire', 'copy'] });
      const shapes = (['relevance', 'newest'] as const).flatMap((sort) =>
        windows.flatMap((filters) => [false, true].map((collapse) => ({ sort, filters, collapse }))),
      );
      for (const q of queries) {
        for (const shape of shapes) {
          const { sort } = shape;
          const a = await plain.search(req(q, shape));
          // Twice: the first run may promote terms (phrases right after it), the second
          // reads the hot lists.
          await hot.search(req(q, shape));
          await new Promise((r) => setImmediate(r));
          const b = await hot.search(req(q, shape));
          const ctx = `${label}: ${q} (${JSON.stringify(shape)})`;
          expect(b.total, ctx).toBe(a.total);
          // With collapse, facets count each cluster's best member, which follows the scores.
          if (relTol !== null || sort === 'newest' || !shape.collapse) expect(b.facets, ctx).toEqual(a.facets);
          const ka = await plain.getManyBySeq(a.hits.map((h) => h.seq));
          const kb = await hot.getManyBySeq(b.hits.map((h) => h.seq));
          // Each hit's id with the number of its cluster's members that matched.
          const idsA = a.hits.map((h) => `${ka.get(h.seq)!.id}×${h.collapsed}`);
          const idsB = b.hits.map((h) => `${kb.get(h.seq)!.id}×${h.collapsed}`);
          // Stale scores may also pick another member of a cluster to show: then only the sizes.
          const bySize = (ids: string[]) => ids.map((x) => x.split('×')[1]).sort();
          if (relTol === null && sort === 'relevance' && shape.collapse) expect(bySize(idsB), ctx).toEqual(bySize(idsA));
          else if (relTol === null && sort === 'relevance') expect(idsB.sort(), ctx).toEqual(idsA.sort());
          else expect(idsB, ctx).toEqual(idsA);
          // Filters never change a document's score (a date range reads only the chunks that
          // overlap it and takes the other chunks' live counts from a cache: stale after a
          // delete, the idf would drift).
          if (sort === 'relevance' && !shape.collapse && Object.keys(shape.filters).length > 0) {
            const all = await hot.search(req(q, { sort, collapse: false }));
            const score = new Map(all.hits.map((h) => [h.seq, h.score]));
            for (const h of b.hits) expect(Math.abs(h.score - score.get(h.seq)!), `${ctx}: unfiltered score`).toBeLessThanOrEqual(1e-9 * Math.abs(h.score) + 1e-12);
          }
          if (relTol !== null) {
            b.hits.forEach((h, i) => {
              const want = a.hits[i]!.score;
              expect(Math.abs(h.score - want), ctx).toBeLessThanOrEqual(relTol * Math.abs(want) + 1e-12);
            });
          }
        }
      }
    };
    await batch(40);
    await compare('after the first batch');
    expect(hot.db.prepare('SELECT count(*) FROM hot_terms').pluck().get()).toBeGreaterThan(5);
    // Phrases matched over long lists got lists of their own; later batches append to them.
    const phrases = hot.db.prepare("SELECT term FROM hot_terms WHERE term LIKE '% %'").pluck().all();
    expect(phrases).toEqual(expect.arrayContaining(['稀土 土永 永磁', '北方 方稀 稀土', 'rare earth']));
    for (let i = 0; i < 20; i++) await batch(5); // appends, and merges of eight chunks
    const levels = hot.db.prepare('SELECT max(level) FROM hot_postings WHERE level < 30').pluck().get() as number;
    expect(levels).toBeGreaterThanOrEqual(1);
    await compare('after appends and merges');
    // Updates (new content under the same key) and deletes.
    const changed = [3, 17, 41].map((i) => analyzeDocument(doc(`d${i}`, '稀土 update', `北方稀土永磁 rare earth magnet ${i}`)));
    await plain.upsert(changed);
    await hot.upsert(changed);
    const victims = async (s: SqliteStore) => (await s.findByPublicId('d5')).concat(await s.findByPublicId('d60')).map((d) => d.seq);
    await plain.deleteBySeq(await victims(plain));
    await hot.deleteBySeq(await victims(hot));
    await compare('after updates and deletes', null);
    await plain.close();
    await hot.close();
  });

  it('a scan split between two threads answers exactly like one thread', async () => {
    const dir = tempDir('lodestone-par-');
    const one = SqliteStore.open(dir, { hotThreshold: 1 });
    let next = 0;
    let copies: ReturnType<typeof analyzeDocument>[] = [];
    const firstCopies: ReturnType<typeof analyzeDocument>[] = [];
    for (let b = 0; b < 24; b++) {
      // Copies arrive a batch later, so a cluster's members sit in different chunks (and
      // may fall on both sides of a split).
      const docs = copies;
      copies = [];
      for (let i = 0; i < 6; i++, next++) {
        // Dates out of ingest order, two sources and types, and copies (clusters).
        const extra = { publishedAt: T0 + ((next * 37) % 101) * 3_600_000, source: next % 3 === 0 ? 'desk' : 'wire', type: next % 4 === 0 ? 'report' : 'news' } as const;
        const d = doc(`p${next}`, text(next * 5 + 1, 4), `${text(next * 5 + 2, 12)}\n${text(next * 5 + 3, 8)}`, extra);
        docs.push(analyzeDocument(d));
        const copy = analyzeDocument({ ...d, key: `ext:copy:p${next}`, source: 'copy', publishedAt: d.publishedAt! + 600_000 });
        if (b === 0) firstCopies.push(copy);
        else if (next % 5 === 0) copies.push(copy);
      }
      // The first batch's copies come last: their clusters span the first and the last chunk.
      if (b === 23) docs.push(...firstCopies);
      await one.upsert(docs);
      if (b === 0) {
        // Hot lists (and a phrase list) from the first batch on: later batches add chunks.
        for (const q of ['稀土', '"稀土永磁"', 'rare', '价格']) await one.search(req(q));
        await new Promise((r) => setImmediate(r));
      }
    }
    const two = SqliteStore.open(dir, { hotThreshold: 1, parallel: true, parallelMin: 1 });
    const filters: SearchRequest['filters'][] = [{}, { from: T0 + 20 * 3_600_000, to: T0 + 70 * 3_600_000 }, { types: ['report'] }, { sources: ['wire', 'copy'] }];
    // '' and 'type:report': filters only, the rowid range split; '-稀土' (negation only) is not split.
    for (const q of ['稀土', '"稀土永磁"', 'title:稀土', 'rare', '价格', '锂 source:desk', '稀土 价格', 'rare 稀土', 'title:稀土 价格', '稀土 价格 rare', '稀土 -价格', '价格 rare -title:稀土', '', 'type:report', '-稀土']) {
      for (const sort of ['relevance', 'newest'] as const) {
        for (const f of filters) {
          for (const collapse of [false, true]) {
            for (const limit of [3, 1000]) {
              const shape = { sort, filters: f, collapse, limit };
              expect(await two.search(req(q, shape)), `${q} ${JSON.stringify(shape)}`).toEqual(await one.search(req(q, shape)));
            }
          }
        }
      }
    }
    expect(two.parallelScans).toBeGreaterThan(50);
    const scans = two.parallelScans;
    await two.search(req('type:news'));
    expect(two.parallelScans, 'a query of filters only is split').toBe(scans + 1);
    // `source:` `type:` `lang:` in the query answer exactly as the API's filters do (both
    // become the combination mask), on one thread and split.
    for (const q of ['稀土', '稀土 价格', '"稀土永磁"', 'rare 稀土', '']) {
      for (const store of [one, two]) {
        for (const sort of ['relevance', 'newest'] as const) {
          const viaQuery = await store.search(req(`${q} source:DESK type:report lang:zh`, { sort }));
          const viaFilters = await store.search(req(q, { sort, filters: { sources: ['desk'], types: ['report'], langs: ['zh'] } }));
          expect(viaQuery, q).toEqual(viaFilters);
          expect(viaQuery.total, q).toBeGreaterThan(0);
        }
        expect((await store.search(req(`${q} source:desk source:wire`))).total, q).toBe(0);
      }
    }
    // The worker thread dies between searches (as if it crashed): it is dropped when its
    // exit is seen, a new one takes the next split, and the answers stay the same. (A
    // search posted to the dead thread would wait out parallel.ts's 10 s timeout and fail
    // this test's 30 s budget over the queries below.)
    const internals = two as unknown as { scanWorker: { worker: Worker | null } };
    const dead = internals.scanWorker.worker!;
    const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
    await dead.terminate();
    await new Promise((r) => setImmediate(r));
    expect((await warned).message).toMatch(/scan worker exited/);
    const before = two.parallelScans;
    for (const q of ['稀土', '稀土 价格', 'rare 稀土']) expect(await two.search(req(q)), q).toEqual(await one.search(req(q)));
    expect(internals.scanWorker.worker).not.toBe(dead);
    expect(two.parallelScans).toBeGreaterThan(before);
    await two.close();
    await one.close();
  });

  it('a writer that did not promote a term still appends to its list (two connections)', async () => {
    const dir = tempDir('lodestone-hot2-');
    const server = SqliteStore.open(dir, { hotThreshold: 1 });
    const cli = SqliteStore.open(dir, { hotThreshold: 1 });
    await cli.upsert([analyzeDocument(doc('a', '稀土', '北方稀土'))]);
    expect((await server.search(req('稀土'))).total).toBe(1); // promotes 稀土 through FTS5
    await cli.upsert([analyzeDocument(doc('b', '稀土价格', '稀土价格上涨'))]);
    const r = await server.search(req('稀土')); // hot list, appended by the other connection
    expect(r.total).toBe(2);
    expect(server.db.prepare('SELECT sum(n) FROM hot_postings WHERE term = ?').pluck().get('稀土')).toBe(2);
    await server.close();
    await cli.close();
  });

  it('a merge drops the postings of deleted documents, and answers stay exact', async () => {
    const dir = tempDir('lodestone-compact-');
    const hot = SqliteStore.open(dir, { hotThreshold: 1 });
    const plain = SqliteStore.open(tempDir('lodestone-compact-fts-'), { hotThreshold: 0 });
    const both = async (docs: ReturnType<typeof doc>[]) => {
      await hot.upsert(docs.map((d) => analyzeDocument(d)));
      await plain.upsert(docs.map((d) => analyzeDocument(d)));
    };
    await both([doc('a', '稀土', '北方稀土')]);
    expect((await hot.search(req('稀土'))).total).toBe(1); // promoted: one level-30 chunk
    await both([doc('b', '稀土价格', '稀土价格上涨')]); // a level-0 chunk
    for (const s of [hot, plain]) await s.deleteBySeq((await s.findByPublicId('b')).map((d) => d.seq));
    // Seven more one-document batches: eight level-0 chunks merge into one level-1 chunk.
    for (let i = 0; i < 7; i++) await both([doc(`c${i}`, `稀土 ${i}`, `稀土永磁 ${i}`)]);
    const rows = hot.db.prepare('SELECT level, n FROM hot_postings WHERE term = ? ORDER BY first_doc').raw().all('稀土');
    expect(rows).toEqual([
      [30, 1],
      [1, 7], // b's posting is gone
    ]);
    for (const q of ['稀土', '"稀土永磁"', '稀土 -永磁']) {
      const a = await plain.search(req(q));
      const b = await hot.search(req(q));
      expect(b.total, q).toBe(a.total);
    }
    await hot.close();
    await plain.close();
  });

  it('a bulk batch promotes its frequent terms before any search, and they answer like FTS5', async () => {
    const hot = SqliteStore.open(tempDir('lodestone-bulk-'));
    const plain = SqliteStore.open(tempDir('lodestone-bulk-fts-'), { hotThreshold: 0 });
    const docs = [];
    for (let i = 0; i < 300; i++) {
      const body = `${i % 3 === 0 ? '北方稀土公告' : i % 3 === 1 ? '稀土永磁价格' : '铜矿产量'}${i % 20 === 0 ? '，铝土矿' : ''} ${i}`;
      docs.push(analyzeDocument(doc(`b${i}`, `快讯 ${i}`, body)));
    }
    await hot.upsert(docs);
    await plain.upsert(docs);
    const hotTerms = hot.db.prepare('SELECT term FROM hot_terms ORDER BY term').pluck().all() as string[];
    expect(hotTerms).toEqual(expect.arrayContaining(['稀土', '快讯']));
    expect(hotTerms).toContain('铜矿'); // in a third of the documents
    expect(hotTerms).not.toContain('铝土'); // in a twentieth: promoted only when a search finds it often
    // '"公告，铝土矿"' mixes hot terms with rare ones: answered by FTS5's phrase seek.
    for (const q of ['稀土', '"北方稀土"', '快讯 -稀土', '铝土', '"公告，铝土矿"', '"铝土矿"']) {
      const a = await plain.search(req(q));
      const b = await hot.search(req(q));
      expect(b.total, q).toBe(a.total);
      if (q.includes('铝土矿')) expect(b.total, q).toBe(q.includes('公告') ? 5 : 15);
    }
    await hot.close();
    await plain.close();
  });

  it('lists built from hot terms the analysis workers located are the ones the writing thread builds', async () => {
    const words = ['稀土', '永磁', '出口管制', '铜矿', '价格', '上涨', '北方稀土', '公告', '产量', '锂电池', 'exports', 'fell'];
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const para = () => Array.from({ length: 6 + (next() % 10) }, () => words[next() % words.length]).join('');
      lines.push(JSON.stringify({ id: `n${i}`, title: para(), body: `${para()}\n${para()} ${i}`, source: 'wire', published_at: '2025-07-01T08:00:00+08:00' }));
    }
    const file = join(tempDir('lodestone-located-'), 'docs.ndjson');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const located = SqliteStore.open(tempDir('lodestone-located-db-'));
    const writer = SqliteStore.open(tempDir('lodestone-writer-db-'));
    const onWriter = vi.spyOn(TermMatcher.prototype, 'match');
    // Batches of 250: the first one promotes its frequent terms, so chunks already in flight
    // were located against the empty set (the writing thread locates them) and later ones by the worker.
    await ingestTargets(located, [file], { batchSize: 250, workers: 1 });
    const locatedOnWriter = onWriter.mock.calls.length;
    await ingestTargets(writer, [file], { batchSize: 250, workers: 0 });
    // Without workers the writing thread locates every document after the first batch (no term was hot before it).
    expect(onWriter.mock.calls.length - locatedOnWriter).toBe(2750);
    expect(locatedOnWriter).toBeGreaterThan(0);
    expect(locatedOnWriter).toBeLessThan(1500);
    onWriter.mockRestore();
    const rows = (s: SqliteStore) =>
      s.db.prepare('SELECT term, level, first_doc, last_doc, n, hex(docs) d, hex(pos) p FROM hot_postings ORDER BY term, first_doc').all();
    const a = rows(located);
    expect(a.length).toBeGreaterThan(20);
    expect(a).toEqual(rows(writer));
    await located.close();
    await writer.close();
  });
});
