/**
 * Domain types shared by every stage of the pipeline. No I/O here.
 */

/** Kinds of document Lodestone distinguishes; drives summary templates later. */
export const DOC_TYPES = ['news', 'report', 'transcript', 'interview', 'announcement', 'note'] as const;
export type DocType = (typeof DOC_TYPES)[number];

export function isDocType(value: unknown): value is DocType {
  return typeof value === 'string' && (DOC_TYPES as readonly string[]).includes(value);
}

/** One paragraph: the unit of citation. `n` is 1-based and stable for identical content. */
export interface Paragraph {
  n: number;
  text: string;
  /** Page number for paginated sources (PDF), otherwise undefined. */
  page?: number;
}

/**
 * A document as produced by an extractor, before analysis and storage.
 * `key` identifies the item for re-ingest: the same key updates instead of duplicating.
 */
export interface DocumentInput {
  key: string;
  externalId: string | null;
  title: string;
  source: string;
  url: string | null;
  publishedAt: number | null; // epoch ms
  fetchedAt: number; // epoch ms
  type: DocType;
  lang: string | null; // as declared by the input, if any
  paragraphs: Paragraph[];
  metadata: Record<string, unknown>;
  /** sha256 of the original bytes the document came from, when known (provenance). */
  originalHash?: string | null;
}

/** A stored document, as read back from a store. */
export interface StoredDocument {
  /** Sequence number: the store's numbering in ingest order, never reused (a changed document gets a new one). */
  seq: number;
  /** Public id: the source's external id when it had one, otherwise a generated id. */
  id: string;
  key: string;
  externalId: string | null;
  title: string;
  source: string;
  url: string | null;
  publishedAt: number | null;
  fetchedAt: number;
  ingestedAt: number;
  type: DocType;
  lang: string;
  script: string;
  paragraphs: Paragraph[];
  metadata: Record<string, unknown>;
  tickers: string[];
  contentHash: string;
  clusterId: number | null;
  /** sha256 of the original bytes, when known (provenance; carried over by `lodestone migrate`). */
  originalHash?: string | null;
}

export interface ClusterInfo {
  id: number;
  size: number;
  canonical: string;
  members: ClusterMember[];
}

export interface ClusterMember {
  id: string;
  title: string;
  source: string;
  url: string | null;
  publishedAt: number | null;
}
