/**
 * The HTTP server (Fastify). Routes are thin: a zod schema, one service call, a presenter.
 * Errors map to status codes in one place (the LodestoneError catalog). Binds to 127.0.0.1
 * unless told otherwise.
 */
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import fastifyCompress from '@fastify/compress';
import Fastify, { type FastifyInstance } from 'fastify';
import { ZodError } from 'zod';
import { describeError, LodestoneError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { defaultTimeZone, toIso } from '../core/time.js';
import { checkSchedule } from '../workflows/spec.js';
import type { AppContext } from '../services/context.js';
import { clusterView, documentHighlights, documentView, resolveDocument } from '../services/documents.js';
import { type IngestReport, ingestRecords, ingestTargets } from '../services/ingest.js';
import { searchDocuments } from '../services/search.js';
import { fetchSource } from '../services/sources.js';
import { summarize, summaryStatus } from '../services/summaries.js';
import { verifyText } from '../summaries/verify.js';
import type { UpsertResult } from '../store/ports.js';
import { openApiDocument } from './openapi.js';
import { IngestUrl, PostDocuments, SearchQuery, VerifyRequest } from './schemas.js';
import { registerWebApp } from './static.js';
import { registerWorkflowRoutes } from './workflows.js';
import { Scheduler } from '../workflows/scheduler.js';

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

function ingestBody(report: IngestReport, results: UpsertResult[]) {
  return {
    inserted: report.inserted,
    updated: report.updated,
    unchanged: report.unchanged,
    failed: report.failed,
    warnings: report.warnings,
    errors: report.errors,
    documents: results.map((r) => ({ id: r.id, status: r.status, cluster_id: r.clusterId })),
  };
}

export async function buildServer(ctx: AppContext, scheduler: Scheduler | null = null): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 32 * 1024 * 1024 });
  // Compressed responses (static files and JSON) when the client accepts them.
  await app.register(fastifyCompress, { threshold: 1024 });
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: MAX_UPLOAD_BYTES }, (_req, body, done) =>
    done(null, body),
  );

  app.addHook('onSend', async (_req, reply) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });

  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof LodestoneError) {
      return reply.status(err.status).send({ error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } });
    }
    if (err instanceof ZodError) {
      const message = err.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ');
      return reply.status(400).send({ error: { code: 'bad_request', message } });
    }
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.status(status).send({ error: { code: 'bad_request', message: describeError(err) } });
    }
    return reply.status(500).send({ error: { code: 'internal', message: 'Internal error; see the server log.' } });
  });

  app.get('/healthz', async () => {
    const s = await ctx.store.stats();
    return { ok: true, documents: s.documents };
  });

  app.get('/api/openapi.json', async () => openApiDocument());

  app.get('/api/search', async (req) => {
    const q = SearchQuery.parse(req.query);
    return searchDocuments(ctx.store, {
      q: q.q,
      limit: q.limit,
      offset: q.offset,
      sort: q.sort,
      ...(q.from ? { from: q.from } : {}),
      ...(q.to ? { to: q.to } : {}),
      ...(q.type ? { type: q.type } : {}),
      ...(q.source ? { source: q.source } : {}),
      ...(q.lang ? { lang: q.lang } : {}),
      collapse: q.collapse ?? true,
      explain: q.explain ?? false,
      facets: q.facets ?? true,
    }, { llm: ctx.llm });
  });

  app.get<{ Params: { id: string }; Querystring: { q?: string } }>('/api/documents/:id', async (req) => {
    const d = await resolveDocument(ctx.store, req.params.id);
    const view = await documentView(ctx.store, d);
    const q = typeof req.query.q === 'string' ? req.query.q.slice(0, 2000) : '';
    return q.trim() === '' ? view : { ...view, highlights: documentHighlights(d, q) };
  });

  const summaryLang = (q: { lang?: string }): 'en' | 'zh' | undefined => {
    if (q.lang === undefined || q.lang === '') return undefined;
    if (q.lang !== 'en' && q.lang !== 'zh') throw new LodestoneError('bad_request', 'lang must be en or zh');
    return q.lang;
  };
  app.get<{ Params: { id: string }; Querystring: { lang?: string } }>('/api/documents/:id/summary', async (req) => {
    const lang = summaryLang(req.query);
    return summarize(ctx.store, await resolveDocument(ctx.store, req.params.id), { llm: ctx.llm, ...(lang ? { lang } : {}) });
  });
  app.get<{ Params: { id: string }; Querystring: { lang?: string } }>('/api/documents/:id/summary/status', async (req) => {
    const lang = summaryLang(req.query);
    return summaryStatus(ctx.store, await resolveDocument(ctx.store, req.params.id), { llm: ctx.llm, ...(lang ? { lang } : {}) });
  });
  app.post<{ Params: { id: string }; Querystring: { lang?: string } }>('/api/documents/:id/summary', async (req) => {
    const lang = summaryLang(req.query);
    return summarize(ctx.store, await resolveDocument(ctx.store, req.params.id), { force: true, llm: ctx.llm, ...(lang ? { lang } : {}) });
  });

  app.post<{ Params: { id: string } }>('/api/documents/:id/verify', async (req) => {
    const body = VerifyRequest.parse(req.body);
    const d = await resolveDocument(ctx.store, req.params.id);
    return verifyText(body.text, d.paragraphs.map((p) => p.text));
  });

  app.post('/api/documents', async (req) => {
    const body = PostDocuments.parse(req.body);
    const records = Array.isArray(body) ? body : 'documents' in body && Array.isArray(body.documents) ? body.documents : [body];
    const { report, results } = await ingestRecords(ctx.store, records);
    return ingestBody(report, results);
  });

  app.post<{ Querystring: { name?: string; source?: string; modified?: string } }>('/api/files', async (req) => {
    const name = basename(req.query.name ?? '').trim();
    if (name === '' || name.startsWith('.')) throw new LodestoneError('bad_request', 'name= (the file name, with its extension) is required');
    const bytes = req.body;
    if (!Buffer.isBuffer(bytes)) throw new LodestoneError('bad_request', 'send the file as the raw body (application/octet-stream)');
    const dir = await mkdtemp(join(tmpdir(), 'lodestone-upload-'));
    try {
      const path = join(dir, name);
      await writeFile(path, bytes);
      // The browser's File.lastModified (epoch ms) stands in for the file's date; without it
      // an upload is undated rather than dated by this temporary copy.
      const modified = Number(req.query.modified);
      const hasModified = req.query.modified !== undefined && Number.isFinite(modified) && modified > 0;
      if (hasModified) await utimes(path, new Date(modified), new Date(modified));
      const results: UpsertResult[] = [];
      const report = await ingestTargets(ctx.store, [path], {
        ...(req.query.source ? { source: req.query.source } : { source: 'uploads' }),
        workers: 0, // one file: a worker thread would cost more than it saves
        onBatch: (r) => results.push(...r),
        // Key uploads by name: uploading a file again updates it instead of duplicating.
        rewrite: (doc) => ({
          ...doc,
          key: doc.key.startsWith(`file:${path}`) ? `upload:${name}${doc.key.slice(`file:${path}`.length)}` : doc.key,
          publishedAt: doc.metadata.date_from === 'mtime' && !hasModified ? null : doc.publishedAt,
          metadata: { ...doc.metadata, file: name, upload_sha256: sha256Hex(bytes) },
        }),
      });
      return ingestBody(
        { ...report, errors: report.errors.map((e) => ({ ...e, location: e.location.replace(path, name) })) },
        results,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  app.post('/api/sources/url', async (req) => {
    const body = IngestUrl.parse(req.body);
    const schedule = body.schedule?.trim() ? body.schedule.trim() : body.schedule === undefined ? undefined : null;
    if (schedule) checkSchedule(schedule, defaultTimeZone());
    const { report, results } = await fetchSource(ctx.store, body.url, {
      ...(body.source ? { source: body.source } : {}),
      ...(body.type ? { type: body.type } : {}),
      ...(schedule !== undefined ? { schedule } : {}),
      allowPrivate: ctx.allowPrivate,
    });
    return ingestBody(report, results);
  });

  app.get('/api/sources', async () => ({
    sources: (await ctx.store.listSources()).map((s) => ({
      name: s.name,
      documents: s.documents,
      last_ingested_at: toIso(s.lastIngestedAt),
      url: s.url,
      last_fetch_at: toIso(s.lastFetchAt),
      last_error: s.lastError,
      failures: s.failures,
      next_poll_at: toIso(s.nextPollAt),
      feed: s.feed,
    })),
  }));

  app.delete<{ Params: { name: string } }>('/api/sources/:name', async (req) => ({
    deleted: await ctx.store.deleteSource(req.params.name),
  }));

  app.get<{ Querystring: { min_size?: string } }>('/api/clusters', async (req) => {
    const min = Number(req.query.min_size ?? '2');
    const clusters = await ctx.store.clusters(Number.isInteger(min) && min >= 2 ? min : 2);
    return { clusters: clusters.slice(0, 1000).map(clusterView), total: clusters.length };
  });

  app.get('/api/stats', async () => ctx.store.stats());

  registerWorkflowRoutes(app, ctx, async () => {
    await scheduler?.reload();
  });

  await registerWebApp(app);
  return app;
}

export async function startServer(
  ctx: AppContext,
  /** `scheduler` runs workflows on their schedules, retries webhooks and polls feeds (lodestone serve). */
  opts: { port: number; host: string; scheduler?: boolean; tickMs?: number; log?: (msg: string) => void },
): Promise<RunningServer> {
  const scheduler = opts.scheduler ? new Scheduler(ctx, { ...(opts.tickMs ? { tickMs: opts.tickMs } : {}), ...(opts.log ? { log: opts.log } : {}) }) : null;
  const app = await buildServer(ctx, scheduler);
  // Warm up before taking traffic: the in-memory columns and the segmenter's dictionary
  // load on first use, which would otherwise land on the first user's query.
  await searchDocuments(ctx.store, { q: '稀土出口管制', limit: 1, facets: false });
  await app.listen({ port: opts.port, host: opts.host });
  await scheduler?.start();
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    app,
    url: `http://${host}:${port}`,
    close: async () => {
      await scheduler?.stop();
      await app.close();
    },
  };
}
