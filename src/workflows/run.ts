/**
 * Running a workflow. A run covers the documents stored after the last done run (by ingest
 * order: a late-arriving document with an old publication date is still new), and goes
 * through phases that each commit before the next:
 *
 *   1. begin: atomically create the run with its document window (from_doc, to_doc], or take
 *      over a run whose owner died; a second trigger while one is live is `skipped`;
 *   2. select: the query over the window, duplicate clusters collapsed; a story this
 *      workflow delivered before (any member of its cluster) is a `repeat`, not an item;
 *      the selection and the delivered-set are stored in one transaction;
 *   3. summarize: each item not yet summarized (cached summaries are reused, so a resumed
 *      run never pays twice);
 *   4. brief (optional), then done, with one pending delivery per webhook in the same commit.
 *
 * Killed anywhere, the next trigger resumes the same run from its last committed phase.
 */
import { hostname } from 'node:os';
import { forEachBounded } from '../core/concurrency.js';
import { describeError, LodestoneError } from '../core/errors.js';
import type { StoredDocument } from '../core/types.js';
import type { LlmProvider } from '../llm/provider.js';
import { prepareQuery } from '../services/translation.js';
import { buildFilters } from '../services/search.js';
import { cachedSummary, type Summary, summarize } from '../services/summaries.js';
import type { DocumentStore, NewRunItem } from '../store/ports.js';
import { type Brief, extractiveBrief, llmBrief } from './brief.js';
import type { RunTrigger, Workflow, WorkflowRun } from '../store/records.js';

export interface RunContext {
  store: DocumentStore;
  llm: LlmProvider | null;
}

export interface RunHooks {
  /** Called once the run exists (its id is known), before any work: callers that do not wait use it. */
  onBegin?: (runId: number, outcome: 'running' | 'skipped') => void;
  /** Called after the selection committed (tests simulate a crash here). */
  afterSelection?: () => void | Promise<void>;
  /** Called after each item's summary committed. */
  afterItem?: (pos: number) => void | Promise<void>;
}

export interface RunOptions {
  trigger?: RunTrigger;
  scheduledFor?: number | null;
  now?: () => number;
  hooks?: RunHooks;
}

export interface RunOutcome {
  run_id: number | null;
  outcome: 'done' | 'skipped' | 'failed';
  reason?: string;
  /** Run number within the workflow is its id; resumed says it finished an interrupted run. */
  resumed?: boolean;
  matched?: number;
  capped?: number;
  /** Where the time went (ms): the selection query and checks, summaries, the whole run. */
  timings?: { select_ms: number; summarize_ms: number; total_ms: number };
  items: unknown[];
}

/** A run is abandoned when its process is gone, or silent for this long. */
export const STALE_AFTER_MS = 10 * 60_000;
const OWNER = `${hostname()}:${process.pid}`;
/** Runs this process is working on now. */
const active = new Set<number>();
/** Workflows this process is starting or running (two triggers in one process never race). */
const local = new Set<number>();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function abandoned(run: WorkflowRun, now: number): boolean {
  if (run.owner === OWNER) return !active.has(run.id);
  const [host, pid] = [run.owner.slice(0, run.owner.lastIndexOf(':')), Number(run.owner.slice(run.owner.lastIndexOf(':') + 1))];
  if (host === hostname() && Number.isInteger(pid) && !pidAlive(pid)) return true;
  return now - run.heartbeatAt > STALE_AFTER_MS;
}

export async function getWorkflow(store: DocumentStore, name: string): Promise<Workflow> {
  const wf = await store.workflows.get(name);
  if (!wf) throw new LodestoneError('not_found', `no workflow named "${name}" (see: lodestone workflow list)`);
  return wf;
}

