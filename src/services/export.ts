/**
 * Search results as a file: CSV (for a spreadsheet) or NDJSON (for a script), the same
 * hits a search shows, in the same order, read page by page so an export of thousands
 * never holds them all. Used by `lodestone search --format csv|ndjson` and
 * `GET /api/search?format=csv|ndjson`.
 *
 * Columns: id, title, source, published_at (ISO 8601, UTC), type, lang, url, score,
 * paragraph (the snippet's), snippet (plain text), also_in (the other outlets of a
 * collapsed story, "; "-separated). CSV starts with a UTF-8 byte-order mark: Excel
 * opens Chinese text in a BOM-less CSV as mojibake. At most EXPORT_MAX rows.
 */
import { stringify } from 'csv-stringify/sync';
import type { DocumentStore } from '../store/ports.js';
import { MAX_LIMIT, type SearchHit, type SearchParams, searchDocuments } from './search.js';

export const EXPORT_MAX = 10_000;
export const EXPORT_DEFAULT = 1_000;
export type ExportFormat = 'csv' | 'ndjson';

export const EXPORT_COLUMNS = ['id', 'title', 'source', 'published_at', 'type', 'lang', 'url', 'score', 'paragraph', 'snippet', 'also_in'] as const;

export function exportRow(h: SearchHit): Record<(typeof EXPORT_COLUMNS)[number], string | number | null> {
  const outlets = h.cluster ? [...new Set(h.cluster.others.map((o) => o.source))] : [];
  return {
    id: h.id,
    title: h.display_title || h.title,
    source: h.source,
    published_at: h.published_at,
    type: h.type,
    lang: h.lang,
    url: h.url,
    score: Math.round(h.score * 1000) / 1000,
    paragraph: h.paragraph,
    snippet: h.snippet.replace(/\s+/g, ' ').trim(),
    also_in: outlets.join('; '),
  };
}

/** The export, chunk by chunk (a header, then one chunk per page of hits). */
export async function* exportSearch(store: DocumentStore, p: SearchParams, format: ExportFormat, max = EXPORT_DEFAULT): AsyncGenerator<string> {
  const limit = Math.min(Math.max(0, max), EXPORT_MAX);
  if (format === 'csv') yield `\uFEFF${stringify([[...EXPORT_COLUMNS]])}`;
  let offset = p.offset ?? 0;
  let left = limit;
  while (left > 0) {
    const page = await searchDocuments(store, { ...p, offset, limit: Math.min(MAX_LIMIT, left), facets: false, explain: false });
    if (page.hits.length === 0) break;
    const rows = page.hits.map(exportRow);
    yield format === 'csv' ? stringify(rows.map((r) => EXPORT_COLUMNS.map((c) => r[c] ?? ''))) : rows.map((r) => `${JSON.stringify(r)}\n`).join('');
    offset += page.hits.length;
    left -= page.hits.length;
    if (offset >= page.total) break;
  }
}
