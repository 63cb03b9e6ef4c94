/**
 * `npm run eval:clir`: cross-language search, measured.
 *
 *   EN→ZH  English concepts (bench/clir-queries.ts) against cn_finance_flash_news. Oracle:
 *          the documents whose folded title and text contain one of the concept's accepted
 *          Chinese forms (Latin forms as whole words). Recall = oracle documents found;
 *          precision = hits that contain an accepted form or every English word. Run with
 *          our glossary and without it (CC-CEDICT and the corpus's evidence alone), and
 *          untranslated (the literal query) for reference.
 *   ZH→EN  Chinese queries against Reuters-21578, ranked by relevance; average precision
 *          against the topic label, beside the same queries written in English (MAP ratio).
 *   ZH→ZH  Chinese queries on the Chinese corpus with translation on: substring recall and
 *          precision must stay 100%.
 *
 *   Latency Translated queries against the same queries in Chinese on the 1,000,000-document
 *          generated store (`LODESTONE_BENCH_DOCS=1000000 npm run bench -- generated` builds
 *          it; LODESTONE_CLIR_STORE points elsewhere): p99 ratio, target ≤ 2x.
 *
 *   Fusion Per-variant normalisation against a plain OR and reciprocal rank fusion, on one
 *          store holding both corpora (MAP and P@20 each way).
 *
 * `npm run eval:clir [-- quality | fusion | latency]`. Stores are built under bench/out/clir/ on first
 * use (about a minute) and reused; set LODESTONE_CLIR_REBUILD=1 to rebuild. Skips with a
 * message when ../shared/corpora (or the generated store) is absent.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { foldText } from '../src/analysis/normalize.js';
import { parseQuery } from '../src/search/query/parse.js';
import { Lexicon } from '../src/search/translate/lexicon.js';
import { DfCache, type Translation, translateQuery } from '../src/search/translate/translate.js';
import { setConceptFusion } from '../src/store/sqlite/search.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { EN_TO_ZH, type EnConcept, ZH_ON_ZH, ZH_TO_EN } from './clir-queries.js';
import { CORPORA, machine, outDir, ROOT, skip } from './common.js';

const dir = outDir('clir');

function store(name: string, corpus: string): SqliteStore | null {
  const src = join(CORPORA, corpus);
  if (!existsSync(src)) {
    skip(`eval:clir ${name}`, `${src} is absent (see ../shared/corpora/README.md)`);
    return null;
  }
  const data = join(dir, name);
  if (process.env.LODESTONE_CLIR_REBUILD === '1') rmSync(data, { recursive: true, force: true });
  if (!existsSync(join(data, 'lodestone.db'))) {
    console.log(`building the ${name} store from ${src} …`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'entry.ts'), 'ingest', src, '--data', data], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`ingest of ${corpus} failed`);
  }
  return SqliteStore.open(data);
}

function texts(s: SqliteStore): Map<number, string> {
  const rows = s.db.prepare('SELECT rowid, title, paragraphs FROM documents').raw(true).all() as [number, string, string][];
  return new Map(rows.map(([id, title, paras]) => [id, foldText(`${title}\n${(JSON.parse(paras) as string[]).join('\n')}`)]));
}

function contains(text: string, form: string): boolean {
  const f = foldText(form);
  if (/^[a-z0-9 -]+$/.test(f)) return new RegExp(`(^|[^a-z0-9])${f.replace(/-/g, '\\-')}($|[^a-z0-9])`).test(text);
  return text.includes(f);
}

async function run(s: SqliteStore, q: string, lex: Lexicon | null, sort: 'relevance' | 'newest') {
  const parsed = parseQuery(q);
  let query = parsed;
  let translations: Translation[] = [];
  if (lex) {
    const ev = new DfCache(async () => (await s.indexStats()).documents, (leaf) => s.documentFrequency(leaf));
    ({ query, translations } = await translateQuery(parsed, lex, ev));
  }
  const res = s.searchSync({ query, filters: {}, sort, collapse: false, limit: 1_000_000, offset: 0, facets: false });
  return { ids: res.hits.map((h) => h.seq), translations };
}

const fmt = (x: number) => (Number.isNaN(x) ? '—' : x.toFixed(3));

async function enToZh(lines: string[]) {
  const s = store('flash', 'cn_finance_flash_news');
  if (!s) return;
  const all = texts(s);
  const modes: [string, Lexicon | null][] = [
    ['with glossary', new Lexicon(null)],
    ['CC-CEDICT only', new Lexicon(null, { glossary: false })],
    ['untranslated', null],
  ];
  const summary: string[] = [];
  let detail: string[] = [];
  for (const [mode, lex] of modes) {
    const rows: { c: EnConcept; oracle: number; hits: number; recall: number; precision: number; via: string }[] = [];
    for (const c of EN_TO_ZH) {
      const oracle = new Set<number>();
      for (const [id, t] of all) if (c.zh.some((f) => contains(t, f))) oracle.add(id);
      const { ids, translations } = await run(s, c.en, lex, 'newest');
      const words = c.en.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
      let found = 0;
      let correct = 0;
      for (const id of ids) {
        const t = all.get(id) ?? '';
        if (oracle.has(id)) found++;
        if (oracle.has(id) || words.every((w) => contains(t, w))) correct++;
      }
      const via = translations.map((t) => `${t.source} → ${t.targets.map((x) => `${x.text} (${x.origin})`).join(' · ') || '—'}`).join('; ');
      rows.push({ c, oracle: oracle.size, hits: ids.length, recall: oracle.size ? found / oracle.size : 1, precision: ids.length ? correct / ids.length : oracle.size ? 0 : 1, via });
    }
    const mr = rows.reduce((a, r) => a + r.recall, 0) / rows.length;
    const mp = rows.reduce((a, r) => a + r.precision, 0) / rows.length;
    const inGloss = rows.filter((r) => /glossary|alias/.test(r.via)).length;
    summary.push(`| ${mode} | ${rows.length} | ${fmt(mr)} | ${fmt(mp)} | ${lex ? inGloss : '—'} |`);
    if (mode === 'with glossary') {
      const worst = [...rows].sort((a, b) => a.recall + a.precision - (b.recall + b.precision)).slice(0, 10);
      detail = [
        '',
        'The 10 worst concepts (with glossary), by recall + precision:',
        '',
        '| query | accepted forms | oracle | hits | recall | precision | searched as |',
        '| --- | --- | ---: | ---: | ---: | ---: | --- |',
        ...worst.map((r) => `| ${r.c.en} | ${r.c.zh.join(' ')} | ${r.oracle} | ${r.hits} | ${fmt(r.recall)} | ${fmt(r.precision)} | ${r.via} |`),
      ];
      const cedictOnly = rows.filter((r) => !/glossary|alias/.test(r.via));
      detail.push('', `Concepts our glossary does not hold (${cedictOnly.length}; CC-CEDICT chose): mean recall ${fmt(cedictOnly.reduce((a, r) => a + r.recall, 0) / Math.max(1, cedictOnly.length))}, precision ${fmt(cedictOnly.reduce((a, r) => a + r.precision, 0) / Math.max(1, cedictOnly.length))}`);
    }
  }
  lines.push('## English → Chinese (cn_finance_flash_news, every hit, duplicates not collapsed)', '', '| lexicon | concepts | mean recall | mean precision | translated by glossary/alias |', '| --- | ---: | ---: | ---: | ---: |', ...summary, ...detail, '');
  // Chinese on Chinese with translation on: substring recall and precision.
  let tp = 0;
  let oracleN = 0;
  let foundN = 0;
  for (const q of ZH_ON_ZH) {
    const oracle = new Set<number>();
    for (const [id, t] of all) if (t.includes(foldText(q))) oracle.add(id);
    const { ids } = await run(s, `"${q}"`, new Lexicon(null), 'newest');
    for (const id of ids) if (oracle.has(id)) tp++;
    oracleN += oracle.size;
    foundN += ids.length;
  }
  lines.push('## Chinese → Chinese with translation on', '', `${ZH_ON_ZH.length} Chinese queries: substring recall ${fmt(tp / oracleN)}, precision ${fmt(tp / foundN)} (${foundN} hits, oracle ${oracleN}).`, '');
  await s.close();
}

function averagePrecision(ranked: number[], relevant: Set<number>): number {
  if (relevant.size === 0) return 0;
  let hits = 0;
  let sum = 0;
  ranked.forEach((id, i) => {
    if (relevant.has(id)) {
      hits++;
      sum += hits / (i + 1);
    }
  });
  return sum / relevant.size;
}

async function zhToEn(lines: string[]) {
  const s = store('reuters', 'reuters21578');
  if (!s) return;
  const topics = new Map<number, string[]>();
  const rows = s.db.prepare('SELECT rowid, metadata FROM documents').raw(true).all() as [number, string | null][];
  for (const [id, meta] of rows) {
    const m = meta ? (JSON.parse(meta) as { topics?: string[] }) : {};
    topics.set(id, m.topics ?? []);
  }
  const lex = new Lexicon(null);
  const out: string[] = [];
  let sumZh = 0;
  let sumEn = 0;
  for (const q of ZH_TO_EN) {
    const rel = new Set<number>();
    for (const [id, t] of topics) if (t.includes(q.topic)) rel.add(id);
    const zh = await run(s, q.zh, lex, 'relevance');
    const en = await run(s, q.en, lex, 'relevance');
    const apZh = averagePrecision(zh.ids, rel);
    const apEn = averagePrecision(en.ids, rel);
    sumZh += apZh;
    sumEn += apEn;
    const via = zh.translations.map((t) => t.targets.map((x) => x.text).join(' · ') || '—').join('; ');
    out.push(`| ${q.zh} | ${q.en} | ${q.topic} | ${rel.size} | ${fmt(apZh)} | ${fmt(apEn)} | ${via} |`);
  }
  const mapZh = sumZh / ZH_TO_EN.length;
  const mapEn = sumEn / ZH_TO_EN.length;
  lines.push(
    '## Chinese → English (Reuters-21578, topic labels as judgements)',
    '',
    `MAP: Chinese queries ${fmt(mapZh)}, the same queries in English ${fmt(mapEn)}, ratio ${fmt(mapZh / mapEn)} (target ≥ 0.8).`,
    '',
    '| Chinese | English | topic | relevant | AP (zh) | AP (en) | searched as |',
    '| --- | --- | --- | ---: | ---: | ---: | --- |',
    ...out,
    '',
  );
  await s.close();
}

/**
 * Which way to make English and Chinese scores comparable: one store holding both the flash
 * corpus and Reuters; each topic query in English and in Chinese; relevant = the Reuters
 * documents with the topic label and the Chinese documents containing the Chinese query.
 * MAP and precision at 20 of the full ranking, per fusion: per-variant normalisation (what
 * the product does), a plain OR summing raw BM25, reciprocal rank fusion.
 */