/** Run a workflow now. Never throws for the run's own failures: they are the `failed` outcome. */
export async function runWorkflow(ctx: RunContext, wf: Workflow, opts: RunOptions = {}): Promise<RunOutcome> {
  const now = opts.now ?? Date.now;
  if (local.has(wf.id)) {
    const reason = `"${wf.name}" is already running in this process`;
    const id = await ctx.store.workflows.recordSkipped(wf.id, opts.trigger ?? 'manual', opts.scheduledFor ?? null, reason, now());
    opts.hooks?.onBegin?.(id, 'skipped');
    return { run_id: id, outcome: 'skipped', reason, items: [] };
  }
  local.add(wf.id);
  try {
    return await runLocked(ctx, wf, opts, now);
  } finally {
    local.delete(wf.id);
  }
}

async function runLocked(ctx: RunContext, wf: Workflow, opts: RunOptions, now: () => number): Promise<RunOutcome> {
  const repo = ctx.store.workflows;
  const begun = await repo.beginRun(wf, {
    trigger: opts.trigger ?? 'manual',
    scheduledFor: opts.scheduledFor ?? null,
    owner: OWNER,
    now: now(),
    abandoned: (r) => abandoned(r, now()),
  });
  if ('busy' in begun) {
    const reason = `run ${begun.busy.number} of "${wf.name}" is already in progress (started ${new Date(begun.busy.startedAt).toISOString()})`;
    const id = await repo.recordSkipped(wf.id, opts.trigger ?? 'manual', opts.scheduledFor ?? null, reason, now());
    opts.hooks?.onBegin?.(id, 'skipped');
    return { run_id: id, outcome: 'skipped', reason, items: [] };
  }
  let run = begun.run;
  opts.hooks?.onBegin?.(run.id, 'running');
  active.add(run.id);
  const t0 = performance.now();
  let selectMs = 0;
  let summarizeMs = 0;
  try {
    if (!run.selected) {
      const ts = performance.now();
      await select(ctx, wf, run);
      selectMs = performance.now() - ts;
      run = (await repo.run(run.id))!;
      await opts.hooks?.afterSelection?.();
    }
    const items = await repo.items(run.id);
    // Documents are read only when summaries or a brief need their text.
    const docs = wf.summarize || wf.brief ? await ctx.store.getManyBySeq(items.map((i) => i.docId)) : new Map<number, StoredDocument>();
    const summaries = new Map<number, Summary | null>();
    const tsum = performance.now();
    // Deleted since the selection: the digest leaves it out.
    const todo = wf.summarize ? items.filter((it) => it.kind === 'item' && it.summaryState === 'none' && docs.has(it.docId)) : [];
    // As many at once as the model allows (one without a model); each commits on its own.
    await forEachBounded(todo, ctx.llm?.maxConcurrency ?? 1, async (it) => {
      const d = docs.get(it.docId)!;
      try {
        summaries.set(it.docId, await summarize(ctx.store, d, { llm: ctx.llm, ...(wf.lang ? { lang: wf.lang } : {}) }));
        await repo.setItemSummary(run.id, it.pos, 'done', null);
      } catch (err) {
        await repo.setItemSummary(run.id, it.pos, 'failed', describeError(err));
      }
      await repo.heartbeat(run.id, now());
      await opts.hooks?.afterItem?.(it.pos);
    });
    summarizeMs = performance.now() - tsum;
    let brief: Brief | null = null;
    if (wf.brief) {
      const list: { doc: StoredDocument; summary: Summary | null }[] = [];
      for (const it of items) {
        const d = docs.get(it.docId);
        if (it.kind !== 'item' || !d) continue;
        list.push({ doc: d, summary: summaries.get(it.docId) ?? (await summaryFor(ctx, wf, d)) });
      }
      // With a model, the model's verified brief in the workflow's language (or the
      // majority language of the stories); otherwise, or if it fails, extractive.
      const lang = wf.lang ?? (list.filter((x) => x.doc.lang === 'zh').length * 2 >= list.length ? 'zh' : 'en');
      brief = ctx.llm ? await llmBrief(ctx.llm, list, lang) : extractiveBrief(list, wf.lang);
    }
    const reason = run.capped > 0 ? `capped: ${run.capped} more matching stories were not included (max_items ${wf.maxItems})` : null;
    await repo.finishRun(run.id, 'done', reason, brief ? JSON.stringify(brief) : null, now(), wf.webhook ? [wf.webhook.url] : []);
    const ms = (x: number) => Math.round(x * 10) / 10;
    return {
      run_id: run.id,
      outcome: 'done',
      ...(reason ? { reason } : {}),
      resumed: begun.resumed,
      matched: run.matched,
      capped: run.capped,
      timings: { select_ms: ms(selectMs), summarize_ms: ms(summarizeMs), total_ms: ms(performance.now() - t0) },
      items: [],
    };
  } catch (err) {
    const reason = describeError(err);
    await repo.finishRun(run.id, 'failed', reason, null, now(), []);
    return { run_id: run.id, outcome: 'failed', reason, items: [] };
  } finally {
    active.delete(run.id);
  }
}

