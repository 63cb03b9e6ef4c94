/**
 * The extractive summarizer: the seed-shaped summary built from the document's own
 * sentences, so every point cites the paragraph it was taken from. No model, no network.
 *
 *   1. sentences: split on Chinese and English sentence ends, keeping decimals (3.5),
 *      abbreviations (U.S., Inc.) and closing quotes with their sentence;
 *   2. centrality: TextRank (PageRank over cosine similarity of term vectors: CJK bigrams and
 *      English stems) for up to MAX_GRAPH sentences, similarity to the document centroid
 *      beyond; a small lead bonus, since news puts its claim first;
 *   3. selection: maximal marginal relevance, so no two points say the same thing;
 *   4. structure by template: Core Viewpoint = the most central sentence; themes = groups of
 *      the other points sharing a keyword (jieba TF-IDF for Chinese, term weight for English),
 *      labelled with it; reports add Investment Rating, calls Company Overview and Future Outlook.
 */
import { tokenize } from '../analysis/terms.js';
import type { DocType, StoredDocument } from '../core/types.js';
import { headingCandidates } from './headings.js';
import { verifyPoint } from './verify.js';

// v2: theme headings from summaries/headings.ts (v1's keyword labels could be junk: `Group 2: SH`);
// v3: an outlet's furniture (原标题：…) is never a point.
export const EXTRACTIVE_TEMPLATE_VERSION = 'extractive-v3';

export interface SummaryPoint {
  text: string;
  citations: number[];
  verified: boolean;
  problems: string[];
}

export interface SummarySection {
  heading: string;
  points: SummaryPoint[];
}

export interface Summary {
  document_id: string;
  lang: string;
  template: string;
  /** `none`: the document is short enough to read whole (summaries/short.ts); no sections. */
  method: 'llm' | 'extractive' | 'none';
  model: string | null;
  sections: SummarySection[];
  dropped: { text: string; citations: number[]; reason: string }[];
  text: string;
}

export interface Sentence {
  text: string;
  /** Paragraph number (1-based). */
  paragraph: number;
  /** Position among all sentences of the document. */
  index: number;
}

const MAX_GRAPH = 300;
const BOILERPLATE = /^\s*(?:风险提示|风险因素|免责声明|分析师声明|重要声明|Risks?\b|Risk factors|Disclaimer|Disclosures?)/i;
const MAX_SENTENCES = 3000;
/** Lines an outlet adds around a story: its original headline, editor, source, calls to follow. */
const FURNITURE = /^\s*[（(【]?\s*(?:原标题|原题|责任编辑|编辑|记者|来源|本文来源|文章来源|转载|声明|Source|Editing by|Reporting by)\s*[:：]/i;
const ABBREVIATIONS = /(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Inc|Ltd|Co|Corp|Jr|Sr|St|vs|etc|No|Fig|U\.S|U\.K|e\.g|i\.e|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec))\.$/;
const CLOSERS = '"\'”’」』）)】》';

/** Sentences of one paragraph, each with its end punctuation and closing quotes. */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text[i]!;
    let end = -1;
    if ('。！？!?；;…'.includes(c)) end = i + 1;
    else if (c === '.') {
      const next = text[i + 1];
      const prev = text[i - 1] ?? '';
      const isDecimal = /\d/.test(prev) && next !== undefined && /\d/.test(next);
      if (!isDecimal && (next === undefined || /\s/.test(next)) && !ABBREVIATIONS.test(text.slice(Math.max(0, i - 5), i + 1))) {
        // "A. Smith" style initials are not sentence ends either.
        if (!/(?:^|\s)[A-Z]$/.test(text.slice(Math.max(0, i - 2), i))) end = i + 1;
      }
    } else if (c === '\n') end = i + 1;
    if (end < 0) continue;
    while (end < n && (CLOSERS.includes(text[end]!) || '。！？!?…'.includes(text[end]!))) end++;
    const s = text.slice(start, end).trim();
    if (s !== '') out.push(s);
    start = end;
    i = end - 1;
  }
  const rest = text.slice(start).trim();
  if (rest !== '') out.push(rest);
  // Fragments too short to be a point join the sentence before them.
  const merged: string[] = [];
  for (const s of out) {
    if (merged.length > 0 && [...s.replace(/[\p{P}\s]/gu, '')].length < 4) merged[merged.length - 1] += s;
    else merged.push(s);
  }
  return merged;
}

