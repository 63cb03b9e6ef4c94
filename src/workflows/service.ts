/**
 * Workflows as use cases shared by the CLI, the HTTP API and the scheduler: create, edit,
 * pause, delete, preview, run (with feed refresh and webhook delivery), and their views.
 */
import { Cron } from 'croner';
import { LodestoneError } from '../core/errors.js';
import { toIso } from '../core/time.js';
import { type BackgroundWorkers, pollFeeds } from '../services/sources.js';
import { type SearchResponse, searchDocuments } from '../services/search.js';
import { type Digest, loadDigest } from './digest.js';
import { getWorkflow, type RunContext, type RunOptions, type RunOutcome, runWorkflow } from './run.js';
import { newWebhookSecret, normalizeSpec, type WorkflowInput } from './spec.js';
import type { Delivery, Workflow, WorkflowRun } from '../store/records.js';
import { backoffFromEnv, deliverDue } from './webhook.js';

export interface ServiceContext extends RunContext {
  allowPrivate: boolean;
  /** Set in a server: feed polls parse and analyse in its background workers. */
  workers?: BackgroundWorkers | undefined;
}

export interface WorkflowView {
  name: string;
  query: string;
  filters: Workflow['filters'];
  lang: Workflow['lang'];
  schedule: string | null;
  tz: string;
  summarize: boolean;
  brief: boolean;
  webhook: { url: string; secret?: string } | null;
  max_items: number;
  refresh_feeds: boolean;
  /** How many days before its creation the first run reaches back (by publication date). */
  first_run_days: number;
  /** Searches in both languages. */
  translate: boolean;
  paused: boolean;
  created_at: string;
  updated_at: string;
  next_run_at: string | null;
  last_run: RunView | null;
}

export type DeliveryView = ReturnType<typeof deliveryView>;

/** A delivery as the API, the CLI's JSON and the page show it. */
export function deliveryView(d: Delivery) {
  return {
    id: d.id,
    run_id: d.runId,
    target: d.target,
    status: d.status,
    attempts: d.attempts,
    last_status: d.lastStatus,
    last_error: d.lastError,
    next_attempt_at: toIso(d.nextAttemptAt),
    created_at: toIso(d.createdAt),
    updated_at: toIso(d.updatedAt),
  };
}

export interface RunView {
  run_id: number;
  /** The run's number within its workflow ("Run 3"); `run_id` addresses it. */
  number: number;
  status: WorkflowRun['status'];
  reason: string | null;
  trigger: WorkflowRun['trigger'];
  scheduled_for: string | null;
  started_at: string;
  finished_at: string | null;
  matched: number;
  capped: number;
  items: number;
  repeats: number;
}

export function nextRun(wf: Workflow, after = new Date()): Date | null {
  if (!wf.schedule || wf.paused) return null;
  try {
    return new Cron(wf.schedule, { timezone: wf.tz, paused: true }).nextRun(after);
  } catch {
    return null;
  }
}

export async function runView(ctx: RunContext, r: WorkflowRun): Promise<RunView> {
  const items = await ctx.store.workflows.items(r.id);
  return {
    run_id: r.id,
    number: r.number,
    status: r.status,
    reason: r.reason,
    trigger: r.trigger,
    scheduled_for: toIso(r.scheduledFor),
    started_at: toIso(r.startedAt)!,
    finished_at: toIso(r.finishedAt),
    matched: r.matched,
    capped: r.capped,
    items: items.filter((i) => i.kind === 'item').length,
    repeats: items.filter((i) => i.kind === 'repeat').length,
  };
}

/**
 * The view of a workflow. The webhook's signing secret is never part of it, except
 * `newSecret`: the secret just made (a workflow created, its webhook URL changed, the secret
 * rotated), which its creator sees once.
 */
export async function workflowView(ctx: RunContext, wf: Workflow, newSecret: string | null = null): Promise<WorkflowView> {
  const last = (await ctx.store.workflows.runs(wf.id, 1))[0];
  return {
    name: wf.name,
    query: wf.query,
    filters: wf.filters,
    lang: wf.lang,
    schedule: wf.schedule,
    tz: wf.tz,
    summarize: wf.summarize,
    brief: wf.brief,
    webhook: wf.webhook ? { url: wf.webhook.url, ...(newSecret ? { secret: newSecret } : {}) } : null,
    max_items: wf.maxItems,
    refresh_feeds: wf.refreshFeeds,
    first_run_days: wf.firstRunDays,
    translate: wf.translate,
    paused: wf.paused,
    created_at: toIso(wf.createdAt)!,
    updated_at: toIso(wf.updatedAt)!,
    next_run_at: toIso(nextRun(wf)?.getTime() ?? null),
    last_run: last ? await runView(ctx, last) : null,
  };
}

export async function createWorkflow(ctx: ServiceContext, input: WorkflowInput, now = Date.now()): Promise<Workflow> {
  const spec = normalizeSpec(input);
  // The first run's window: every stored document, narrowed by publication date to the
  // chosen number of days (see select() in run.ts); with 0 days, only what arrives from now.
  const startAfter = spec.firstRunDays > 0 ? 0 : await ctx.store.workflows.lastDocIdBefore(now + 1);
  return ctx.store.workflows.create(spec, startAfter, now);
}

export async function updateWorkflow(ctx: ServiceContext, name: string, input: WorkflowInput & { paused?: unknown }): Promise<Workflow> {
  const wf = await getWorkflow(ctx.store, name);
  const { paused, ...rest } = input;
  const fields = Object.keys(rest).filter((k) => (rest as Record<string, unknown>)[k] !== undefined);
  let out = wf;
  if (fields.length > 0) out = await ctx.store.workflows.update(wf.id, normalizeSpec(rest, wf), Date.now());
  if (typeof paused === 'boolean' && paused !== wf.paused) {
    await ctx.store.workflows.setPaused(wf.id, paused, Date.now());
    out = (await ctx.store.workflows.get(out.name))!;
  }
  return out;
}

