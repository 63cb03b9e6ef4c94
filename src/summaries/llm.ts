/**
 * Abstractive summaries from a language model, trustworthy by construction: the model sees
 * numbered paragraphs and must answer JSON points that cite them; the answer is validated
 * (zod; one retry with the validation error); every point goes through the verifier; the
 * points that fail get one repair round with their problems; what still fails is dropped
 * and listed with the reason. Long documents are summarized in windows of paragraphs
 * (citations keep the document's own numbers) and the window summaries merged.
 */
import { z } from 'zod';
import { LodestoneError } from '../core/errors.js';
import type { StoredDocument } from '../core/types.js';
import type { ChatMessage, LlmProvider } from '../llm/provider.js';
import { renderSummary, type Summary, type SummaryPoint, type SummarySection, templateFor } from './extractive.js';
import { verifyPoint } from './verify.js';

export const LLM_TEMPLATE_VERSION = 'llm-v1';
/** Characters of paragraph text per request; longer documents go window by window. */
const WINDOW_CHARS = 12_000;

const Answer = z.object({
  sections: z
    .array(
      z.object({
        heading: z.string().min(1),
        points: z.array(z.object({ text: z.string().min(1), citations: z.array(z.number().int()) })),
      }),
    )
    .min(1),
});
type AnswerT = z.infer<typeof Answer>;

const Repair = z.object({ points: z.array(z.object({ text: z.string().min(1), citations: z.array(z.number().int()) })) });

/**
 * JSON schema for answers made of headed groups of cited points (`{"<list>": [{"heading",
 * "points": [{"text", "citations": [<citation>]}]}]}`): summaries cite paragraph numbers,
 * topic briefs cite {doc, paragraph}.
 */
export function headedPointsSchema(name: string, list: string, citation: Record<string, unknown>): { name: string; schema: Record<string, unknown> } {
  const point = {
    type: 'object',
    additionalProperties: false,
    required: ['text', 'citations'],
    properties: { text: { type: 'string' }, citations: { type: 'array', items: citation } },
  };
  const group = {
    type: 'object',
    additionalProperties: false,
    required: ['heading', 'points'],
    properties: { heading: { type: 'string' }, points: { type: 'array', items: point } },
  };
  return { name, schema: { type: 'object', additionalProperties: false, required: [list], properties: { [list]: { type: 'array', items: group } } } };
}

const JSON_SCHEMA = headedPointsSchema('summary', 'sections', { type: 'integer' });

const TEMPLATES: Record<ReturnType<typeof templateFor>, string> = {
  news: 'Sections: "Core Viewpoint" (the main claim, one or two sentences), then "Group 1: <theme>", "Group 2: <theme>", … each with its points.',
  report:
    'Sections: "Investment Rating" (only if the report states one), "Core Viewpoint", then "Section 1: <the report\'s own section>", … following the report\'s sections. Keep every figure exactly as written.',
  transcript:
    'Sections: "Company Overview" (company, industry), "Key Points 1: <theme>", … (strategy, capacity, guidance, risks, Q&A), then "Future Outlook".',
  interview: 'Sections: one "Group n: <company or subject>" per company or subject discussed, with its points.',
};

export function languageName(lang: 'en' | 'zh'): string {
  return lang === 'zh' ? 'Simplified Chinese' : 'English';
}

function instructions(template: ReturnType<typeof templateFor>, lang: 'en' | 'zh'): string {
  return [
    'You summarize documents for investment analysts. Answer with JSON only: {"sections":[{"heading":"...","points":[{"text":"...","citations":[n]}]}]}.',
    TEMPLATES[template],
    `Write every point in ${languageName(lang)}; keep section headings exactly as named above (English).`,
    'Every point cites the numbers of the paragraphs that state it. Copy figures (amounts, percentages, tonnages, dates, counts) exactly from the cited paragraphs; never state a number, company, person or place that the cited paragraphs do not contain.',
  ].join('\n');
}

function numbered(paragraphs: { n: number; text: string }[]): string {
  return paragraphs.map((p) => `[${p.n}] ${p.text}`).join('\n');
}

/** Parse a model's answer tolerantly: code fences, text around the JSON object. */
export function parseJsonAnswer(content: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(content);
  const body = fenced ? fenced[1]! : content;
  const start = body.indexOf('{');
  const end = body.lastIndexOf('}');
  if (start < 0 || end <= start) throw new Error('no JSON object in the answer');
  return JSON.parse(body.slice(start, end + 1));
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  requests: number;
}

/** Ask for JSON matching `schema`; one retry carrying the validation error. */
export async function askJson<T>(
  llm: LlmProvider,
  messages: ChatMessage[],
  schema: z.ZodType<T>,
  usage: Usage,
  jsonSchema: { name: string; schema: Record<string, unknown> } = JSON_SCHEMA,
): Promise<T> {
  let last = '';
  for (let attempt = 0; attempt < 2; attempt++) {
    const c = await llm.complete(messages, { jsonSchema });
    usage.prompt_tokens += c.promptTokens;
    usage.completion_tokens += c.completionTokens;
    usage.requests++;
    try {
      return schema.parse(parseJsonAnswer(c.content));
    } catch (err) {
      last = err instanceof z.ZodError ? err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : (err as Error).message;
      messages = [
        ...messages,
        { role: 'assistant', content: c.content },
        { role: 'user', content: `That answer is not valid (${last}). Answer again with the JSON object only, matching the schema.` },
      ];
    }
  }
  throw new LodestoneError('llm_failed', `The model did not return a valid summary twice: ${last}`);
}

