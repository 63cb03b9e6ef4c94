/**
 * The typed API client. Request and response types come from the server's zod schemas
 * (src/http/schemas.ts) as types only: nothing is written twice and no schema code ships
 * to the browser.
 */
import type { z } from 'zod';
import type {
  DeletedSource,
  DeliveryList,
  DigestView,
  DocumentView,
  IngestResult,
  RunList,
  RunOutcome,
  SearchResponse,
  SourceList,
  SummaryResponse,
  WorkflowList,
  WorkflowView,
} from '../../src/http/schemas.js';

export type SearchResult = z.output<typeof SearchResponse>;
export type Hit = SearchResult['hits'][number];
export type DocView = z.output<typeof DocumentView>;
export type IngestOutcome = z.output<typeof IngestResult>;
export type Sort = 'relevance' | 'newest';
export type SummaryView = z.output<typeof SummaryResponse>;
export type SourceRow = z.output<typeof SourceList>['sources'][number];
export type Workflow = z.output<typeof WorkflowView>;
export type Digest = z.output<typeof DigestView>;
export type DigestEntry = Digest['items'][number];
export type RunRow = z.output<typeof RunList>['runs'][number];
export type DeliveryRow = z.output<typeof DeliveryList>['deliveries'][number];
export type RunResult = z.output<typeof RunOutcome>;

/** What the workflow editor sends (POST /api/workflows, PATCH /api/workflows/NAME, preview). */
export interface WorkflowInput {
  name?: string;
  query?: string;
  filters?: { type?: string[]; source?: string[]; lang?: string[] };
  lang?: 'en' | 'zh' | '' | null;
  schedule?: string | null;
  tz?: string;
  summarize?: boolean;
  translate?: boolean;
  brief?: boolean;
  webhook?: string | null;
  max_items?: number;
  first_run_days?: number;
  paused?: boolean;
}

const jsonBody = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const wf = (name: string) => `/api/workflows/${encodeURIComponent(name)}`;

export interface SearchParams {
  q: string;
  sort: Sort;
  from?: string;
  to?: string;
  type?: string[];
  source?: string[];
  lang?: string[];
  offset?: number;
  limit?: number;
  /** Search in both languages (default true; the web app remembers the switch). */
  translate?: boolean;
  /** Translations switched off (chips), by text. */
  off?: string[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(path: string, init?: RequestInit, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { ...init, signal: signal ?? null });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError(res.status, 'bad_response', `The server answered ${res.status} with something that is not JSON.`);
  }
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, e?.code ?? 'error', e?.message ?? `HTTP ${res.status}`);
  }
  return body as T;
}

export interface LabelFacets {
  total: number;
  counted: number;
  tags: { value: string; count: number }[];
  levels: { value: string; count: number }[];
}

export function searchQueryString(p: SearchParams): string {
  const u = new URLSearchParams();
  u.set('q', p.q);
  u.set('sort', p.sort);
  if (p.from) u.set('from', p.from);
  if (p.to) u.set('to', p.to);
  for (const key of ['type', 'source', 'lang'] as const) for (const v of p[key] ?? []) u.append(key, v);
  if (p.offset) u.set('offset', String(p.offset));
  if (p.limit) u.set('limit', String(p.limit));
  if (p.translate === false) u.set('translate', 'false');
  for (const v of p.off ?? []) u.append('off', v);
  return u.toString();
}

/** The query part of a document link: highlights match what the search matched (its translations too). */
export function highlightQueryString(p: SearchParams): string {
  if (!p.q) return '';
  const u = new URLSearchParams({ q: p.q });
  if (p.translate === false) u.set('translate', 'false');
  for (const v of p.off ?? []) u.append('off', v);
  return u.toString();
}