export function documentSentences(d: StoredDocument): Sentence[] {
  const out: Sentence[] = [];
  for (const p of d.paragraphs) {
    for (const text of splitSentences(p.text)) {
      if (out.length >= MAX_SENTENCES) return out;
      out.push({ text, paragraph: p.n, index: out.length });
    }
  }
  return out;
}

export type Vec = Map<string, number>;

export function termVectors(sentences: Sentence[]): Vec[] {
  const tfs = sentences.map((s) => {
    const m = new Map<string, number>();
    for (const t of tokenize(s.text)) if (t.kind !== 'unigram') m.set(t.term, (m.get(t.term) ?? 0) + 1);
    return m;
  });
  const df = new Map<string, number>();
  for (const tf of tfs) for (const t of tf.keys()) df.set(t, (df.get(t) ?? 0) + 1);
  const n = sentences.length;
  return tfs.map((tf) => {
    const v: Vec = new Map();
    let norm = 0;
    for (const [t, c] of tf) {
      const w = (1 + Math.log(c)) * Math.log(1 + n / df.get(t)!);
      v.set(t, w);
      norm += w * w;
    }
    norm = Math.sqrt(norm) || 1;
    for (const [t, w] of v) v.set(t, w / norm);
    return v;
  });
}

export function cosine(a: Vec, b: Vec): number {
  if (a.size > b.size) [a, b] = [b, a];
  let s = 0;
  for (const [t, w] of a) {
    const x = b.get(t);
    if (x !== undefined) s += w * x;
  }
  return s;
}

/** Centrality of each sentence (higher is more central). */
export function centrality(sentences: Sentence[], vecs: Vec[]): number[] {
  const n = sentences.length;
  if (n === 0) return [];
  let base: number[];
  if (n <= MAX_GRAPH) {
    const sim: Float64Array[] = vecs.map(() => new Float64Array(n));
    const rowSum = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const s = cosine(vecs[i]!, vecs[j]!);
        sim[i]![j] = s;
        sim[j]![i] = s;
        rowSum[i] = rowSum[i]! + s;
        rowSum[j] = rowSum[j]! + s;
      }
    }
    let rank = new Float64Array(n).fill(1 / n);
    for (let iter = 0; iter < 40; iter++) {
      const next = new Float64Array(n).fill(0.15 / n);
      for (let j = 0; j < n; j++) {
        if (rowSum[j] === 0) continue;
        const share = (0.85 * rank[j]!) / rowSum[j]!;
        const row = sim[j]!;
        for (let i = 0; i < n; i++) next[i] = next[i]! + row[i]! * share;
      }
      rank = next;
    }
    const max = Math.max(...rank);
    base = [...rank].map((r) => r / max);
  } else {
    const centroid: Vec = new Map();
    for (const v of vecs) for (const [t, w] of v) centroid.set(t, (centroid.get(t) ?? 0) + w);
    base = vecs.map((v) => cosine(v, centroid));
    const max = Math.max(...base, 1e-9);
    base = base.map((b) => b / max);
  }
  // Lead bonus: up to +0.2 for the first sentences, fading over the first fifth. Risk
  // warnings and disclaimers repeat the document's words but are never its claim.
  return base.map(
    (b, i) => b + 0.2 * Math.max(0, 1 - i / Math.max(5, n / 5)) - (BOILERPLATE.test(sentences[i]!.text) ? 0.6 : 0),
  );
}

/** Pick up to k sentences by maximal marginal relevance. */
function select(scores: number[], vecs: Vec[], k: number, exclude: Set<number>, substantive: boolean[]): number[] {
  const chosen: number[] = [];
  // A point says something: fragments such as a lone link text ("链接", "Read more") are not.
  const candidates = scores.map((_, i) => i).filter((i) => !exclude.has(i) && vecs[i]!.size > 0 && substantive[i]!);
  while (chosen.length < k && candidates.length > 0) {
    let best = -1;
    let bestVal = Number.NEGATIVE_INFINITY;
    for (const i of candidates) {
      let redundancy = 0;
      for (const j of [...chosen, ...exclude]) redundancy = Math.max(redundancy, cosine(vecs[i]!, vecs[j]!));
      if (redundancy > 0.6) continue;
      const val = 0.7 * scores[i]! - 0.3 * redundancy;
      if (val > bestVal) {
        bestVal = val;
        best = i;
      }
    }
    if (best < 0) break;
    chosen.push(best);
    candidates.splice(candidates.indexOf(best), 1);
  }
  return chosen;
}

