/**
 * Summaries as a use case: the extractive summarizer today (no model configured), cached
 * by (content hash, template version, model, language) so a document is summarized once
 * per content. The LLM path (an OpenAI-compatible endpoint) plugs in here.
 */
import type { StoredDocument } from '../core/types.js';
import type { DocumentStore } from '../store/ports.js';
import { EXTRACTIVE_TEMPLATE_VERSION, extractiveSummary, type Summary, templateFor } from '../summaries/extractive.js';

export type { Summary } from '../summaries/extractive.js';

function key(d: StoredDocument) {
  // The extractive summary is in the document's own language whatever was asked.
  return { contentHash: d.contentHash, template: `${templateFor(d.type)}/${EXTRACTIVE_TEMPLATE_VERSION}`, model: 'extractive', lang: d.lang };
}

/** The cached summary of a document, or null when none was made yet. */
export async function cachedSummary(store: DocumentStore, d: StoredDocument): Promise<Summary | null> {
  const body = await store.getSummary(key(d));
  if (body === null) return null;
  // The cache is keyed by content: the same text under another id reuses it.
  return { ...(JSON.parse(body) as Summary), document_id: d.id };
}

/** The document's summary: from the cache, or made now (and cached). `force` remakes it. */
export async function summarize(store: DocumentStore, d: StoredDocument, opts: { force?: boolean } = {}): Promise<Summary> {
  if (!opts.force) {
    const hit = await cachedSummary(store, d);
    if (hit) return hit;
  }
  const s = extractiveSummary(d);
  await store.putSummary(key(d), JSON.stringify(s));
  return s;
}