export const api = {
  search: (p: SearchParams, signal?: AbortSignal) =>
    call<SearchResult>(`/api/search?${searchQueryString(p)}`, undefined, signal),
  /** The publisher's tags and levels among the matches (asked after the results, never before them). */
  labels: (p: SearchParams, signal?: AbortSignal) =>
    call<LabelFacets>(`/api/search/labels?${searchQueryString({ ...p, offset: 0, limit: 0 })}`, undefined, signal),
  /** `q`: the query string of the search the reader came from (highlightQueryString), or ''. */
  document: (id: string, q: string, signal?: AbortSignal) =>
    call<DocView>(`/api/documents/${encodeURIComponent(id)}${q ? `?${q}` : ''}`, undefined, signal),
  addUrl: (url: string, source?: string, schedule?: string) =>
    call<IngestOutcome>('/api/sources/url', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url, ...(source ? { source } : {}), ...(schedule ? { schedule } : {}) }),
    }),
  addText: (title: string, body: string, source: string) =>
    call<IngestOutcome>('/api/documents', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // A pasted note is dated when it is added.
      body: JSON.stringify({ title, body, source, type: 'note', published_at: new Date().toISOString() }),
    }),
  summary: (id: string, signal?: AbortSignal) =>
    call<SummaryView>(`/api/documents/${encodeURIComponent(id)}/summary`, undefined, signal),
  stats: () => call<{ documents: number }>('/api/stats'),
  sources: () => call<z.output<typeof SourceList>>('/api/sources'),
  deleteSource: (name: string) =>
    call<z.output<typeof DeletedSource>>(`/api/sources/${encodeURIComponent(name)}`, { method: 'DELETE' }),
  workflows: () => call<z.output<typeof WorkflowList>>('/api/workflows'),
  workflow: (name: string) => call<Workflow>(wf(name)),
  createWorkflow: (input: WorkflowInput) => call<Workflow>('/api/workflows', jsonBody('POST', input)),
  updateWorkflow: (name: string, input: WorkflowInput) => call<Workflow>(wf(name), jsonBody('PATCH', input)),
  deleteWorkflow: (name: string) => call<{ deleted: string }>(wf(name), { method: 'DELETE' }),
  deleteDocument: (id: string) => call<{ deleted: { id: string; title: string } }>(`/api/documents/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  previewWorkflow: (input: WorkflowInput, signal?: AbortSignal) =>
    call<SearchResult>('/api/workflows/preview', jsonBody('POST', input), signal),
  /** Starts a run and answers once it exists (outcome "running"); the page follows it. */
  runWorkflow: (name: string) => call<RunResult>(`${wf(name)}/run?wait=false`, jsonBody('POST', {})),
  /** A new webhook signing secret; the answer carries it (webhook.secret), once. */
  rotateSecret: (name: string) => call<Workflow>(`${wf(name)}/webhook/secret`, jsonBody('POST', {})),
  /** Whether the server listens beyond this machine (it then shows a warning). */
  server: () => call<{ exposed: boolean; public_url: string }>('/api/server'),
  runs: (name: string) => call<z.output<typeof RunList>>(`${wf(name)}/runs`),
  digest: (name: string, runId: number) => call<Digest>(`${wf(name)}/runs/${runId}`),
  deliveries: (name: string) => call<z.output<typeof DeliveryList>>(`${wf(name)}/deliveries`),
  retryDelivery: (name: string, id: number) => call<DeliveryRow>(`${wf(name)}/deliveries/${id}/retry`, jsonBody('POST', {})),
};

export const workflowLinks = {
  page: (name: string) => `/workflows/${encodeURIComponent(name)}`,
  run: (name: string, runId: number) => `/workflows/${encodeURIComponent(name)}/runs/${runId}`,
  atom: (name: string) => `/workflows/${encodeURIComponent(name)}/feed.atom`,
  markdown: (name: string, runId: number) => `${wf(name)}/runs/${runId}/digest.md`,
  html: (name: string, runId: number) => `${wf(name)}/runs/${runId}/digest.html`,
};


/** Upload one file with progress (fetch has no upload progress; XMLHttpRequest does). */
export function uploadFile(file: File, onProgress: (fraction: number) => void): Promise<IngestOutcome> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    // modified: epoch milliseconds (the server dates the document by it).
    const qs = new URLSearchParams({ name: file.name, modified: String(file.lastModified) });
    xhr.open('POST', `/api/files?${qs}`);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // handled below
      }
      if (xhr.status >= 200 && xhr.status < 300 && body) resolve(body as IngestOutcome);
      else {
        const e = (body as { error?: { code?: string; message?: string } } | null)?.error;
        reject(new ApiError(xhr.status, e?.code ?? 'error', e?.message ?? `HTTP ${xhr.status}`));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'The upload did not reach the server.'));
    xhr.send(file);
  });
}
