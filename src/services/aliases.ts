/**
 * Entity names in both languages, harvested from the documents themselves: where a Chinese
 * name is followed by its English one in brackets (`泰京银行（Krung Thai Bank）`,
 * `液化石油气（LPG）`) or the reverse (`Nvidia（英伟达）`). Written to
 * `<data>/aliases.harvested.tsv` (a glossary file the lexicon reads as entity aliases, re-read
 * when it changes) by `lodestone glossary harvest`.
 *
 * Precision rules: the Chinese run must start after punctuation, a space or the start of
 * the text (so `宣布收购泰京银行（…）` is not taken whole); a pair must be seen in at least
 * two documents, and the Chinese name is the ending its sightings share (`投资银行道明考恩(TD
 * Cowen)` and `据道明考恩（TD Cowen）` give 道明考恩: an ending longer than half the shorter
 * sighting); tickers
 * (`CSCO.O`, `600111.SH`) are not names; an English name is kept for at most two Chinese
 * names (the second only when seen at least half as often as the first), and the reverse.
 * Limits: still heuristic — a bracket after a phrase (`…芯片封装（CoWoS）`) can yield a phrase,
 * not a name, when every sighting carries the same phrase; nothing links a name to its
 * ticker yet.
 */
import { writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HARVESTED_FILE, lexicon } from '../search/translate/lexicon.js';
import type { DocumentStore } from '../store/ports.js';

const ZH_THEN_EN = /(?:^|[\s，。：；、！？“”"'‘’【】《》（）()[\]|·,.:;!?])(\p{Script=Han}{2,12})\s?[（(]([A-Z][A-Za-z0-9&.'\- ]{1,40}[A-Za-z0-9.])[)）]/gu;
const EN_THEN_ZH = /(?:^|[^A-Za-z0-9])([A-Z][A-Za-z0-9&.'-]*(?: [A-Z][A-Za-z0-9&.'-]*){0,4})\s?[（(](\p{Script=Han}{2,12})[)）]/gu;
const TICKER = /^(?:[A-Z]{1,6}\.[A-Z]{1,2}|\d+)$/;
/** Bracketed English that is not a name of the thing before it. */
const NOT_A_NAME = /^(?:Reuters|Bloomberg|AP|AFP|Xinhua|CNN|BBC|Note|Photo|Source|Update|Updated|Close|Open)$/;

function suffix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[a.length - 1 - i] === b[b.length - 1 - i]) i++;
  return a.slice(a.length - i);
}

export interface HarvestReport {
  documents: number;
  pairs: number;
  file: string;
  took_ms: number;
}

export async function harvestAliases(store: DocumentStore, dataDir: string, opts: { minDocuments?: number } = {}): Promise<HarvestReport> {
  const started = performance.now();
  const minDocs = opts.minDocuments ?? 2;
  // English name -> Chinese runs seen before/after it, one per document.
  const sightings = new Map<string, Map<string, Set<number>>>();
  const see = (en: string, zh: string, doc: number) => {
    const e = en.trim();
    if (TICKER.test(e) || NOT_A_NAME.test(e) || e.length < 2) return;
    let m = sightings.get(e);
    if (!m) {
      m = new Map();
      sightings.set(e, m);
    }
    let s = m.get(zh);
    if (!s) {
      s = new Set();
      m.set(zh, s);
    }
    s.add(doc);
  };
  const total = (await store.indexStats()).documents;
  const all = await store.search({ query: null, filters: {}, sort: 'newest', collapse: false, limit: Math.max(1, total), offset: 0, facets: false });
  const seqs = all.hits.map((h) => h.seq).sort((a, b) => a - b);
  for (let i = 0; i < seqs.length; i += 1000) {
    const docs = await store.getManyBySeq(seqs.slice(i, i + 1000));
    for (const [seq, d] of docs) {
      const texts = [d.title, ...d.paragraphs.map((p) => p.text)];
      for (const t of texts) {
        if (t.indexOf('(') < 0 && t.indexOf('（') < 0) continue;
        for (const m of t.matchAll(ZH_THEN_EN)) see(m[2]!, m[1]!, seq);
        for (const m of t.matchAll(EN_THEN_ZH)) see(m[1]!, m[2]!, seq);
      }
    }
  }
  // For each English name: Chinese names by shared ending, counted by documents.
  const pairs: [string, string, number][] = [];
  for (const [en, runs] of sightings) {
    // Sightings join a group when they share an ending longer than half the shorter one
    // (据道明考恩 and 投资银行道明考恩 → 道明考恩); the group's name shrinks to that ending.
    const groups: { name: string; docs: Set<number> }[] = [];
    const list = [...runs.entries()].sort((a, b) => b[1].size - a[1].size || a[0].length - b[0].length);
    for (const [run, docs] of list) {
      const g = groups.find((x) => {
        const s = suffix(x.name, run);
        const shorter = Math.min(x.name.length, run.length);
        // A two-character ending only when it is one of the sightings (莫德纳 and 德纳 are not one name's).
        return s.length * 2 > shorter && (s.length >= 3 || s.length === shorter);
      });
      if (g) {
        g.name = suffix(g.name, run);
        for (const d of docs) g.docs.add(d);
      } else groups.push({ name: run, docs: new Set(docs) });
    }
    const ranked = groups.filter((g) => g.docs.size >= minDocs).sort((a, b) => b.docs.size - a.docs.size);
    // A second Chinese name only when it is seen at least half as often as the first.
    for (const g of ranked.slice(0, 2)) if (g.docs.size * 2 >= ranked[0]!.docs.size) pairs.push([en, g.name, g.docs.size]);
  }
  // The reverse cap: a Chinese name keeps its two most frequent English names.
  const byZh = new Map<string, [string, string, number][]>();
  for (const p of pairs) byZh.set(p[1], [...(byZh.get(p[1]) ?? []), p]);
  const kept = [...byZh.values()].flatMap((ps) => ps.sort((a, b) => b[2] - a[2]).slice(0, 2)).sort((a, b) => b[2] - a[2] || a[0].localeCompare(b[0]));
  const file = join(dataDir, HARVESTED_FILE);
  mkdirSync(dataDir, { recursive: true });
  const body = [
    `# Entity names harvested from this store's documents by \`lodestone glossary harvest\` (${new Date().toISOString()}).`,
    '# english<TAB>中文, with the number of documents in a comment. Rewritten by each harvest: teach or block pairs with `lodestone glossary`.',
    ...kept.map(([en, zh, n]) => `${en}\t${zh}\t# ${n}`),
  ].join('\n');
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${body}\n`);
  renameSync(tmp, file);
  lexicon().invalidate();
  return { documents: seqs.length, pairs: kept.length, file, took_ms: Math.round(performance.now() - started) };
}
