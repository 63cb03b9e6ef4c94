/**
 * The HTTP server (Fastify). Routes are thin: a zod schema, one service call, a presenter.
 * Errors map to status codes in one place (the LodestoneError catalog). Binds to 127.0.0.1
 * unless told otherwise.
 */
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fastifyCompress from '@fastify/compress';
import Fastify, { type FastifyInstance } from 'fastify';
import { ZodError, type z } from 'zod';
import { describeError, LodestoneError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { defaultTimeZone, toIso } from '../core/time.js';
import { checkSchedule } from '../workflows/spec.js';
import type { AppContext } from '../services/context.js';
import { clusterView, deleteDocument, documentHighlights, documentView, resolveDocument } from '../services/documents.js';
import { SharedAnalyzer } from '../services/analysis-pool.js';
import { type IngestReport, ingestRecords, ingestTargets } from '../services/ingest.js';
import { ExtractionSandbox } from '../extract/sandbox.js';
import { formatOf } from '../sources/files.js';
import { configuredHosts, isLoopbackHost, registerGuards } from './guard.js';
import { exportSearch } from '../services/export.js';
import { type SearchParams, searchDocuments, searchLabels } from '../services/search.js';
import { watchSharedFiles } from '../services/shared-files.js';
import { fetchSource } from '../services/sources.js';
import { summarize, summaryStatus } from '../services/summaries.js';
import { verifyText } from '../summaries/verify.js';
import type { UpsertResult } from '../store/ports.js';
import { openApiDocument } from './openapi.js';
import { ExportQuery, IngestUrl, postedRecords, SearchQuery, VerifyRequest } from './schemas.js';
import { registerWebApp } from './static.js';
import { registerWorkflowRoutes } from './workflows.js';
import { Scheduler } from '../workflows/scheduler.js';
import { config } from '../core/config.js';

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
    errors: report.errors.map((e) => ({ location: e.location, reason: e.reason })),
    documents: results.map((r) => ({ id: r.id, status: r.status, cluster_id: r.clusterId })),
  };
}

/** Longest upload file name accepted (bytes of UTF-8 are capped by the file system at 255). */
const MAX_UPLOAD_NAME = 200;

/** The file name of an upload: a plain name with a supported extension, or a 400 that says why. */
export function uploadName(raw: string | undefined): string {
  const name = (raw ?? '').trim();
  if (name === '') throw new LodestoneError('bad_request', 'name= (the file name, with its extension) is required');
  if (name.length > MAX_UPLOAD_NAME) throw new LodestoneError('bad_request', `the file name is ${name.length} characters long (at most ${MAX_UPLOAD_NAME})`);
  // Control characters (NUL among them) and path separators have no place in a file name.
  if (/[\p{Cc}/\\]/u.test(name)) throw new LodestoneError('bad_request', 'the file name may not contain control characters, / or \\');
  if (name.startsWith('.')) throw new LodestoneError('bad_request', 'the file name may not start with "."');
  if (!formatOf(name)) throw new LodestoneError('unsupported_format', `unsupported file type: ${name}`);
  return name;
}

/** Options of the HTTP server beyond the context. */
export interface ServerOptions {
  /** Host names answered besides loopback names and IP literals (see guard.ts). */
  allowedHosts?: Set<string>;
  /** Absolute links in digests and feeds start with this (LODESTONE_PUBLIC_URL, else the listening address). */
  publicUrl?: () => string;
  /** Told that the server listens on more than loopback while no users exist (the page shows a warning). */
  exposed?: boolean;
  /** Request and error log (one line each); none when absent. */
  log?: (line: string) => void;
}

/** An AbortSignal that fires when the client closes the connection before the answer is sent. */
function clientGone(reply: { raw: { on(e: 'close', f: () => void): unknown; writableFinished: boolean } }): AbortSignal {
  const ctl = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) ctl.abort();
  });
  return ctl.signal;
}

