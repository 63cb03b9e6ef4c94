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
 *
 * With a model (`llmBrief`): the model sees each story's numbered paragraphs (`[doc N]`,
 * `¶M`) and answers JSON themes whose points cite {doc, paragraph}; each point is verified
 * against the paragraphs it cites (figures, names, language) and dropped with the reason
 * when it fails. If the model fails altogether the brief is the extractive one, saying why.
 */
import { z } from 'zod';
import { describeError } from '../core/errors.js';
import type { StoredDocument } from '../core/types.js';
import type { LlmProvider } from '../llm/provider.js';
import { cosine, documentSentences, type Sentence, type Summary, termVectors, themes } from '../summaries/extractive.js';
import { askJson, headedPointsSchema, languageName, type Usage, wrongLanguage } from '../summaries/llm.js';
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
  method: 'extractive' | 'llm';
  model: string | null;
  lang: string;
  documents: number;
  themes: { heading: string; points: BriefPoint[] }[];
  /** Points a model wrote that failed verification, with the reason. */
  dropped: { text: string; reason: string }[];
  /** Why the brief is extractive although a model is configured. */
  fallback: string | null;
  /** Markdown-ish text with [doc N ¶M] markers. */
  text: string;
}

function render(groups: Brief['themes']): string {
  return groups
    .map((g) => `## ${g.heading}\n${g.points.map((p) => `- ${p.text} ${p.citations.map(citationMark).join('')}`).join('\n')}`)
    .join('\n\n');
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
  // A theme without an acceptable heading word gets a plain number (summaries/headings.ts).
  const out = groups.map((g, n) => ({ heading: g.label || (zh ? `要点 ${n + 1}` : `Point ${n + 1}`), points: g.members.map(toPoint) }));
  return {
    method: 'extractive',
    model: null,
    lang: zh ? 'zh' : 'en',
    documents: Math.min(docs.length, MAX_DOCS),
    themes: out,
    dropped: [],
    fallback: null,
    text: render(out),
  };
}

const LLM_DOCS = 30;
const DOC_CHARS = 1500;

const BriefAnswer = z.object({
  themes: z
    .array(
      z.object({
        heading: z.string().min(1),
        points: z.array(
          z.object({ text: z.string().min(1), citations: z.array(z.object({ doc: z.number().int(), paragraph: z.number().int() })).min(1) }),
        ),
      }),
    )
    .min(1),
});

const BRIEF_SCHEMA = headedPointsSchema('brief', 'themes', {
  type: 'object',
  additionalProperties: false,
  required: ['doc', 'paragraph'],
  properties: { doc: { type: 'integer' }, paragraph: { type: 'integer' } },
});

/** The brief from a model, verified point by point; extractive (saying why) when the model fails. */
export async function llmBrief(llm: LlmProvider, docs: { doc: StoredDocument; summary: Summary | null }[], lang: 'en' | 'zh'): Promise<Brief | null> {
  const shown = docs.slice(0, LLM_DOCS);
  if (shown.length === 0) return null;
  const listing = shown
    .map(({ doc }, i) => {
      let size = 0;
      const paras: string[] = [];
      for (const p of doc.paragraphs) {
        if (size > DOC_CHARS) break;
        paras.push(`¶${p.n} ${p.text}`);
        size += p.text.length;
      }
      return `[doc ${i + 1}] ${doc.title} (${doc.source})\n${paras.join('\n')}`;
    })
    .join('\n\n');
  const usage: Usage = { prompt_tokens: 0, completion_tokens: 0, requests: 0 };
  let answer: z.infer<typeof BriefAnswer>;
  try {
    answer = await askJson(
      llm,
      [
        {
          role: 'system',
          content: [
            'You write a topic brief for investment analysts across several news documents. Answer with JSON only: {"themes":[{"heading":"...","points":[{"text":"...","citations":[{"doc":N,"paragraph":M}]}]}]}.',
            'Two to four themes; each point synthesizes what the documents say and cites every document and paragraph it rests on.',
            `Write headings and points in ${languageName(lang)}. Copy figures exactly from the cited paragraphs; never state a number, company, person or place the cited paragraphs do not contain.`,
          ].join('\n'),
        },
        { role: 'user', content: listing },
      ],
      BriefAnswer,
      usage,
      BRIEF_SCHEMA,
    );
  } catch (err) {
    const b = extractiveBrief(docs, lang);
    return b ? { ...b, fallback: `the model failed: ${describeError(err)}` } : null;
  }
  const dropped: Brief['dropped'] = [];
  const groups: Brief['themes'] = [];
  for (const th of answer.themes) {
    const points: BriefPoint[] = [];
    for (const p of th.points) {
      const problems: string[] = [];
      const cited: string[] = [];
      const citations: BriefCitation[] = [];
      for (const c of p.citations) {
        const d = shown[c.doc - 1]?.doc;
        const para = d?.paragraphs.find((x) => x.n === c.paragraph);
        if (!d || !para) {
          problems.push(`citation [doc ${c.doc} ¶${c.paragraph}] does not exist`);
          continue;
        }
        cited.push(para.text);
        citations.push({ doc: c.doc, paragraph: c.paragraph, id: d.id });
      }
      if (cited.length > 0) {
        // The verifier checks a point against numbered paragraphs: here, the cited ones.
        problems.push(...verifyPoint({ text: p.text, citations: cited.map((_, i) => i + 1) }, cited).problems);
      }
      if (wrongLanguage(p.text, lang)) problems.push(`not written in ${languageName(lang)}`);
      if (problems.length > 0) dropped.push({ text: p.text, reason: problems.join('; ') });
      else points.push({ text: p.text, citations, verified: true, problems: [] });
    }
    if (points.length > 0) groups.push({ heading: th.heading, points });
  }
  return { method: 'llm', model: llm.model, lang, documents: shown.length, themes: groups, dropped, fallback: null, text: render(groups) };
}