/** The secret made by an edit (a new webhook URL, or one given), or null when it stayed. */
export function changedSecret(before: Workflow, after: Workflow): string | null {
  const s = after.webhook?.secret ?? null;
  return s !== null && s !== (before.webhook?.secret ?? null) ? s : null;
}

/** A new signing secret for the workflow's webhook, returned once. */
export async function rotateWebhookSecret(ctx: ServiceContext, name: string): Promise<{ workflow: Workflow; secret: string }> {
  const wf = await getWorkflow(ctx.store, name);
  if (!wf.webhook) throw new LodestoneError('conflict', `workflow "${name}" has no webhook`);
  const secret = newWebhookSecret();
  const workflow = await ctx.store.workflows.update(wf.id, { ...wf, webhook: { url: wf.webhook.url, secret } }, Date.now());
  return { workflow, secret };
}

export async function deleteWorkflow(ctx: ServiceContext, name: string): Promise<void> {
  const wf = await getWorkflow(ctx.store, name);
  await ctx.store.workflows.remove(wf.id);
}

/** What the query matches now (the editor's live preview): newest first, with the total. */
export async function previewWorkflow(ctx: ServiceContext, input: WorkflowInput): Promise<SearchResponse> {
  const spec = normalizeSpec({ ...input, name: typeof input.name === 'string' && input.name.trim() !== '' ? input.name : 'preview', schedule: null });
  return searchDocuments(
    ctx.store,
    {
      q: spec.query,
      translate: spec.translate,
      sort: 'newest',
      limit: 10,
      ...(spec.filters.type ? { type: spec.filters.type } : {}),
      ...(spec.filters.source ? { source: spec.filters.source } : {}),
      ...(spec.filters.lang ? { lang: spec.filters.lang } : {}),
      facets: false,
    },
    { llm: ctx.llm },
  );
}

/** A run's outcome with its digest: what `workflow run --json` prints and the API answers. */
export interface RunResult extends Omit<RunOutcome, 'items'> {
  items: Digest['items'];
  repeats?: Digest['repeats'];
  brief?: Digest['brief'];
  feeds?: { url: string; stored: number; unchanged: boolean; error: string | null }[];
  deliveries?: DeliveryView[];
}

/**
 * Run a workflow now: refresh its feeds when asked, run, then attempt its due webhook
 * deliveries (`deliver: 'wait'` waits for them; 'background' leaves them running).
 */
export async function runNow(
  ctx: ServiceContext,
  name: string,
  opts: RunOptions & { deliver?: 'wait' | 'background' | 'none' } = {},
): Promise<RunResult> {
  const wf = await getWorkflow(ctx.store, name);
  let feeds: RunResult['feeds'];
  if (wf.refreshFeeds) {
    const sources = wf.filters.source?.map((s) => s.toLowerCase());
    feeds = await pollFeeds(ctx.store, {
      allowPrivate: ctx.allowPrivate,
      tz: wf.tz,
      force: true,
      workers: ctx.workers,
      ...(sources ? { only: (f) => sources.includes(f.source.toLowerCase()) } : {}),
    });
  }
  const out = await runWorkflow(ctx, wf, opts);
  const result: RunResult = { ...out, items: [], ...(feeds ? { feeds } : {}) };
  if (out.run_id !== null && out.outcome !== 'skipped') {
    const run = await ctx.store.workflows.run(out.run_id);
    if (run) {
      const dg = await loadDigest(ctx, wf, run);
      result.items = dg.items;
      result.repeats = dg.repeats;
      result.brief = dg.brief;
    }
  }
  const deliver = opts.deliver ?? 'wait';
  if (deliver !== 'none' && wf.webhook && out.outcome === 'done') {
    const p = deliverDue(ctx, { allowPrivate: ctx.allowPrivate, backoffMs: backoffFromEnv() }, wf.id);
    if (deliver === 'wait') result.deliveries = (await p).map(deliveryView);
    else void p.catch(() => {});
  }
  return result;
}

export async function runDigest(ctx: ServiceContext, name: string, runId: number): Promise<{ wf: Workflow; digest: Digest }> {
  const wf = await getWorkflow(ctx.store, name);
  const run = await ctx.store.workflows.run(runId);
  if (!run || run.workflowId !== wf.id) {
    throw new LodestoneError('not_found', `workflow "${name}" has no run ${runId}`);
  }
  return { wf, digest: await loadDigest(ctx, wf, run) };
}

/** Send a failed (or waiting) delivery again now, with a fresh set of retries. */
export async function retryDelivery(ctx: ServiceContext, name: string, deliveryId: number): Promise<Delivery> {
  const wf = await getWorkflow(ctx.store, name);
  const d = (await ctx.store.workflows.deliveries(wf.id, 10_000)).find((x) => x.id === deliveryId);
  if (!d) throw new LodestoneError('not_found', `workflow "${name}" has no delivery ${deliveryId}`);
  if (d.status === 'delivered') throw new LodestoneError('conflict', `delivery ${deliveryId} was delivered already`);
  await ctx.store.workflows.updateDelivery({ ...d, status: 'pending', attempts: 0, nextAttemptAt: Date.now(), updatedAt: Date.now() });
  const done = await deliverDue(ctx, { allowPrivate: ctx.allowPrivate, backoffMs: backoffFromEnv() }, wf.id);
  return done.find((x) => x.id === deliveryId) ?? { ...d, status: 'pending' };
}
