/**
 * Cross-backend agreement: two stores given the same documents answer every query alike —
 * the same totals, the same hits in the same order (by public id), the same scores to
 * 1e-9, the same facets and clusters. The corpus and the queries are generated (fast-check,
 * fixed seeds) from a small vocabulary so that terms, phrases, prefixes, titles, duplicates
 * and filters all collide often.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeDocument } from '../../analysis/analyzer.js';
import { parseQuery } from '../../search/query/parse.js';
import type { DocType } from '../../core/types.js';
import type { QueryNode } from '../../search/query/ast.js';
import type { DocumentStore, SearchRequest } from '../ports.js';
import { doc, T0 } from './suite.js';

const ZH = [
  '稀土',
  '永磁',
  '钕铁硼',
  '锂',
  '铜矿',
  '价格',
  '上涨',
  '下跌',
  '出口',
  '管制',
  '央行',
  '降准',
  '公司',
  '公告',
];
const EN = ['rare', 'earth', 'export', 'controls', 'prices', 'rise', 'copper', 'lithium', 'bank', 'rate'];
const SOURCES = ['wire', 'desk', 'flash'];
const HOUR = 3600_000;

function sentence(words: string[], zh: boolean): string {
  return zh ? `${words.join('')}。` : `${words.join(' ')}.`;
}

/** A generated corpus: Chinese and English documents, some titled, some copies of others. */
export function generatedCorpus(n: number, seed: number) {
  const docs = fc.sample(
    fc.record({
      zh: fc.boolean(),
      title: fc.array(fc.nat(99), { minLength: 0, maxLength: 3 }),
      body: fc.array(fc.array(fc.nat(99), { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 4 }),
      source: fc.constantFrom(...SOURCES),
      hours: fc.option(fc.nat(24 * 60), { nil: null }),
      type: fc.constantFrom('news', 'report', 'note'),
      copyOf: fc.option(fc.nat(n - 1), { freq: 4, nil: null }),
      tags: fc.subarray(['稀土', '有色金属', '宏观']),
    }),
    { numRuns: n, seed },
  );
  const made = docs.map((d, i) => {
    const vocab = d.zh ? ZH : EN;
    const pick = (k: number) => vocab[k % vocab.length]!;
    const title = d.title.length === 0 ? '' : sentence(d.title.map(pick), d.zh).replace(/[。.]$/, '');
    const body = d.body.map((s) => sentence(s.map(pick), d.zh)).join('\n');
    return { i, title, body, d };
  });
  return made.map(({ i, title, body, d }) => {
    // A copy repeats an earlier document's text under another source, an hour later.
    const orig = d.copyOf !== null && d.copyOf < i ? made[d.copyOf]! : null;
    const publishedAt = orig
      ? orig.d.hours === null
        ? null
        : T0 + orig.d.hours * HOUR + HOUR
      : d.hours === null
        ? null
        : T0 + d.hours * HOUR;
    return doc(`x${i}`, orig ? orig.title : title, orig ? `${orig.body}\n${orig.body}` : body, {
      key: `x${i}`,
      source: orig ? SOURCES[(SOURCES.indexOf(orig.d.source) + 1) % SOURCES.length]! : d.source,
      publishedAt,
      type: d.type as DocType,
      metadata: d.tags.length > 0 ? { tags: d.tags } : {},
    });
  });
}

/** Generated query strings over the same vocabulary: terms, phrases, prefixes, fields, OR, NOT, filters. */
export function generatedQueries(n: number, seed: number): string[] {
  const word = fc.oneof(
    fc.constantFrom(...ZH),
    fc.constantFrom(...EN),
    fc.constantFrom(...ZH).map((w) => w.slice(0, 1)),
    fc.tuple(fc.constantFrom(...EN), fc.constantFrom(...EN)).map(([a, b]) => `"${a} ${b}"`),
    fc.tuple(fc.constantFrom(...ZH), fc.constantFrom(...ZH)).map(([a, b]) => `${a}${b}`),
    fc.constantFrom(...ZH).map((w) => `title:${w}`),
  );
  const clause = fc.oneof(
    { weight: 4, arbitrary: word },
    { weight: 1, arbitrary: fc.tuple(word, word).map(([a, b]) => `${a} OR ${b}`) },
    { weight: 1, arbitrary: word.map((w) => `-${w.replace(/^title:/, '')}`) },
    { weight: 1, arbitrary: fc.constantFrom('source:wire', 'type:report', 'tag:稀土', 'lang:en', 'lang:zh') },
  );
  return fc.sample(
    fc.array(clause, { minLength: 1, maxLength: 3 }).map((cs) => cs.join(' ')),
    { numRuns: n, seed },
  );
}

function hasPrefix(n: QueryNode): boolean {
  if (n.kind === 'text') return n.prefix;
  if (n.kind === 'not') return hasPrefix(n.child);
  if (n.kind === 'and' || n.kind === 'or') return n.children.some(hasPrefix);
  return false;
}

export type CrossFactory = () => Promise<DocumentStore>;
/** Query text -> the tree a search runs (the caller's parser: plain, or translated across languages with the store's frequencies). */
export type Prepare = (store: DocumentStore, q: string) => Promise<QueryNode | null>;

/** The agreement suite between two backends (`b` skipped with `skip` when it cannot run here). */
export function runCrossBackend(
  aName: string,
  a: CrossFactory,
  bName: string,
  b: CrossFactory,
  skip?: string,
  translate?: Prepare,
): void {
  const d = skip ? describe.skip : describe;
  d(`${aName} and ${bName} agree${skip ? ` (skipped: ${skip})` : ''}`, () => {
    it('property: generated corpus, generated queries: same totals, hits, order, scores, facets and clusters', async () => {
      const [sa, sb] = [await a(), await b()];
      try {
        // LODESTONE_CROSS_SEED explores other corpora and queries (CI runs the fixed ones).
        const seed = Number(process.env.LODESTONE_CROSS_SEED ?? 0);
        const corpus = generatedCorpus(300, 5 + seed);
        // Written in fifteen batches of ten (a backend that merges what each batch wrote does
        // so here), then one of 150 with copies of the first.
        const parts = [
          ...Array.from({ length: 15 }, (_, i) => corpus.slice(i * 10, i * 10 + 10)),
          corpus.slice(150),
        ];
        for (const part of parts) {
          const ra = await sa.upsert(part.map((x) => analyzeDocument(x)));
          const rb = await sb.upsert(part.map((x) => analyzeDocument(x)));
          expect(rb.map((r) => [r.status, r.clusterId === null])).toEqual(
            ra.map((r) => [r.status, r.clusterId === null]),
          );
        }
        const clustersOf = async (s: DocumentStore) =>
          (await s.clusters(2)).map((c) => c.members.map((m) => m.id).join(' ')).sort();
        expect(await clustersOf(sb)).toEqual(await clustersOf(sa));
        const queries = generatedQueries(200, 9 + seed);
        let compared = 0;
        const compareAll = async (deleted: boolean) => {
          for (const [k, q] of queries.entries()) {
            let query: QueryNode | null;
            let translated: QueryNode | null = null;
            try {
              query = parseQuery(q);
              // Every third query also in both languages (concepts: best variant, scaled).
              if (translate && k % 3 === 0) translated = await translate(sa, q);
            } catch {
              continue;
            }
            const plans: [QueryNode | null, Partial<SearchRequest>][] = [
              [query, { sort: 'relevance', collapse: false }],
              [query, { sort: 'newest', collapse: true }],
              [
                query,
                { sort: 'relevance', collapse: true, filters: { from: T0 + 6 * HOUR, to: T0 + 600 * HOUR } },
              ],
            ];
            if (translated) plans.push([translated, { sort: 'relevance', collapse: true }]);
            for (const [tree, over] of plans) {
              const req: SearchRequest = {
                query: tree,
                filters: {},
                sort: 'relevance',
                collapse: false,
                limit: 20,
                offset: 0,
                facets: true,
                ...over,
              };
              const [x, y] = [await sa.search(req), await sb.search(req)];
              const ids = async (s: DocumentStore, r: typeof x) => {
                const docs = await s.getManyBySeq(r.hits.map((h) => h.seq));
                return r.hits.map((h) => `${docs.get(h.seq)!.id}×${h.collapsed}`);
              };
              const label = `${tree === query ? q : `${q} (translated)`} ${JSON.stringify(over)}`;
              expect(y.total, label).toBe(x.total);
                // Known difference: after deletions, FTS5 (which answers prefix leaves on SQLite)
              // still scores with the corpus totals from before them (contentless_delete keeps
              // N and the token total); every other path on both backends uses the live ones. So
            // the order differs, and with collapse the member counted in the facets.
              if (deleted && tree !== null && hasPrefix(tree) && over.sort === 'relevance') continue;
              expect(await ids(sb, y), label).toEqual(await ids(sa, x));
            expect(y.facets, label).toEqual(x.facets);
              y.hits.forEach((h, i) => {
                expect(Math.abs(h.score - x.hits[i]!.score), label).toBeLessThan(
                  1e-9 * Math.max(1, Math.abs(h.score)),
                );
              });
              compared++;
            }
          }
        };
        await compareAll(false);
        // Then a few documents are deleted, on both, and every query is asked again.
        for (const x of corpus.filter((_, i) => i % 23 === 7)) {
          for (const s of [sa, sb]) {
            const d = await s.findByKey(x.key);
            if (d) await s.deleteBySeq([d.seq]);
          }
        }
        await compareAll(true);
        expect(compared).toBeGreaterThan(1000);
      } finally {
        await sa.close();
        await sb.close();
      }
    }, 120_000);
  });
}
