/**
 * Workflow routes: CRUD, live preview, run now, run history, digests (JSON, Markdown,
 * HTML), deliveries, and the Atom feed at /workflows/NAME/feed.atom.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { LodestoneError } from '../core/errors.js';
import type { AppContext } from '../services/context.js';
import { atomEntries, digestAtom, digestHtml, digestMarkdown } from '../workflows/digest.js';
import { getWorkflow } from '../workflows/run.js';
import {
  changedSecret,
  createWorkflow,
  deleteWorkflow,
  deliveryView,
  previewWorkflow,
  retryDelivery,
  rotateWebhookSecret,
  runDigest,
  runNow,
  runView,
  updateWorkflow,
  workflowView,
} from '../workflows/service.js';

export const WorkflowBody = z
  .object({
    name: z.string().optional(),
    query: z.string().optional(),
    filters: z
      .object({ type: z.array(z.string()).optional(), source: z.array(z.string()).optional(), lang: z.array(z.string()).optional() })
      .optional(),
    lang: z.enum(['en', 'zh', '']).nullable().optional(),
    schedule: z.string().nullable().optional(),
    tz: z.string().optional(),
    summarize: z.boolean().optional(),
    brief: z.boolean().optional(),
    webhook: z.string().nullable().optional(),
    webhook_secret: z.string().optional(),
    max_items: z.number().int().optional(),
    refresh_feeds: z.boolean().optional(),
    first_run_days: z.number().int().optional(),
    translate: z.boolean().optional(),
    paused: z.boolean().optional(),
  })
  .strict();



function runIdParam(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new LodestoneError('bad_request', `an id must be a positive integer, not ${JSON.stringify(raw)}`);
  return n;
}

/**
 * `onChange` lets the scheduler re-read workflows after an edit. Links in digests and feeds
 * start with `publicUrl()` (LODESTONE_PUBLIC_URL or the listening address), never with the
 * request's Host header, which the client chooses.
 */
export function registerWorkflowRoutes(
  app: FastifyInstance,
  ctx: AppContext,
  onChange: () => Promise<void> = async () => {},
  publicUrl: () => string = () => 'http://127.0.0.1:8787',
): void {
  app.get('/api/workflows', async () => ({
    workflows: await Promise.all((await ctx.store.workflows.list()).map((w) => workflowView(ctx, w))),
  }));

  app.post('/api/workflows', async (req, reply) => {
    const body = WorkflowBody.parse(req.body ?? {});
    const { paused, ...input } = body;
    let wf = await createWorkflow(ctx, input);
    if (paused) wf = await updateWorkflow(ctx, wf.name, { paused: true });
    await onChange();
    // The webhook's signing secret is shown here, once.
    return reply.status(201).send(await workflowView(ctx, wf, wf.webhook?.secret ?? null));
  });

  app.post('/api/workflows/preview', async (req) => previewWorkflow(ctx, WorkflowBody.parse(req.body ?? {})));

  app.get<{ Params: { name: string } }>('/api/workflows/:name', async (req) =>
    workflowView(ctx, await getWorkflow(ctx.store, req.params.name)),
  );

  app.patch<{ Params: { name: string } }>('/api/workflows/:name', async (req) => {
    const before = await getWorkflow(ctx.store, req.params.name);
    const wf = await updateWorkflow(ctx, req.params.name, WorkflowBody.parse(req.body ?? {}));
    await onChange();
    // A new webhook URL came with a new secret: shown in this answer, once.
    return workflowView(ctx, wf, changedSecret(before, wf));
  });

  app.post<{ Params: { name: string } }>('/api/workflows/:name/webhook/secret', async (req) => {
    const { workflow, secret } = await rotateWebhookSecret(ctx, req.params.name);
    return workflowView(ctx, workflow, secret);
  });

  app.delete<{ Params: { name: string } }>('/api/workflows/:name', async (req) => {
    await deleteWorkflow(ctx, req.params.name);
    await onChange();
    return { deleted: req.params.name };
  });

  // ?wait=false answers 202 as soon as the run exists ({run_id, outcome: "running"}); the
  // run goes on in the background (the page follows it through the runs list).
  app.post<{ Params: { name: string }; Querystring: { wait?: string } }>('/api/workflows/:name/run', async (req, reply) => {
    if (req.query.wait !== 'false' && req.query.wait !== '0') return runNow(ctx, req.params.name, { trigger: 'api', deliver: 'background' });
    await getWorkflow(ctx.store, req.params.name); // 404 before anything starts
    const started = await new Promise<{ run_id: number | null; outcome: string; reason?: string }>((resolve) => {
      runNow(ctx, req.params.name, {
        trigger: 'api',
        deliver: 'background',
        hooks: { onBegin: (runId, outcome) => resolve({ run_id: runId, outcome }) },
      })
        .then((r) => resolve({ run_id: r.run_id, outcome: r.outcome, ...(r.reason ? { reason: r.reason } : {}) }))
        .catch((err) => resolve({ run_id: null, outcome: 'failed', reason: (err as Error).message }));
    });
    return reply.status(started.outcome === 'running' ? 202 : 200).send({ ...started, items: [] });
  });

  app.get<{ Params: { name: string }; Querystring: { limit?: string } }>('/api/workflows/:name/runs', async (req) => {
    const wf = await getWorkflow(ctx.store, req.params.name);
    const limit = Math.min(200, Math.max(1, Number(req.query.limit ?? '50') || 50));
    return { workflow: wf.name, runs: await Promise.all((await ctx.store.workflows.runs(wf.id, limit)).map((r) => runView(ctx, r))) };
  });

  app.get<{ Params: { name: string; run_id: string } }>('/api/workflows/:name/runs/:run_id', async (req) => {
    return (await runDigest(ctx, req.params.name, runIdParam(req.params.run_id))).digest;
  });

  app.get<{ Params: { name: string; run_id: string } }>('/api/workflows/:name/runs/:run_id/digest.md', async (req, reply) => {
    const { wf, digest } = await runDigest(ctx, req.params.name, runIdParam(req.params.run_id));
    return reply.type('text/markdown; charset=utf-8').send(digestMarkdown(digest, wf.tz, publicUrl()));
  });

  app.get<{ Params: { name: string; run_id: string } }>('/api/workflows/:name/runs/:run_id/digest.html', async (req, reply) => {
    const { wf, digest } = await runDigest(ctx, req.params.name, runIdParam(req.params.run_id));
    const html = digestHtml(digest, wf.tz, publicUrl());
    // The page's one inline style is allowed by its hash; nothing else runs or loads.
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const hash = createHash('sha256').update(style).digest('base64');
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', `default-src 'none'; style-src 'sha256-${hash}'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`)
      .send(html);
  });

  app.get<{ Params: { name: string } }>('/api/workflows/:name/deliveries', async (req) => {
    const wf = await getWorkflow(ctx.store, req.params.name);
    return { deliveries: (await ctx.store.workflows.deliveries(wf.id, 100)).map(deliveryView) };
  });

  app.post<{ Params: { name: string; id: string } }>('/api/workflows/:name/deliveries/:id/retry', async (req) =>
    deliveryView(await retryDelivery(ctx, req.params.name, runIdParam(req.params.id))),
  );

  app.get<{ Params: { name: string } }>('/workflows/:name/feed.atom', async (req, reply) => {
    const wf = await getWorkflow(ctx.store, req.params.name);
    const entries = await atomEntries(ctx, wf, 100);
    return reply
      .type('application/atom+xml; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(digestAtom(wf, entries, publicUrl(), wf.tz));
  });
}
