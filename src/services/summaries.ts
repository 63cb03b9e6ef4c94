/**
 * Summaries as a use case. With a model configured (LODESTONE_LLM_*), abstractive
 * summaries in the requested language, verified point by point (src/summaries/llm.ts);
 * without one, the extractive summary in the document's language. Either is cached by
 * (content hash, template version, model, language): a document is summarized once per
 * content, and an interrupted run resumes without paying twice for what it finished.
 */
import type { StoredDocument } from '../core/types.js';
import type { LlmProvider } from '../llm/provider.js';
import type { DocumentStore, SummaryKey } from '../store/ports.js';
import { EXTRACTIVE_TEMPLATE_VERSION, extractiveSummary, type Summary, templateFor } from '../summaries/extractive.js';
import { LLM_TEMPLATE_VERSION, llmSummary } from '../summaries/llm.js';
import { needsSummary } from '../summaries/short.js';

export type { Summary } from '../summaries/extractive.js';

export interface SummarizeOptions {
  force?: boolean;
  /** Output language for model summaries (default: the document's, when en or zh; else en). */
  lang?: 'en' | 'zh';
  llm?: LlmProvider | null;
}

function outputLang(d: StoredDocument, lang?: 'en' | 'zh'): 'en' | 'zh' {
  return lang ?? (d.lang === 'zh' ? 'zh' : 'en');
}

function key(d: StoredDocument, opts: SummarizeOptions): SummaryKey {
  if (opts.llm) {
    return { contentHash: d.contentHash, template: `${templateFor(d.type)}/${LLM_TEMPLATE_VERSION}`, model: opts.llm.model, lang: outputLang(d, opts.lang) };
  }
  // The extractive summary is in the document's own language whatever was asked.
  return { contentHash: d.contentHash, template: `${templateFor(d.type)}/${EXTRACTIVE_TEMPLATE_VERSION}`, model: 'extractive', lang: d.lang };
}

/** The "summary" of a document too short to need one: its text, no sections (summaries/short.ts). */
function readWhole(d: StoredDocument, opts: SummarizeOptions): Summary {
  return {
    document_id: d.id,
    lang: d.lang,
    template: templateFor(d.type),
    method: 'none',
    model: opts.llm ? opts.llm.model : null,
    sections: [],
    dropped: [],
    text: d.paragraphs.map((p) => p.text).join('\n'),
  };
}

/** The cached summary of a document, or null when none was made yet. */
export async function cachedSummary(store: DocumentStore, d: StoredDocument, opts: SummarizeOptions = {}): Promise<Summary | null> {
  if (!needsSummary(d.paragraphs)) return readWhole(d, opts);
  const body = await store.getSummary(key(d, opts));
  if (body === null) return null;
  // The cache is keyed by content: the same text under another id reuses it. The token
  // usage stays with the run that paid for it.
  const { usage: _usage, ...summary } = JSON.parse(body) as Summary & { usage?: unknown };
  return { ...summary, document_id: d.id };
}

/** The document's summary: from the cache, or made now (and cached). `force` remakes it. */
export async function summarize(store: DocumentStore, d: StoredDocument, opts: SummarizeOptions = {}): Promise<Summary> {
  if (!needsSummary(d.paragraphs)) return readWhole(d, opts);
  if (!opts.force) {
    const hit = await cachedSummary(store, d, opts);
    if (hit) return hit;
  }
  const k = key(d, opts);
  if (!opts.llm) {
    const s = extractiveSummary(d);
    await store.putSummary(k, JSON.stringify(s));
    return s;
  }
  // A model summary is pending while the model works, and failed with the reason if it
  // does not come; only a complete, verified summary is stored.
  const statusKey = { contentHash: k.contentHash, model: k.model, lang: k.lang };
  await store.setSummaryStatus(statusKey, { status: 'pending', reason: null, updatedAt: Date.now() });
  try {
    const s = await llmSummary(opts.llm, d, outputLang(d, opts.lang));
    await store.putSummary(k, JSON.stringify(s));
    await store.setSummaryStatus(statusKey, { status: 'done', reason: null, updatedAt: Date.now() });
    return s;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    await store.setSummaryStatus(statusKey, { status: 'failed', reason, updatedAt: Date.now() });
    throw err;
  }
}

/** Where the document's summary stands: done (cached), pending, failed with the reason, or none yet. */
export async function summaryStatus(
  store: DocumentStore,
  d: StoredDocument,
  opts: SummarizeOptions = {},
): Promise<{ status: 'none' | 'pending' | 'done' | 'failed'; reason: string | null; model: string; lang: string }> {
  const k = key(d, opts);
  if ((await store.getSummary(k)) !== null) return { status: 'done', reason: null, model: k.model, lang: k.lang };
  const st = opts.llm ? await store.getSummaryStatus({ contentHash: k.contentHash, model: k.model, lang: k.lang }) : null;
  return { status: st?.status ?? 'none', reason: st?.reason ?? null, model: k.model, lang: k.lang };
}
