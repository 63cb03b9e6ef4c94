/**
 * npm run eval:summaries — the extractive summarizer against FinNA's one-sentence reference
 * summaries (../shared/corpora/finna_fin_news_summ): character-level ROUGE-1/2/L F1
 * (`-- --llm` adds the check against a real model endpoint: verification pass rates)
 * (punctuation and spaces removed), compared with the lead-1 and lead-3 baselines; and the
 * summarizer's throughput on the flash corpus on one core. Skips with a message when a
 * corpus is absent.
 */
import { createReadStream, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { StoredDocument } from '../src/core/types.js';
import { splitParagraphs } from '../src/extract/paragraphs.js';
import { llmConfigFromEnv, OpenAiCompatibleProvider } from '../src/llm/provider.js';
import { extractiveSummary, splitSentences } from '../src/summaries/extractive.js';
import { llmSummary } from '../src/summaries/llm.js';
import { CORPORA, corpusFiles, machine, OUT } from './common.js';

const lines: string[] = [];
const say = (s = '') => {
  console.log(s);
  lines.push(s);
};

function chars(s: string): string[] {
  return [...s.replace(/[\s\p{P}\p{S}]/gu, '')];
}

function ngrams(t: string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= t.length; i++) {
    const g = t.slice(i, i + n).join('');
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  return m;
}

function f1(overlap: number, cand: number, ref: number): number {
  if (cand === 0 || ref === 0 || overlap === 0) return 0;
  const p = overlap / cand;
  const r = overlap / ref;
  return (2 * p * r) / (p + r);
}

function rougeN(c: string[], r: string[], n: number): number {
  const a = ngrams(c, n);
  const b = ngrams(r, n);
  let o = 0;
  for (const [g, k] of a) o += Math.min(k, b.get(g) ?? 0);
  return f1(o, Math.max(0, c.length - n + 1), Math.max(0, r.length - n + 1));
}

function rougeL(c: string[], r: string[]): number {
  const prev = new Int32Array(r.length + 1);
  const cur = new Int32Array(r.length + 1);
  for (let i = 1; i <= c.length; i++) {
    for (let j = 1; j <= r.length; j++) cur[j] = c[i - 1] === r[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    prev.set(cur);
  }
  return f1(prev[r.length]!, c.length, r.length);
}

function asDoc(id: string, title: string, body: string, lang = 'zh'): StoredDocument {
  const paragraphs = splitParagraphs(body).map((p) => p.text);
  return {
    seq: 0, id, key: id, externalId: id, title, source: 'eval', url: null, publishedAt: null, fetchedAt: 0, ingestedAt: 0,
    type: 'news', lang, script: 'Hans', paragraphs: paragraphs.map((text, i) => ({ n: i + 1, text })), metadata: {}, tickers: [],
    contentHash: id, clusterId: null,
  };
}

async function* ndjson(file: string): AsyncGenerator<Record<string, unknown>> {
  const input = file.endsWith('.gz') ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line.trim()) yield JSON.parse(line) as Record<string, unknown>;
  }
}

