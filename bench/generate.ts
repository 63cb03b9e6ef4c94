/**
 * Deterministic generator of news-length Chinese documents: words drawn from jieba's own
 * dictionary with their frequencies (so the term distribution is Zipf-like, as in real
 * text), ~3 KB per document, and a topic vocabulary (稀土, 永磁, 钕铁硼, …) injected into
 * ~30% of documents so a "common term" query matches about 30% of the corpus.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

export const TOPIC = ['稀土', '永磁', '钕铁硼', '出口管制', '镨钕', '磁材', '稀土独立', '冶炼分离'];
const SOURCES = ['财联社', '同花顺', '东方财富', '新华社', '证券时报', '第一财经', '澎湃新闻', '界面新闻', '上海证券报', '中国证券报', '21世纪经济报道', '经济观察报', '华尔街见闻', '格隆汇', '智通财经', '金十数据', '路透中文', '彭博中文', '观察者网', '虎嗅'];
const TYPES = ['news', 'news', 'news', 'news', 'report', 'transcript', 'interview', 'announcement', 'note'];
const PUNCT = ['，', '，', '，', '。', '、', '；'];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Vocab {
  words: string[];
  cumulative: Float64Array;
}

function loadVocab(): Vocab {
  const dictPath = join(dirname(require.resolve('@node-rs/jieba/package.json')), 'dict.txt');
  const words: string[] = [];
  const freqs: number[] = [];
  for (const line of readFileSync(dictPath, 'utf8').split('\n')) {
    const [w, f] = line.split(' ');
    if (!w || !f) continue;
    if (!/^[\p{Script=Han}]+$/u.test(w)) continue;
    words.push(w);
    freqs.push(Number(f));
  }
  const cumulative = new Float64Array(freqs.length);
  let acc = 0;
  for (let i = 0; i < freqs.length; i++) cumulative[i] = acc += freqs[i]!;
  return { words, cumulative };
}

function pick(v: Vocab, r: number): string {
  const target = r * v.cumulative[v.cumulative.length - 1]!;
  let lo = 0;
  let hi = v.cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v.cumulative[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return v.words[lo]!;
}

/** Write `n` documents as NDJSON to `path`. Same n and seed give the same bytes. */
export async function generateCorpus(path: string, n: number, seed = 42, bodyChars = 1000): Promise<void> {
  const v = loadVocab();
  const rnd = mulberry32(seed);
  const out = createWriteStream(path);
  const start = Date.UTC(2024, 0, 1);
  const span = 2 * 365 * 24 * 3600 * 1000;
  for (let i = 0; i < n; i++) {
    const topical = rnd() < 0.3;
    const title: string[] = [];
    const tlen = 4 + Math.floor(rnd() * 6);
    for (let k = 0; k < tlen; k++) title.push(pick(v, rnd()));
    if (topical) title.splice(Math.floor(rnd() * title.length), 0, TOPIC[Math.floor(rnd() * 3)]!);
    const paragraphs: string[] = [];
    let len = 0;
    let para = '';
    while (len < bodyChars) {
      let w = pick(v, rnd());
      if (topical && rnd() < 0.02) w = TOPIC[Math.floor(rnd() * TOPIC.length)]!;
      para += w;
      len += w.length;
      if (rnd() < 0.12) para += PUNCT[Math.floor(rnd() * PUNCT.length)]!;
      if (para.length > 120 + rnd() * 200) {
        paragraphs.push(`${para}。`);
        para = '';
      }
    }
    if (para) paragraphs.push(`${para}。`);
    const rec = {
      id: `gen-${i}`,
      title: title.join(''),
      body: paragraphs.join('\n'),
      published_at: new Date(start + Math.floor(rnd() * span)).toISOString(),
      source: SOURCES[Math.floor(rnd() * SOURCES.length)],
      type: TYPES[Math.floor(rnd() * TYPES.length)],
      lang: 'zh',
    };
    if (!out.write(`${JSON.stringify(rec)}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
}