function isChinese(lang: string, text: string): boolean {
  if (lang === 'zh') return true;
  if (lang === 'en') return false;
  return /\p{Script=Han}/u.test(text);
}

/** Group points (sentence indexes, in document order) into themes labelled by a shared keyword. */
export function themes(points: number[], sentences: Sentence[], zh: boolean, maxGroups: number): { label: string; members: number[] }[] {
  if (points.length === 0) return [];
  const candidates = headingCandidates(sentences, zh, points);
  const kws = new Map(points.map((i) => [i, candidates[i]!.slice(0, 6)]));
  const left = new Set(points);
  const used = new Set<string>();
  const groups: { label: string; members: number[] }[] = [];
  while (left.size > 0 && groups.length < maxGroups) {
    // A label is a heading word many remaining points share, ranked high within each of them.
    const score = new Map<string, number>();
    for (const i of left) {
      kws.get(i)!.forEach((k, rank) => {
        if (!used.has(k)) score.set(k, (score.get(k) ?? 0) + 10 - rank);
      });
    }
    const ranked = [...score.entries()].sort((a, b) => b[1] - a[1] || b[0].length - a[0].length || a[0].localeCompare(b[0]));
    const top = ranked[0];
    // No acceptable word left: the rest is one plainly numbered group.
    const members = top ? [...left].filter((i) => kws.get(i)!.includes(top[0])) : [...left];
    // The last allowed group takes everything left.
    const take = groups.length === maxGroups - 1 ? [...left] : members;
    for (const i of take) left.delete(i);
    if (top) used.add(top[0]);
    groups.push({ label: top?.[0] ?? '', members: take.sort((a, b) => a - b) });
  }
  return groups;
}

const RATING = /(强烈推荐|谨慎推荐|买入|增持|推荐|中性|持有|减持|卖出|跑赢行业|跑输行业|Strong Buy|Buy|Overweight|Outperform|Accumulate|Neutral|Hold|Market Perform|Equal[- ]weight|Underweight|Underperform|Reduce|Sell)/;
const FUTURE = /(预计|预期|将|计划|展望|目标|有望|指引|guidance|expect|will|plan|outlook|target|forecast)/i;

function point(s: Sentence, paragraphs: string[]): SummaryPoint {
  const v = verifyPoint({ text: s.text, citations: [s.paragraph] }, paragraphs);
  return { text: s.text, citations: [s.paragraph], verified: v.verified, problems: v.problems };
}

