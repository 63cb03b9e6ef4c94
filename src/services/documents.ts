/** Reading documents and clusters by public id; the presenter shape shared by CLI and HTTP. */
import { findMatches, type Range } from '../search/highlight.js';
import { positiveTextLeaves, type TextNode } from '../search/query/ast.js';
import { prepareQuery, type QueryOptions } from './translation.js';
import { LodestoneError } from '../core/errors.js';
import { toIso } from '../core/time.js';
import type { ClusterInfo, StoredDocument } from '../core/types.js';
import type { DocumentStore } from '../store/ports.js';

/**
 * Resolve a public id. Ids are the source's own ids where given; when two sources use the
 * same id, `#<seq>` (shown in the error) picks one.
 */
export async function resolveDocument(store: DocumentStore, id: string): Promise<StoredDocument> {
  const m = /^#(\d+)$/.exec(id);
  if (m) {
    const d = await store.getBySeq(Number(m[1]));
    if (d) return d;
    throw new LodestoneError('not_found', `No document with internal id ${id}`);
  }
  const found = await store.findByPublicId(id);
  if (found.length === 0) throw new LodestoneError('not_found', `No document with id ${JSON.stringify(id)}`);
  if (found.length > 1) {
    const choices = found.map((d) => `#${d.seq} (${d.source})`).join(', ');
    throw new LodestoneError(
      'ambiguous_id',
      `Id ${JSON.stringify(id)} is used by ${found.length} sources; pick one: ${choices}`,
      { candidates: found.map((d) => ({ id: `#${d.seq}`, source: d.source })) },
    );
  }
  return found[0]!;
}

export interface DocumentView {
  id: string;
  internal_id: string;
  external_id: string | null;
  title: string;
  source: string;
  url: string | null;
  published_at: string | null;
  fetched_at: string | null;
  ingested_at: string | null;
  type: string;
  lang: string;
  script: string;
  tickers: string[];
  metadata: Record<string, unknown>;
  content_hash: string;
  paragraphs: { n: number; text: string; page?: number }[];
  cluster: ClusterView | null;
}

export interface ClusterView {
  id: number;
  size: number;
  canonical: string;
  members: { id: string; title: string; source: string; url: string | null; published_at: string | null }[];
}

export function clusterView(c: ClusterInfo): ClusterView {
  return {
    id: c.id,
    size: c.size,
    canonical: c.canonical,
    members: c.members.map((m) => ({ id: m.id, title: m.title, source: m.source, url: m.url, published_at: toIso(m.publishedAt) })),
  };
}

export async function documentView(store: DocumentStore, d: StoredDocument): Promise<DocumentView> {
  const cluster = d.clusterId !== null ? await store.cluster(d.clusterId) : null;
  return {
    id: d.id,
    internal_id: `#${d.seq}`,
    external_id: d.externalId,
    title: d.title,
    source: d.source,
    url: d.url,
    published_at: toIso(d.publishedAt),
    fetched_at: toIso(d.fetchedAt),
    ingested_at: toIso(d.ingestedAt),
    type: d.type,
    lang: d.lang,
    script: d.script,
    tickers: d.tickers,
    metadata: d.metadata,
    content_hash: d.contentHash,
    paragraphs: d.paragraphs.map((p) => (p.page !== undefined ? { n: p.n, text: p.text, page: p.page } : { n: p.n, text: p.text })),
    cluster: cluster ? clusterView(cluster) : null,
  };
}

/**
 * Where a query's terms occur in a document (for highlighting when a reader arrives from a
 * search): [start, end) UTF-16 offsets in the title and in each paragraph. A query that
 * does not parse highlights nothing rather than failing the document.
 */
export async function documentHighlights(
  store: DocumentStore,
  d: StoredDocument,
  q: string,
  opts: QueryOptions = {},
): Promise<{ title: Range[]; paragraphs: Range[][] }> {
  let leaves: TextNode[];
  try {
    leaves = positiveTextLeaves((await prepareQuery(store, q, opts)).query);
  } catch {
    leaves = [];
  }
  return {
    title: findMatches(d.title, leaves, true),
    paragraphs: d.paragraphs.map((p) => findMatches(p.text, leaves, false)),
  };
}

/**
 * Delete one document (its text, index entries and cluster membership; a cluster left with
 * one member dissolves). Returns what was deleted. The deletion is remembered by key: a feed
 * that still lists the item leaves it out (services/sources.ts); adding it again explicitly
 * (a file, an upload, posted records, `lodestone ingest URL`) stores it again.
 */
export async function deleteDocument(store: DocumentStore, id: string): Promise<{ deleted: { id: string; internal_id: string; title: string; source: string } }> {
  const d = await resolveDocument(store, id);
  await store.deleteBySeq([d.seq]);
  await store.rememberDeleted([d.key], Date.now());
  return { deleted: { id: d.id, internal_id: `#${d.seq}`, title: d.title, source: d.source } };
}