async function fusion(lines: string[]) {
  const flash = join(CORPORA, 'cn_finance_flash_news');
  const reuters = join(CORPORA, 'reuters21578');
  if (!existsSync(flash) || !existsSync(reuters)) {
    skip('eval:clir fusion', 'the flash or Reuters corpus is absent');
    return;
  }
  const data = join(dir, 'mixed');
  if (process.env.LODESTONE_CLIR_REBUILD === '1') rmSync(data, { recursive: true, force: true });
  if (!existsSync(join(data, 'lodestone.db'))) {
    console.log('building the mixed (flash + Reuters) store …');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'entry.ts'), 'ingest', flash, reuters, '--data', data], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0 && r.status !== 1) throw new Error('ingest of the mixed store failed');
  }
  const s = SqliteStore.open(data);
  const rows = s.db.prepare('SELECT rowid, title, paragraphs, metadata, lang FROM documents').raw(true).all() as [number, string, string, string | null, string][];
  const text = new Map<number, string>();
  const topics = new Map<number, string[]>();
  for (const [id, title, paras, meta, lang] of rows) {
    if (lang === 'zh') text.set(id, foldText(`${title}\n${(JSON.parse(paras) as string[]).join('\n')}`));
    else topics.set(id, meta ? ((JSON.parse(meta) as { topics?: string[] }).topics ?? []) : []);
  }
  const lex = new Lexicon(null);
  const out: string[] = [];
  for (const mode of ['normalize', 'sum', 'rrf'] as const) {
    setConceptFusion(mode);
    const m = { en: { ap: 0, p20: 0 }, zh: { ap: 0, p20: 0 } };
    for (const q of ZH_TO_EN) {
      const rel = new Set<number>();
      for (const [id, t] of topics) if (t.includes(q.topic)) rel.add(id);
      const needle = foldText(q.zh);
      for (const [id, t] of text) if (t.includes(needle)) rel.add(id);
      for (const side of ['en', 'zh'] as const) {
        const { ids } = await run(s, side === 'en' ? q.en : q.zh, lex, 'relevance');
        m[side].ap += averagePrecision(ids, rel);
        m[side].p20 += ids.slice(0, 20).filter((id) => rel.has(id)).length / 20;
      }
    }
    const n = ZH_TO_EN.length;
    out.push(`| ${mode === 'normalize' ? 'per-variant normalisation (shipped)' : mode === 'sum' ? 'plain OR (raw BM25 summed)' : 'reciprocal rank fusion (k=60)'} | ${fmt(m.en.ap / n)} | ${fmt(m.en.p20 / n)} | ${fmt(m.zh.ap / n)} | ${fmt(m.zh.p20 / n)} |`);
  }
  setConceptFusion('normalize');
  lines.push(
    `## Score fusion across languages (flash + Reuters in one store, ${rows.length.toLocaleString('en')} documents; ${ZH_TO_EN.length} topic queries each way; relevant: the topic's Reuters wires and the Chinese documents containing the Chinese query)`,
    '',
    '| fusion | English queries: MAP | P@20 | Chinese queries: MAP | P@20 |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...out,
    '',
  );
  await s.close();
}