say(`## Summary evaluation ${new Date().toISOString()} on ${machine()}`);
say('');
const finna = join(CORPORA, 'finna_fin_news_summ', 'finna_eval.ndjson');
if (!existsSync(finna)) say(`FinNA skipped: ${finna} not found.`);
else {
  const systems = ['extractive: Core Viewpoint', 'extractive: whole summary', 'lead-1', 'lead-3'] as const;
  const sums = new Map(systems.map((s) => [s, { r1: 0, r2: 0, rl: 0 }]));
  let n = 0;
  let verified = 0;
  let points = 0;
  for await (const r of ndjson(finna)) {
    const body = String(r.body ?? '');
    const ref = chars(String(r.summary ?? ''));
    if (body === '' || ref.length === 0) continue;
    const d = asDoc(String(r.id), '', body);
    const s = extractiveSummary(d);
    const all = s.sections.flatMap((x) => x.points);
    points += all.length;
    verified += all.filter((p) => p.verified).length;
    const sents = d.paragraphs.flatMap((p) => splitSentences(p.text));
    const outputs: Record<(typeof systems)[number], string> = {
      'extractive: Core Viewpoint': s.sections.find((x) => x.heading === 'Core Viewpoint')?.points[0]?.text ?? '',
      'extractive: whole summary': all.map((p) => p.text).join(''),
      'lead-1': sents[0] ?? '',
      'lead-3': sents.slice(0, 3).join(''),
    };
    for (const sys of systems) {
      const c = chars(outputs[sys]);
      const acc = sums.get(sys)!;
      acc.r1 += rougeN(c, ref, 1);
      acc.r2 += rougeN(c, ref, 2);
      acc.rl += rougeL(c, ref);
    }
    n++;
  }
  say(`FinNA eval split: ${n.toLocaleString('en')} news items with one-sentence references; character-level ROUGE F1 (%).`);
  say('');
  say('| system | ROUGE-1 | ROUGE-2 | ROUGE-L |');
  say('| --- | --- | --- | --- |');
  for (const sys of systems) {
    const a = sums.get(sys)!;
    say(`| ${sys} | ${((100 * a.r1) / n).toFixed(2)} | ${((100 * a.r2) / n).toFixed(2)} | ${((100 * a.rl) / n).toFixed(2)} |`);
  }
  say('');
  say(`Points verified by the citation verifier: ${verified.toLocaleString('en')} of ${points.toLocaleString('en')}.`);
  say('');
}

// --llm: the manual check against a real endpoint (LODESTONE_LLM_*): how many model points
// pass verification, how many are dropped, on the first LODESTONE_EVAL_LLM_DOCS FinNA items.
if (process.argv.includes('--llm')) {
  const config = llmConfigFromEnv();
  if (!config) say('LLM check skipped: set LODESTONE_LLM_BASE_URL and LODESTONE_LLM_MODEL.');
  else if (!existsSync(finna)) say('LLM check skipped: FinNA not found.');
  else {
    const llm = new OpenAiCompatibleProvider(config);
    const limit = Number(process.env.LODESTONE_EVAL_LLM_DOCS ?? 50);
    let docs = 0;
    let kept = 0;
    let dropped = 0;
    let failed = 0;
    let r1 = 0;
    const t = performance.now();
    for await (const r of ndjson(finna)) {
      if (docs >= limit) break;
      docs++;
      try {
        const s = await llmSummary(llm, asDoc(String(r.id), '', String(r.body ?? '')), 'zh');
        kept += s.sections.flatMap((x) => x.points).length;
        dropped += s.dropped.length;
        const core = s.sections.find((x) => x.heading === 'Core Viewpoint')?.points[0]?.text ?? '';
        r1 += rougeN(chars(core), chars(String(r.summary ?? '')), 1);
      } catch (err) {
        failed++;
        console.error(`${String(r.id)}: ${(err as Error).message}`);
      }
    }
    say(`LLM check (${config.model} at ${config.baseURL}), ${docs} FinNA items in ${((performance.now() - t) / 1000).toFixed(0)} s:`);
    say(`points kept (verified) ${kept}, dropped after repair ${dropped} (pass rate ${((100 * kept) / Math.max(1, kept + dropped)).toFixed(1)}%), documents failed ${failed}; Core Viewpoint ROUGE-1 ${((100 * r1) / Math.max(1, docs - failed)).toFixed(2)}.`);
    say('');
  }
}

const flash = corpusFiles('cn_finance_flash_news');
if (!flash) say('Throughput skipped: ../shared/corpora/cn_finance_flash_news not found.');
else {
  const docs: StoredDocument[] = [];
  for await (const r of ndjson(flash[0]!)) {
    docs.push(asDoc(String(r.id), String(r.title ?? ''), String(r.body ?? '')));
    if (docs.length >= 20_000) break;
  }
  for (const d of docs.slice(0, 500)) extractiveSummary(d); // warm up
  const t = performance.now();
  for (const d of docs) extractiveSummary(d);
  const secs = (performance.now() - t) / 1000;
  say(`Throughput on one core: ${docs.length.toLocaleString('en')} flash items (${flash[0]!.split('/').pop()}) in ${secs.toFixed(1)} s = **${Math.round(docs.length / secs).toLocaleString('en')} docs/s** (target >= 500).`);
}
writeFileSync(join(OUT, `summaries-${Date.now()}.md`), `${lines.join('\n')}\n`);