export async function buildServer(ctx: AppContext, scheduler: Scheduler | null = null, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 32 * 1024 * 1024 });
  const log = opts.log;
  // Parsing and analysis of what users send run off the event loop: one sandbox worker for
  // files and fetched bytes, one analysis worker, shared by every request.
  const extractor = new ExtractionSandbox();
  const analyzer = new SharedAnalyzer();
  ctx.workers = { extractor, analyzer }; // the scheduler's feed polls use them too
  app.addHook('onClose', async () => {
    if (ctx.workers?.extractor === extractor) ctx.workers = undefined;
    await extractor.close();
    await analyzer.close();
  });
  const publicUrl = opts.publicUrl ?? (() => config().publicUrl ?? 'http://127.0.0.1:8787');
  registerGuards(app, {
    allowedHosts: opts.allowedHosts ?? new Set(),
    trustedOrigins: new Set(config().publicUrl ? [new URL(config().publicUrl!).origin.toLowerCase()] : []),
    log,
  });
  // Compressed responses (static files and JSON) when the client accepts them.
  await app.register(fastifyCompress, { threshold: 1024 });
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: MAX_UPLOAD_BYTES }, (_req, body, done) =>
    done(null, body),
  );
  // JSON, where an empty body (a POST that only triggers something) is no body at all.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(new LodestoneError('bad_request', `the body is not valid JSON: ${(err as Error).message}`), undefined);
    }
  });

  app.addHook('onSend', async (_req, reply) => {
    // A route with a policy of its own (digest.html, for its inline style) keeps it.
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });

  app.setErrorHandler((err, req, reply) => {
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
    log?.(`error: ${req.method} ${req.url.slice(0, 300)}: ${(err as Error).stack ?? describeError(err)}`);
    return reply.status(500).send({ error: { code: 'internal', message: 'Internal error; see the server log.' } });
  });

  app.get('/api/server', async () => ({
    exposed: opts.exposed ?? false,
    public_url: publicUrl(),
  }));

  app.get('/healthz', async () => {
    const s = await ctx.store.stats();
    return { ok: true, documents: s.documents };
  });

  app.get('/api/openapi.json', async () => openApiDocument());

  app.get('/api/search', async (req, reply) => {
    const format = (req.query as Record<string, unknown>).format;
    if (format !== undefined && format !== 'json') {
      // An export: the same hits as a CSV or NDJSON download (services/export.ts).
      const x = ExportQuery.parse(req.query);
      const name = `lodestone-${new Date().toISOString().slice(0, 10)}.${x.format}`;
      reply.header('content-type', x.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
      reply.header('content-disposition', `attachment; filename="${name}"`);
      const params = { ...searchParams(x), offset: x.offset, sort: x.sort };
      // The first page is read before the answer starts, so a bad query is still a 400.
      const chunks = exportSearch(ctx.store, params, x.format, x.limit);
      const first = await chunks.next();
      return reply.send(Readable.from((async function* () {
        if (!first.done) yield first.value;
        yield* chunks;
      })()));
    }
    const q = SearchQuery.parse(req.query);
    return searchDocuments(
      ctx.store,
      { ...searchParams(q), limit: q.limit, offset: q.offset, sort: q.sort, explain: q.explain ?? false, facets: q.facets ?? true },
      { llm: ctx.llm },
    );
  });

  app.get<{ Params: { id: string }; Querystring: { q?: string; translate?: string; off?: string | string[] } }>('/api/documents/:id', async (req) => {
    const d = await resolveDocument(ctx.store, req.params.id);
    const view = await documentView(ctx.store, d);
    const q = typeof req.query.q === 'string' ? req.query.q.slice(0, 2000) : '';
    if (q.trim() === '') return view;
    // Highlight what the search matched: the query and the translations it searched.
    const off = [req.query.off ?? []].flat().flatMap((x) => x.split(',')).filter(Boolean);
    return { ...view, highlights: await documentHighlights(ctx.store, d, q, { translate: req.query.translate !== 'false' && req.query.translate !== '0', off }) };
  });

  app.get('/api/search/labels', async (req) => {
    const x = SearchQuery.parse(req.query);
    return searchLabels(ctx.store, searchParams(x));
  });

  app.delete<{ Params: { id: string } }>('/api/documents/:id', async (req) => deleteDocument(ctx.store, req.params.id));

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
    const { report, results } = await ingestRecords(ctx.store, postedRecords(req.body), { analyzer });
    for (const e of report.errors.slice(0, 20)) log?.(`rejected record ${e.location}: ${e.reason}`);
    return ingestBody(report, results);
  });

  app.post<{ Querystring: { name?: string; source?: string; modified?: string } }>('/api/files', async (req, reply) => {
    const name = uploadName(req.query.name);
    const bytes = req.body;
    if (!Buffer.isBuffer(bytes)) throw new LodestoneError('bad_request', 'send the file as the raw body (application/octet-stream)');
    const source = req.query.source?.trim() || 'uploads';
    const signal = clientGone(reply);
    // Upload copies live under the data folder and are removed on every path here; a server
    // killed in between leaves them to the next start, which empties the folder.
    const tmp = join(ctx.dataDir, 'tmp');
    await mkdir(tmp, { recursive: true });
    const dir = await mkdtemp(join(tmp, 'upload-'));
    try {
      const path = join(dir, name);
      await writeFile(path, bytes);
      // The browser's File.lastModified (epoch ms) stands in for the file's date; without it
      // an upload is undated rather than dated by this temporary copy.
      const modified = Number(req.query.modified);
      const hasModified = req.query.modified !== undefined && Number.isFinite(modified) && modified > 0;
      if (hasModified) await utimes(path, new Date(modified), new Date(modified));
      const uploadSha = sha256Hex(bytes); // once per upload, not once per entry of a feed
      // Without a date of its own or the browser's file date, an upload is dated when it was
      // first added (not left undated to sink below every dated item); uploading it again
      // keeps that date.
      const uploadKey = `upload:${source}:${name}`;
      const addedAt = (await ctx.store.findByKey(uploadKey))?.publishedAt ?? Date.now();
      const results: UpsertResult[] = [];
      const report = await ingestTargets(ctx.store, [path], {
        source,
        workers: 0,
        extractor,
        analyzer,
        signal,
        onBatch: (r) => results.push(...r),
        // An upload is identified by its source and name: uploading a file again under the
        // same source updates it; another source's upload of the same name is another document.
        rewrite: (doc) => ({
          ...doc,
          key: doc.key.startsWith(`file:${path}`) ? `upload:${source}:${name}${doc.key.slice(`file:${path}`.length)}` : doc.key,
          publishedAt: doc.metadata.date_from === 'mtime' && !hasModified ? addedAt : doc.publishedAt,
          metadata: { ...doc.metadata, file: name, upload_sha256: uploadSha },
        }),
      });
      for (const e of report.errors.slice(0, 20)) log?.(`upload ${name}: ${e.location.replace(path, name)}: ${e.reason}`);
      return ingestBody(
        { ...report, errors: report.errors.map((e) => ({ ...e, location: e.location.replace(path, name) })) },
        results,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  app.post('/api/sources/url', async (req, reply) => {
    const body = IngestUrl.parse(req.body);
    const schedule = body.schedule?.trim() ? body.schedule.trim() : body.schedule === undefined ? undefined : null;
    if (schedule) checkSchedule(schedule, defaultTimeZone());
    const { report, results } = await fetchSource(ctx.store, body.url, {
      ...(body.source ? { source: body.source } : {}),
      ...(body.type ? { type: body.type } : {}),
      ...(schedule !== undefined ? { schedule } : {}),
      allowPrivate: ctx.allowPrivate,
      extractor,
      analyzer,
      signal: clientGone(reply),
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
  }, publicUrl);

  await registerWebApp(app);
  return app;
}

/** Upload copies a killed server left behind: removed at start. */
async function clearUploadTemp(dataDir: string): Promise<void> {
  await rm(join(dataDir, 'tmp'), { recursive: true, force: true });
}

/** The query and filters of a search request's parameters (a page of results, an export, its labels). */
function searchParams(q: z.output<typeof SearchQuery>): SearchParams {
  return {
    q: q.q,
    ...(q.from ? { from: q.from } : {}),
    ...(q.to ? { to: q.to } : {}),
    ...(q.type ? { type: q.type } : {}),
    ...(q.source ? { source: q.source } : {}),
    ...(q.lang ? { lang: q.lang } : {}),
    collapse: q.collapse ?? true,
    translate: q.translate ?? true,
    ...(q.off ? { off: q.off } : {}),
  };
}

export async function startServer(
  ctx: AppContext,
  /** `scheduler` runs workflows on their schedules, retries webhooks and polls feeds (lodestone serve). */
  opts: { port: number; host: string; scheduler?: boolean; tickMs?: number; log?: (msg: string) => void; requestLog?: boolean },
): Promise<RunningServer> {
  const scheduler = opts.scheduler ? new Scheduler(ctx, { ...(opts.tickMs ? { tickMs: opts.tickMs } : {}), ...(opts.log ? { log: opts.log } : {}) }) : null;
  await clearUploadTemp(ctx.dataDir);
  const envPublic = config().publicUrl;
  const exposed = !isLoopbackHost(opts.host);
  let listening = '';
  const app = await buildServer(ctx, scheduler, {
    allowedHosts: configuredHosts(envPublic, opts.host),
    publicUrl: () => envPublic ?? listening,
    exposed,
    ...(opts.log && opts.requestLog !== false ? { log: opts.log } : {}),
  });
  // The dictionary and glossary shared through the database, current before the first query,
  // then pulled again every few seconds (services/shared-files.ts).
  await ctx.ready;
  const stopSharedFiles = watchSharedFiles(ctx.store, ctx.dataDir, opts.log);
  // Warm up before taking traffic: the in-memory columns and the segmenter's dictionary
  // load on first use, which would otherwise land on the first user's query.
  await searchDocuments(ctx.store, { q: '稀土出口管制', limit: 1, facets: false });
  await app.listen({ port: opts.port, host: opts.host });
  await scheduler?.start();
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${host}:${port}`;
  listening = exposed ? `http://127.0.0.1:${port}` : url;
  if (exposed) {
    opts.log?.(
      [
        '',
        `!!! WARNING: Lodestone is listening on ${url}: other machines can reach it, not only this one.`,
        '!!! There are no users or sign-in yet: anyone who can reach this port can read, add and delete everything.',
        '!!! Bind to 127.0.0.1 (the default) unless this network is yours alone.',
        '',
      ].join('\n'),
    );
  }
  return {
    app,
    url,
    close: async () => {
      stopSharedFiles();
      await scheduler?.stop();
      await app.close();
    },
  };
}