/** Translated queries against the same queries written in the documents' language, through the search service as a server runs it. */
const LATENCY_PAIRS: [string, string][] = [
  ['rare earth', '稀土'],
  ['export controls', '出口管制'],
  ['rare earth export controls', '稀土 出口管制'],
  ['NdFeB', '钕铁硼'],
  ['rare earth OR NdFeB', '稀土 OR 钕铁硼'],
  ['permanent magnets', '永磁'],
  // Quoted: the glossary's 经济增长 is searched as the exact word (a phrase), while an unquoted
  // 经济增长 is split by the segmenter into 经济 AND 增长 (96,942 matches against 161).
  ['economic growth', '"经济增长"'],
  // Not in the glossary: translated word by word (国际 AND 市场), as the segmenter splits 国际市场.
  ['international market', '国际市场'],
];

async function latency(lines: string[]) {
  const dir = process.env.LODESTONE_CLIR_STORE ?? join(ROOT, 'bench', 'out', 'generated-1000000');
  if (!existsSync(join(dir, 'lodestone.db'))) {
    skip('eval:clir latency', `no store at ${dir}: build it with LODESTONE_BENCH_DOCS=1000000 npm run bench -- generated (or set LODESTONE_CLIR_STORE)`);
    return;
  }
  const { searchDocuments } = await import('../src/services/search.js');
  const { percentile } = await import('./common.js');
  const s = SqliteStore.open(dir, { parallel: availableParallelism() > 1 });
  const n = (await s.stats()).documents;
  const runs = Number(process.env.LODESTONE_CLIR_RUNS ?? 200);
  const time = async (q: string, sort: 'relevance' | 'newest', translate: boolean) => {
    const t: number[] = [];
    for (let i = 0; i < 5; i++) await searchDocuments(s, { q, sort, translate, limit: 10 });
    let total = 0;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const r = await searchDocuments(s, { q, sort, translate, limit: 10 });
      t.push(performance.now() - t0);
      total = r.total;
    }
    t.sort((a, b) => a - b);
    return { p50: percentile(t, 0.5), p99: percentile(t, 0.99), total };
  };
  const rows: string[] = [];
  const ratios: number[] = [];
  for (const sort of ['relevance', 'newest'] as const) {
    for (const [en, zh] of LATENCY_PAIRS) {
      // Interleaved: native, translated, native, translated — the machine's drift hits both.
      const a = await time(zh, sort, false);
      const b = await time(en, sort, true);
      const ratio = b.p99 / a.p99;
      ratios.push(ratio);
      rows.push(`| ${sort} | ${en} | ${zh} | ${b.total.toLocaleString('en')} / ${a.total.toLocaleString('en')} | ${b.p50.toFixed(1)} / ${b.p99.toFixed(1)} | ${a.p50.toFixed(1)} / ${a.p99.toFixed(1)} | ${ratio.toFixed(2)}x |`);
    }
  }
  lines.push(
    `## Latency at ${n.toLocaleString('en')} documents (generated Chinese corpus; ${runs} runs a query after 5 warm-ups; search service with snippets, top 10, two threads as a server runs)`,
    '',
    '| sort | translated query | same query in Chinese | totals | translated p50 / p99 ms | Chinese p50 / p99 ms | p99 ratio |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `Worst p99 ratio ${Math.max(...ratios).toFixed(2)}x, median ${[...ratios].sort((x, y) => x - y)[Math.floor(ratios.length / 2)]!.toFixed(2)}x (target ≤ 2x).`,
    '',
  );
  await s.close();
}

const lines = [`# Cross-language search evaluation (${new Date().toISOString().slice(0, 10)}, ${machine()})`, ''];
const parts = process.argv.slice(2);
const want = (x: string) => parts.length === 0 || parts.includes(x);
if (want('quality')) {
  await enToZh(lines);
  await zhToEn(lines);
}
if (want('fusion')) await fusion(lines);
if (want('latency')) await latency(lines);
const text = lines.join('\n');
console.log(text);
writeFileSync(join(dir, 'report.md'), text);
