/**
 * A JSON record (an NDJSON line, a POST /api/documents body) -> DocumentInput.
 * Fields: id, title, body (or text/content, or paragraphs: string[]), published_at,
 * source, url, lang, type; every other field is kept as metadata.
 */
import { isDocType, type DocType, type DocumentInput, type Paragraph } from '../core/types.js';
import { splitParagraphs } from '../extract/paragraphs.js';
import { parseDate } from './dates.js';

export interface RecordResult {
  doc: DocumentInput | null;
  error?: string;
  warnings: string[];
}

const KNOWN = new Set(['id', 'title', 'body', 'text', 'content', 'paragraphs', 'published_at', 'source', 'url', 'lang', 'type']);

export interface RecordDefaults {
  source?: string;
  type?: DocType;
  /** Fallback source name when neither the override nor the record names one. */
  fallbackSource: string;
  /** Key used when the record has no id (e.g. file path + line). */
  fallbackKey: string;
  fetchedAt: number;
}

export function recordToDocument(rec: unknown, d: RecordDefaults): RecordResult {
  const warnings: string[] = [];
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
    return { doc: null, error: 'not a JSON object', warnings };
  }
  const r = rec as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);
  const id = text(r.id);
  const title = (text(r.title) ?? '').trim();
  let paragraphs: Paragraph[];
  if (Array.isArray(r.paragraphs)) {
    paragraphs = r.paragraphs
      .map((p) => (typeof p === 'string' ? p : p && typeof p === 'object' ? text((p as { text?: unknown }).text) : null))
      .filter((p): p is string => p !== null && p.trim() !== '')
      .map((t, i) => ({ n: i + 1, text: t.trim() }));
  } else {
    paragraphs = splitParagraphs(text(r.body) ?? text(r.text) ?? text(r.content) ?? '');
  }
  if (title === '' && paragraphs.length === 0) return { doc: null, error: 'empty document: no title and no body', warnings };

  let publishedAt = parseDate(r.published_at);
  if (publishedAt === 'invalid') {
    warnings.push(`invalid published_at ${JSON.stringify(r.published_at)}; stored without a date`);
    publishedAt = null;
  }
  let type: DocType = d.type ?? 'news';
  if (!d.type && r.type !== undefined) {
    if (isDocType(r.type)) type = r.type;
    else warnings.push(`unknown type ${JSON.stringify(r.type)}; using news`);
  }
  const source = d.source ?? (text(r.source)?.trim() || d.fallbackSource);
  const metadata: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (!KNOWN.has(k) && v !== null && v !== undefined) metadata[k] = v;
  const url = text(r.url);
  return {
    doc: {
      key: id !== null && id !== '' ? `ext:${source}:${id}` : d.fallbackKey,
      externalId: id !== null && id !== '' ? id : null,
      title,
      source,
      url: url && url.trim() !== '' ? url.trim() : null,
      publishedAt,
      fetchedAt: d.fetchedAt,
      type,
      lang: text(r.lang),
      paragraphs,
      metadata,
    },
    warnings,
  };
}