export function wrongLanguage(text: string, lang: 'en' | 'zh'): boolean {
  const han = (text.match(/\p{Script=Han}/gu) ?? []).length;
  const latin = (text.match(/[A-Za-z]/g) ?? []).length;
  return lang === 'zh' ? han === 0 : han > latin;
}

/** Verify a point, and check it is in the requested language. */
function check(p: { text: string; citations: number[] }, paragraphs: string[], lang: 'en' | 'zh'): SummaryPoint {
  const v = verifyPoint(p, paragraphs);
  const problems = [...v.problems];
  if (wrongLanguage(p.text, lang)) problems.push(`not written in ${languageName(lang)}`);
  return { text: p.text, citations: p.citations, verified: problems.length === 0, problems };
}

/** The LLM summary of a document in the requested language. */
export async function llmSummary(llm: LlmProvider, d: StoredDocument, lang: 'en' | 'zh'): Promise<Summary & { usage: Usage }> {
  const template = templateFor(d.type);
  const paragraphs = d.paragraphs.map((p) => p.text);
  const usage: Usage = { prompt_tokens: 0, completion_tokens: 0, requests: 0 };
  const system: ChatMessage = { role: 'system', content: instructions(template, lang) };
  if (d.paragraphs.length === 0) {
    return { document_id: d.id, lang, template: `${template}/${LLM_TEMPLATE_VERSION}`, method: 'llm', model: llm.model, sections: [], dropped: [], text: '', usage };
  }

  // Windows of paragraphs; one request each, then one merge request when there are several.
  const windows: { n: number; text: string }[][] = [];
  let cur: { n: number; text: string }[] = [];
  let size = 0;
  for (const p of d.paragraphs) {
    if (cur.length > 0 && size + p.text.length > WINDOW_CHARS) {
      windows.push(cur);
      cur = [];
      size = 0;
    }
    cur.push({ n: p.n, text: p.text });
    size += p.text.length;
  }
  if (cur.length > 0) windows.push(cur);

  let answer: AnswerT;
  if (windows.length === 1) {
    answer = await askJson(llm, [system, { role: 'user', content: `Title: ${d.title}\n\n${numbered(windows[0]!)}` }], Answer, usage);
  } else {
    const parts: AnswerT[] = [];
    for (const [i, w] of windows.entries()) {
      parts.push(
        await askJson(
          llm,
          [system, { role: 'user', content: `Title: ${d.title}\nPart ${i + 1} of ${windows.length}.\n\n${numbered(w)}` }],
          Answer,
          usage,
        ),
      );
    }
    const notes = parts.flatMap((a) => a.sections.flatMap((s) => s.points.map((p) => `- ${p.text} ${p.citations.map((c) => `[${c}]`).join('')}`)));
    answer = await askJson(
      llm,
      [
        system,
        {
          role: 'user',
          content: `Title: ${d.title}\nThese are points from the parts of one long document, with citations to its paragraphs. Merge them into one summary in the required sections; keep each point's citations unchanged; drop repetitions.\n\n${notes.join('\n')}`,
        },
      ],
      Answer,
      usage,
    );
  }

  // Verify; one repair round for the points that fail; drop what still fails.
  const checked = answer.sections.map((s) => ({ heading: s.heading, points: s.points.map((p) => check(p, paragraphs, lang)) }));
  const failing = checked.flatMap((s, si) => s.points.map((p, pi) => ({ si, pi, p })).filter((x) => !x.p.verified));
  if (failing.length > 0) {
    const cited = [...new Set(failing.flatMap((f) => f.p.citations))].filter((n) => n >= 1 && n <= paragraphs.length).sort((a, b) => a - b);
    try {
      const repaired = await askJson(
        llm,
        [
          system,
          {
            role: 'user',
            content: `These summary points failed verification. Rewrite each so that it is supported by the paragraphs it cites (fix figures, names, citations, language), in the same order, as {"points":[{"text","citations"}]}.\n\n${failing
              .map((f, i) => `${i + 1}. ${f.p.text} ${f.p.citations.map((c) => `[${c}]`).join('')} — problems: ${f.p.problems.join('; ')}`)
              .join('\n')}\n\nParagraphs:\n${numbered(cited.map((n) => ({ n, text: paragraphs[n - 1]! })))}`,
          },
        ],
        Repair,
        usage,
      );
      failing.forEach((f, i) => {
        const r = repaired.points[i];
        if (r) checked[f.si]!.points[f.pi] = check(r, paragraphs, lang);
      });
    } catch {
      // No usable repair: the failing points are dropped below with their own problems.
    }
  }
  const dropped: Summary['dropped'] = [];
  const sections: SummarySection[] = [];
  for (const s of checked) {
    const kept = s.points.filter((p) => {
      if (p.verified) return true;
      dropped.push({ text: p.text, citations: p.citations, reason: p.problems.join('; ') });
      return false;
    });
    if (kept.length > 0) sections.push({ heading: s.heading, points: kept });
  }
  return {
    document_id: d.id,
    lang,
    template: `${template}/${LLM_TEMPLATE_VERSION}`,
    method: 'llm',
    model: llm.model,
    sections,
    dropped,
    text: renderSummary(sections),
    usage,
  };
}
