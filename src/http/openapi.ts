/** The OpenAPI 3.1 document, generated from the zod schemas in schemas.ts. */
import { z } from 'zod';
import {
  DeletedSource,
  SummaryResponse,
  VerifyRequest,
  VerifyResponse,
  SourceList,
  DocumentView,
  ErrorBody,
  IngestResult,
  IngestUrl,
  PostDocuments,
  SearchQuery,
  SearchResponse,
  DeliveryList,
  DigestView,
  RunList,
  RunOutcome,
  WorkflowList,
  WorkflowView,
} from './schemas.js';
import { WorkflowBody } from './workflows.js';

const json = (schema: z.ZodType, io: 'input' | 'output' = 'output') => ({
  'application/json': { schema: z.toJSONSchema(schema, { io, unrepresentable: 'any' }) },
});

function queryParameters() {
  const shape = SearchQuery.shape;
  return Object.keys(shape).map((name) => ({
    name,
    in: 'query',
    required: false,
    schema: z.toJSONSchema(shape[name as keyof typeof shape], { io: 'input', unrepresentable: 'any' }),
  }));
}

export function openApiDocument(): Record<string, unknown> {
  const error = { description: 'Error', content: json(ErrorBody) };
  return {
    openapi: '3.1.0',
    info: { title: 'Lodestone API', version: '0.1.0', description: 'Documents in, precise Chinese and English search out.' },
    paths: {
      '/healthz': { get: { summary: 'Liveness and document count', responses: { 200: { description: 'OK' } } } },
      '/api/search': {
        get: {
          summary: 'Search documents (format=csv|ndjson: a download of up to `limit` hits, at most 10,000)',
          description:
            'Query language: terms (AND), "phrases", OR, NOT / -term, parentheses, title: source: type: lang: ticker: tag: level:. Clusters of duplicates collapse into one hit unless collapse=false.',
          parameters: queryParameters(),
          responses: { 200: { description: 'Results', content: json(SearchResponse) }, 400: error },
        },
      },
      '/api/documents': {
        post: {
          summary: 'Add or update documents (one record, an array, or {documents: [...]})',
          requestBody: { required: true, content: json(PostDocuments, 'input') },
          responses: { 200: { description: 'Ingest result', content: json(IngestResult) }, 400: error, 422: error },
        },
      },
      '/api/documents/{id}': {
        get: {
          summary: 'One document with numbered paragraphs and its duplicate cluster',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'q', in: 'query', required: false, schema: { type: 'string' }, description: 'highlight this query' },
          ],
          responses: { 200: { description: 'Document', content: json(DocumentView) }, 404: error, 409: error },
        },
        delete: {
          summary: 'Delete one document (a cluster left with one member dissolves)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: '{deleted: {id, internal_id, title, source}}' }, 404: error, 409: error },
        },
      },
      '/api/documents/{id}/summary': {
        get: {
          summary: 'The document summary with verified citations (made and cached on first request; extractive without a model)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'Summary', content: json(SummaryResponse) }, 404: error },
        },
        post: {
          summary: 'Make the summary again (replaces the cached one)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'Summary', content: json(SummaryResponse) }, 404: error },
        },
      },
      '/api/documents/{id}/summary/status': {
        get: {
          summary: 'Where the summary stands: none, pending (a model is working), done, or failed with the reason',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: '{status, reason, model, lang}' }, 404: error },
        },
      },
      '/api/documents/{id}/verify': {
        post: {
          summary: 'Check every [n] citation of a text against the document: paragraphs exist, figures and names are in them',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: { required: true, content: json(VerifyRequest, 'input') },
          responses: { 200: { description: 'Points with problems', content: json(VerifyResponse) }, 400: error, 404: error },
        },
      },
      '/api/files': {
        post: {
          summary: 'Upload one file (raw body): .txt .md .html .pdf .docx .ndjson .jsonl .json .xml',
          parameters: [{ name: 'name', in: 'query', required: true, schema: { type: 'string' } }],
          requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
          responses: { 200: { description: 'Ingest result', content: json(IngestResult) }, 400: error, 413: error },
        },
      },
      '/api/sources/url': {
        post: {
          summary: 'Ingest a feed or web page URL',
          requestBody: { required: true, content: json(IngestUrl, 'input') },
          responses: { 200: { description: 'Ingest result', content: json(IngestResult) }, 400: error },
        },
      },
      '/api/sources': {
        get: { summary: 'Sources with document counts, last fetch and error', responses: { 200: { description: 'Sources', content: json(SourceList) } } },
      },
      '/api/sources/{name}': {
        delete: {
          summary: 'Delete a source and all its documents',
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'Deleted', content: json(DeletedSource) } },
        },
      },
      '/api/clusters': { get: { summary: 'Duplicate clusters', responses: { 200: { description: 'Clusters' } } } },
      '/api/stats': { get: { summary: 'Store statistics', responses: { 200: { description: 'Statistics' } } } },
      '/api/workflows': {
        get: { summary: 'Workflows with their last run and next scheduled run', responses: { 200: { description: 'Workflows', content: json(WorkflowList) } } },
        post: {
          summary: 'Create a workflow (query, filters, schedule + tz, lang, summarize, brief, webhook, max_items)',
          requestBody: { content: json(WorkflowBody, 'input') },
          responses: { 201: { description: 'Created', content: json(WorkflowView) }, 409: error, 422: error },
        },
      },
      '/api/workflows/preview': {
        post: { summary: 'What a query matches now (live preview)', requestBody: { content: json(WorkflowBody, 'input') }, responses: { 200: { description: 'Search response', content: json(SearchResponse) }, 422: error } },
      },
      '/api/workflows/{name}': {
        get: { summary: 'One workflow (with its webhook secret)', responses: { 200: { description: 'Workflow', content: json(WorkflowView) }, 404: error } },
        patch: { summary: 'Edit, pause or resume', requestBody: { content: json(WorkflowBody, 'input') }, responses: { 200: { description: 'Workflow', content: json(WorkflowView) }, 404: error, 422: error } },
        delete: { summary: 'Delete a workflow and its history', responses: { 200: { description: 'Deleted' }, 404: error } },
      },
      '/api/workflows/{name}/run': {
        post: { summary: 'Run now: done, skipped (another run is live) or failed with the reason', responses: { 200: { description: 'Outcome', content: json(RunOutcome) }, 404: error } },
      },
      '/api/workflows/{name}/runs': { get: { summary: 'Run history, newest first', responses: { 200: { description: 'Runs', content: json(RunList) } } } },
      '/api/workflows/{name}/runs/{run_id}': { get: { summary: 'A run as a digest', responses: { 200: { description: 'Digest', content: json(DigestView) }, 404: error } } },
      '/api/workflows/{name}/runs/{run_id}/digest.md': { get: { summary: 'The digest as Markdown', responses: { 200: { description: 'text/markdown' } } } },
      '/api/workflows/{name}/runs/{run_id}/digest.html': { get: { summary: 'The digest as a self-contained HTML page', responses: { 200: { description: 'text/html' } } } },
      '/api/workflows/{name}/deliveries': { get: { summary: 'Webhook deliveries and their attempts', responses: { 200: { description: 'Deliveries', content: json(DeliveryList) } } } },
      '/api/workflows/{name}/deliveries/{id}/retry': {
        post: { summary: 'Send a failed delivery again now (fresh retries)', responses: { 200: { description: 'The delivery after the attempt' }, 404: error, 409: error } },
      },
      '/workflows/{name}/feed.atom': { get: { summary: 'Atom 1.0 feed of delivered items (stable entry ids)', responses: { 200: { description: 'application/atom+xml' } } } },
    },
  };
}