/** The extractive summary of a document, in its own language. */
export function extractiveSummary(d: StoredDocument): Summary {
  const sentences = documentSentences(d);
  const paragraphs = d.paragraphs.map((p) => p.text);
  const zh = isChinese(d.lang, `${d.title}${paragraphs.slice(0, 3).join('')}`);
  const template = templateFor(d.type);
  const sections: SummarySection[] = [];
  if (sentences.length > 0) {
    const vecs = termVectors(sentences);
    const scores = centrality(sentences, vecs);
    // A point says something of its own: not a fragment, not the page's furniture (原标题：…).
    const substantive = sentences.map((x) => (x.text.match(/[\p{L}\p{N}]/gu) ?? []).length >= 6 && !FURNITURE.test(x.text));
    const budget = Math.min(8, Math.max(2, Math.round(Math.sqrt(sentences.length) + 1)));
    const used = new Set<number>();
    if (template === 'report') {
      const rated = sentences.find((s) => RATING.test(s.text) && /评级|rating|维持|首次|maintain|initiate|上调|下调|upgrade|downgrade/i.test(s.text));
      if (rated) {
        sections.push({ heading: 'Investment Rating', points: [point(rated, paragraphs)] });
        used.add(rated.index);
      }
    }
    const core = select(scores, vecs, 1, used, substantive)[0] ?? sentences.findIndex((_, i) => !used.has(i));
    used.add(core);
    if (template === 'transcript') {
      const early = sentences.slice(0, Math.max(3, Math.ceil(sentences.length / 5))).map((s) => s.index);
      const overview = early.sort((a, b) => scores[b]! - scores[a]!)[0] ?? core;
      sections.push({ heading: 'Company Overview', points: [point(sentences[overview]!, paragraphs)] });
      used.add(overview);
    } else if (core >= 0) {
      sections.push({ heading: 'Core Viewpoint', points: [point(sentences[core]!, paragraphs)] });
    }

    let outlook: number[] = [];
    if (template === 'transcript') {
      const futureScores = scores.map((sc, i) => (FUTURE.test(sentences[i]!.text) && !used.has(i) ? sc : Number.NEGATIVE_INFINITY));
      outlook = select(futureScores.map((x) => (Number.isFinite(x) ? x : -1e9)), vecs, 2, used, substantive).filter((i) => Number.isFinite(futureScores[i]!));
      for (const i of outlook) used.add(i);
    }
    // Headings are not points: a report's own section titles become section labels instead.
    const headings = reportHeadings(d);
    for (const s of sentences) if (headings.has(s.paragraph)) used.add(s.index);
    const rest = select(scores, vecs, budget - 1, used, substantive).sort((a, b) => a - b);
    const groups =
      template === 'report' && headings.size >= 2
        ? sectionsByHeading(rest, sentences, headings)
        : themes(rest, sentences, zh, template === 'interview' ? 4 : 3);
    const prefix = template === 'report' ? 'Section' : template === 'transcript' ? 'Key Points' : 'Group';
    groups.forEach((g, i) => {
      sections.push({ heading: g.label ? `${prefix} ${i + 1}: ${g.label}` : `${prefix} ${i + 1}`, points: g.members.map((m) => point(sentences[m]!, paragraphs)) });
    });
    if (outlook.length > 0) {
      sections.push({ heading: 'Future Outlook', points: outlook.sort((a, b) => a - b).map((m) => point(sentences[m]!, paragraphs)) });
    }
  }
  return {
    document_id: d.id,
    lang: zh ? 'zh' : d.lang === 'und' ? 'en' : d.lang,
    template: `${template}/${EXTRACTIVE_TEMPLATE_VERSION}`,
    method: 'extractive',
    model: null,
    sections,
    dropped: [],
    text: renderSummary(sections),
  };
}

/**
 * Paragraphs that are a report's own section titles: short, no sentence-ending punctuation,
 * followed by body text ("投资要点", "一、行业供需格局", "Valuation").
 */
function reportHeadings(d: StoredDocument): Map<number, string> {
  const out = new Map<number, string>();
  if (d.type !== 'report') return out;
  d.paragraphs.forEach((p, i) => {
    const t = p.text.trim();
    const next = d.paragraphs[i + 1]?.text ?? '';
    const short = [...t].length <= (/\p{Script=Han}/u.test(t) ? 24 : 60);
    if (short && t !== '' && !/[。！？.!?；;，,：:]$/.test(t) && [...next].length > [...t].length * 2) out.set(p.n, t.replace(/^[#\s]+/, ''));
  });
  return out;
}

/** Points grouped under the report section (the last heading before them) they come from. */
function sectionsByHeading(points: number[], sentences: Sentence[], headings: Map<number, string>): { label: string; members: number[] }[] {
  const order = [...headings.keys()].sort((a, b) => a - b);
  const groups = new Map<string, number[]>();
  for (const i of points) {
    const p = sentences[i]!.paragraph;
    let label = '';
    for (const h of order) if (h < p) label = headings.get(h)!;
    const key = label || headings.get(order[0]!)!;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  return [...groups.entries()].map(([label, members]) => ({ label, members }));
}

export function templateFor(type: DocType | string): 'news' | 'report' | 'transcript' | 'interview' {
  if (type === 'report') return 'report';
  if (type === 'transcript') return 'transcript';
  if (type === 'interview') return 'interview';
  return 'news';
}

/** The seed shape: "Core Viewpoint - claim [2]" then "Group 1: theme - point [3] - point [4][6]". */
export function renderSummary(sections: SummarySection[]): string {
  return sections
    .map((s) => `${s.heading} - ${s.points.map((p) => `${p.text} ${p.citations.map((c) => `[${c}]`).join('')}`).join(' - ')}`)
    .join('\n');
}
