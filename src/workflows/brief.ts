/**
 * The topic brief: one synthesis across a run's new stories, every point citing the
 * document and paragraph it rests on (`[doc 3 ¶2]`, doc = the item's position in the
 * digest) and checked by the same verifier as single-document summaries.
 *
 * Extractive (no model): candidate sentences are each story's summary points (or its
 * opening sentences), scored by how much the other stories say the same thing (summed
 * cosine similarity to other documents' candidates) plus a little of their own rank;
 * maximal marginal relevance picks up to MAX_POINTS with at most two per document, and
 * the points are grouped into themes by a shared keyword, as in document summaries.
 */
import type { StoredDocument } from '../core/types.js';
import { cosine, documentSentences, type Sentence, type Summary, termVectors, themes } from '../summaries/extractive.js';
import { verifyPoint } from '../summaries/verify.js';

export interface BriefCitation {
  /** 1-based position of the document in the digest. */
  doc: number;
  paragraph: number;
  id: string;
}

export interface BriefPoint {
  text: string;
  citations: BriefCitation[];
  verified: boolean;
  problems: string[];
}

export interface Brief {
  method: 'extractive';
  lang: string;
  documents: number;
  themes: { heading: string; points: BriefPoint[] }[];
  /** Markdown-ish text with [doc N ¶M] markers. */
  text: string;
}

const MAX_POINTS = 8;
const MAX_DOCS = 60;
const PER_DOC = 2;

interface Candidate extends Sentence {
  doc: number;
  own: number;
}

export function citationMark(c: { doc: number; paragraph: number }): string {
  return `[doc ${c.doc} ¶${c.paragraph}]`;
}

/** Extractive brief over the digest's documents (in digest order) and their summaries. */
export function extractiveBrief(docs: { doc: StoredDocument; summary: Summary | null }[], lang: string | null): Brief | null {
  const cands: Candidate[] = [];
  docs.slice(0, MAX_DOCS).forEach(({ doc, summary }, i) => {
    const points = summary?.sections.flatMap((s) => s.points).filter((p) => p.verified && p.citations.length === 1) ?? [];
    const own: Sentence[] =
      points.length > 0
        ? points.slice(0, 4).map((p, k) => ({ text: p.text, paragraph: p.citations[0]!, index: k }))
        : documentSentences(doc).slice(0, 3);
    own.forEach((s, k) => {
      if ([...s.text.replace(/[\p{P}\s]/gu, '')].length >= 6) cands.push({ ...s, index: cands.length, doc: i + 1, own: 1 - k / 4 });
    });
  });
  if (cands.length === 0) return null;
  const vecs = termVectors(cands);
  const scores = cands.map((c, i) => {
    let shared = 0;
    for (let j = 0; j < cands.length; j++) if (cands[j]!.doc !== c.doc) shared += cosine(vecs[i]!, vecs[j]!);
    return shared + 0.3 * c.own;
  });
  const chosen: number[] = [];
  const perDoc = new Map<number, number>();
  const order = scores.map((_, i) => i).filter((i) => vecs[i]!.size > 0);
  while (chosen.length < MAX_POINTS) {
    let best = -1;
    let bestVal = Number.NEGATIVE_INFINITY;
    const top = Math.max(...order.map((i) => scores[i]!), 1e-9);
    for (const i of order) {
      if (chosen.includes(i) || (perDoc.get(cands[i]!.doc) ?? 0) >= PER_DOC) continue;
      let redundancy = 0;
      for (const j of chosen) redundancy = Math.max(redundancy, cosine(vecs[i]!, vecs[j]!));
      if (redundancy > 0.5) continue;
      const val = 0.7 * (scores[i]! / top) - 0.3 * redundancy;
      if (val > bestVal) {
        bestVal = val;
        best = i;
      }
    }
    if (best < 0) break;
    chosen.push(best);
    perDoc.set(cands[best]!.doc, (perDoc.get(cands[best]!.doc) ?? 0) + 1);
  }
  const zh = lang === 'zh' || (lang === null && cands.filter((c) => /\p{Script=Han}/u.test(c.text)).length * 2 >= cands.length);
  // Theme grouping works on sentence indexes; order the chosen points by digest order.
  const sorted = [...chosen].sort((a, b) => cands[a]!.doc - cands[b]!.doc || cands[a]!.paragraph - cands[b]!.paragraph);
  const groups = themes(sorted, cands, zh, 3);
  const toPoint = (i: number): BriefPoint => {
    const c = cands[i]!;
    const d = docs[c.doc - 1]!.doc;
    const v = verifyPoint({ text: c.text, citations: [c.paragraph] }, d.paragraphs.map((p) => p.text));
    return { text: c.text, citations: [{ doc: c.doc, paragraph: c.paragraph, id: d.id }], verified: v.verified, problems: v.problems };
  };
  const out = groups.map((g) => ({ heading: g.label, points: g.members.map(toPoint) }));
  const text = out
    .map((g) => `## ${g.heading}\n${g.points.map((p) => `- ${p.text} ${p.citations.map(citationMark).join('')}`).join('\n')}`)
    .join('\n\n');
  return { method: 'extractive', lang: zh ? 'zh' : 'en', documents: Math.min(docs.length, MAX_DOCS), themes: out, text };
}
