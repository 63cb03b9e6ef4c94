/**
 * Connectors turn a target (file, folder, URL) into documents. They never abort a batch:
 * a failing item is reported as an `error` event with its location and the rest goes on.
 */
import type { ErrorCode } from '../core/errors.js';
import type { DocType, DocumentInput } from '../core/types.js';
import type { Extracted, ExtractJob } from '../extract/extract.js';
import type { FetchOptions } from './fetch.js';

export type SourceEvent =
  | { kind: 'doc'; doc: DocumentInput; location: string }
  /** `code`: the error catalog's code when the reason is one (fetch_blocked makes an added URL a 403). */
  | { kind: 'error'; location: string; reason: string; code?: ErrorCode }
  | { kind: 'warning'; location: string; reason: string }
  /** Progress within the current target: bytes or items done out of total (0 = unknown). */
  | { kind: 'progress'; done: number; total: number };

export interface ConnectorContext {
  /** Overrides the source name of every document. */
  source?: string;
  /** Overrides the document type of every document. */
  type?: DocType;
  fetch: Partial<FetchOptions>;
  /** Largest non-streamed file read into memory (bytes). */
  maxFileBytes: number;
  now(): number;
  /** Parses untrusted bytes (in the extraction sandbox: a worker thread with a deadline and a memory cap). */
  extract(job: ExtractJob): Promise<Extracted>;
  /** Aborted when the caller gave up (an HTTP client that went away): stop reading. */
  signal?: AbortSignal;
  /** Told what a URL answered: its kind and cache validators (feeds polled on schedules use them). */
  onResponse?: (info: UrlResponse) => void;
}

export interface UrlResponse {
  url: string;
  status: number;
  kind: 'feed' | 'page' | 'pdf' | 'unchanged';
  etag: string | null;
  lastModified: string | null;
}

export interface Connector {
  readonly name: string;
  /** Whether this connector reads `target` (a path or URL). */
  accepts(target: string): Promise<boolean>;
  read(target: string, ctx: ConnectorContext): AsyncIterable<SourceEvent>;
}
