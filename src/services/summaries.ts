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

/** The cached summary of a document, or null when none was made yet. */
export async function cachedSummary(store: DocumentStore, d: StoredDocument, opts: SummarizeOptions = {}): Promise<Summary | null> {
  const body = await store.getSummary(key(d, opts));
  if (body === null) return null;
  // The cache is keyed by content: the same text under another id reuses it. The token
  // usage stays with the run that paid for it.
  const { usage: _usage, ...summary } = JSON.parse(body) as Summary & { usage?: unknown };
  return { ...summary, document_id: d.id };
}

/** The document's summary: from the cache, or made now (and cached). `force` remakes it. */
export async function summarize(store: DocumentStore, d: StoredDocument, opts: SummarizeOptions = {}): Promise<Summary> {
  if (!opts.force) {
    const hit = await cachedSummary(store, d, opts);
    if (hit) return hit;
  }
  const s = opts.llm ? await llmSummary(opts.llm, d, outputLang(d, opts.lang)) : extractiveSummary(d);
  await store.putSummary(key(d, opts), JSON.stringify(s));
  return s;
}