/** The summary a digest shows for a document: the workflow's language and model, else any cached one. */
export async function summaryFor(ctx: RunContext, wf: Workflow, d: StoredDocument): Promise<Summary | null> {
  const lang = wf.lang ? { lang: wf.lang } : {};
  if (ctx.llm) {
    const s = await cachedSummary(ctx.store, d, { llm: ctx.llm, ...lang });
    if (s) return s;
  }
  return cachedSummary(ctx.store, d);
}

/** Phase 2: what the query matches in the run's window, collapsed and checked against what was delivered. */
async function select(ctx: RunContext, wf: Workflow, run: WorkflowRun): Promise<void> {
  const repo = ctx.store.workflows;
  // Translated like a search (services/translation.ts): a workflow written in English tracks Chinese sources too.
  const { query } = await prepareQuery(ctx.store, wf.query, { translate: wf.translate });
  const filters = { ...buildFilters({ q: wf.query, type: wf.filters.type, source: wf.filters.source, lang: wf.filters.lang }) };
  filters.afterSeq = run.fromDoc;
  filters.throughSeq = run.toDoc;
  // Until a run is done, the window starts where the workflow started: narrow it to what was
  // published in the chosen number of days before the workflow was created (its first run).
  const first = run.fromDoc === wf.startAfter && (await repo.lastDone(wf.id)) === null;
  if (first && wf.firstRunDays > 0) filters.from = Math.max(filters.from ?? 0, wf.createdAt - wf.firstRunDays * 86_400_000);
  const items: NewRunItem[] = [];
  const seenKeys = new Set<string>();
  let matched = 0;
  let repeats = 0;
  if (run.toDoc > run.fromDoc) {
    // Repeats do not count against max_items, so look a little further than the cap.
    const raw = await ctx.store.search({
      query,
      filters,
      sort: 'newest',
      collapse: true,
      limit: Math.min(wf.maxItems * 2 + 50, 20_000),
      offset: 0,
      facets: false,
    });
    matched = raw.total;
    const docs = await repo.docKeys(raw.hits.map((h) => h.seq));
    for (const h of raw.hits) {
      const d = docs.get(h.seq);
      if (!d) continue;
      const keys = h.clusterId !== null ? await repo.clusterKeys(h.clusterId) : [d.key];
      if (!keys.includes(d.key)) keys.push(d.key);
      const before = await repo.seen(wf.id, keys);
      if (before.size > 0) {
        repeats++;
        items.push({ kind: 'repeat', docId: h.seq, docKey: d.key, clusterId: h.clusterId, repeatOfRun: null });
        for (const k of keys) seenKeys.add(k);
        continue;
      }
      if (items.length - repeats >= wf.maxItems) continue;
      items.push({ kind: 'item', docId: h.seq, docKey: d.key, clusterId: h.clusterId, repeatOfRun: null });
      for (const k of keys) seenKeys.add(k);
    }
  }
  const delivered = items.length - repeats;
  const capped = Math.max(0, matched - delivered - repeats);
  await repo.recordSelection(run, items, [...seenKeys], matched, capped);
}
