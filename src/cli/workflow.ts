/**
 * `lodestone workflow …`: tracked topics from the command line. Same services as the API.
 *
 *   workflow add NAME --query Q [--schedule CRON] [--tz TZ] [--lang en|zh] [--summarize]
 *                [--brief] [--webhook URL] [--max-items N] [--source S] [--type T] [--filter-lang L]
 *                [--first-run-days N]   (the first run reaches back N days by publication date; default 7)
 *   workflow edit NAME [same options; --no-summarize --no-brief --no-webhook]
 *   workflow run NAME [--json]        one run now (exit 1 when it failed)
 *   workflow list | show NAME | rm NAME | pause NAME | resume NAME | runs NAME | digest NAME [RUN] [--format md|html|json]
 */
import { parseArgs } from 'node:util';
import { LodestoneError } from '../core/errors.js';
import { openContext } from '../services/context.js';
import { localDateTime } from '../core/time.js';
import { digestHtml, digestMarkdown } from '../workflows/digest.js';
import { scheduleWords } from '../workflows/cron-words.js';
import { getWorkflow } from '../workflows/run.js';
import {
  changedSecret,
  createWorkflow,
  deleteWorkflow,
  rotateWebhookSecret,
  runDigest,
  runNow,
  runView,
  updateWorkflow,
  workflowView,
} from '../workflows/service.js';
import type { WorkflowInput } from '../workflows/spec.js';
import { config } from '../core/config.js';

type Out = { log: (s: string) => void; err: (s: string) => void };

export const WORKFLOW_USAGE = `lodestone workflow add NAME --query Q [--schedule CRON] [--tz TZ] [--lang en|zh]
                          [--summarize] [--brief] [--webhook URL] [--max-items N]
                          [--source S] [--type T] [--filter-lang L] [--refresh-feeds]
                          [--first-run-days N (default 7)] [--no-translate] [--data DIR]
lodestone workflow edit NAME [the same options] [--no-summarize] [--no-brief] [--no-webhook] [--translate]
lodestone workflow run NAME [--json] [--data DIR]
lodestone workflow list|show NAME|rm NAME|pause NAME|resume NAME|runs NAME [--json]
lodestone workflow rotate-secret NAME       a new webhook signing secret, printed once
lodestone workflow digest NAME [RUN_ID] [--format md|html|json]`;

const OPTIONS = {
  data: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  query: { type: 'string' },
  schedule: { type: 'string' },
  tz: { type: 'string' },
  lang: { type: 'string' },
  summarize: { type: 'boolean' },
  'no-summarize': { type: 'boolean' },
  brief: { type: 'boolean' },
  'no-brief': { type: 'boolean' },
  webhook: { type: 'string' },
  'webhook-secret': { type: 'string' },
  'no-webhook': { type: 'boolean' },
  'max-items': { type: 'string' },
  source: { type: 'string', multiple: true },
  type: { type: 'string', multiple: true },
  'filter-lang': { type: 'string', multiple: true },
  'refresh-feeds': { type: 'boolean' },
  'first-run-days': { type: 'string' },
  translate: { type: 'boolean' },
  'no-translate': { type: 'boolean' },
  'allow-private': { type: 'boolean' },
  format: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTIONS }>>['values'];

function inputFrom(v: Values, forAdd: boolean): WorkflowInput {
  const input: WorkflowInput = {};
  if (v.query !== undefined) input.query = v.query;
  if (v.schedule !== undefined) input.schedule = v.schedule;
  if (v.tz !== undefined) input.tz = v.tz;
  if (v.lang !== undefined) input.lang = v.lang;
  // The contract's `add` flags are opt-in: without --summarize a workflow lists documents only.
  if (v.summarize) input.summarize = true;
  else if (v['no-summarize'] || forAdd) input.summarize = false;
  if (v.brief) input.brief = true;
  else if (v['no-brief']) input.brief = false;
  if (v.webhook !== undefined) input.webhook = v.webhook;
  if (v['no-webhook']) input.webhook = null;
  if (v['webhook-secret'] !== undefined) input.webhook_secret = v['webhook-secret'];
  if (v['max-items'] !== undefined) input.max_items = Number(v['max-items']);
  if (v['refresh-feeds'] !== undefined) input.refresh_feeds = v['refresh-feeds'];
  if (v['first-run-days'] !== undefined) input.first_run_days = Number(v['first-run-days']);
  // Both languages unless told otherwise, as a search.
  if (v['no-translate']) input.translate = false;
  else if (v.translate) input.translate = true;
  if (v.source || v.type || v['filter-lang']) {
    input.filters = { ...(v.source ? { source: v.source } : {}), ...(v.type ? { type: v.type } : {}), ...(v['filter-lang'] ? { lang: v['filter-lang'] } : {}) };
  }
  return input;
}

export async function cmdWorkflow(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: OPTIONS });
  const [sub, name, runArg] = positionals;
  if (values.help || sub === undefined) {
    out.log(WORKFLOW_USAGE);
    return sub === undefined && !values.help ? 2 : 0;
  }
  const needName = (): string => {
    if (!name) throw new LodestoneError('bad_request', `usage: lodestone workflow ${sub} NAME`);
    return name;
  };
  const ctx = openContext({ ...(values.data ? { dataDir: values.data } : {}), ...(values['allow-private'] ? { allowPrivate: true } : {}) });
  await ctx.ready;
  const json = (x: unknown) => out.log(JSON.stringify(x));
  try {
    switch (sub) {
      case 'add': {
        const wf = await createWorkflow(ctx, { ...inputFrom(values, true), name: needName() });
        const view = await workflowView(ctx, wf, wf.webhook?.secret ?? null);
        if (values.json) json(view);
        else {
          out.log(`added workflow "${wf.name}": ${wf.query}`);
          out.log(view.next_run_at ? `next run ${view.next_run_at} (${scheduleWords(wf.schedule!, wf.tz)}; cron ${wf.schedule})` : 'no schedule: run it with `lodestone workflow run`');
          if (wf.webhook) out.log(`webhook ${wf.webhook.url}, signing secret ${wf.webhook.secret} (shown once: keep it)`);
        }
        return 0;
      }
      case 'edit': {
        const before = await getWorkflow(ctx.store, needName());
        const wf = await updateWorkflow(ctx, before.name, inputFrom(values, false));
        const secret = changedSecret(before, wf);
        if (values.json) json(await workflowView(ctx, wf, secret));
        else {
          out.log(`updated workflow "${wf.name}"`);
          if (secret) out.log(`webhook ${wf.webhook?.url}: new signing secret ${secret} (shown once: keep it)`);
        }
        return 0;
      }
      case 'rotate-secret': {
        const { workflow, secret } = await rotateWebhookSecret(ctx, needName());
        if (values.json) json(await workflowView(ctx, workflow, secret));
        else out.log(`webhook ${workflow.webhook?.url}: new signing secret ${secret} (shown once: keep it)`);
        return 0;
      }
      case 'pause':
      case 'resume': {
        const wf = await updateWorkflow(ctx, needName(), { paused: sub === 'pause' });
        out.log(`${wf.name}: ${wf.paused ? 'paused' : 'active'}`);
        return 0;
      }
      case 'rm': {
        await deleteWorkflow(ctx, needName());
        out.log(`deleted workflow "${name}"`);
        return 0;
      }
      case 'list': {
        const views = await Promise.all((await ctx.store.workflows.list()).map((w) => workflowView(ctx, w)));
        if (values.json) {
          for (const v of views) json(v);
          return 0;
        }
        if (views.length === 0) out.log('no workflows yet: lodestone workflow add NAME --query Q');
        for (const v of views) {
          const last = v.last_run ? `last run #${v.last_run.number} ${v.last_run.status} ${v.last_run.items} items` : 'never run';
          out.log(`${v.name}${v.paused ? ' (paused)' : ''}  ${v.query}  ${v.schedule ?? 'manual'}  ${last}${v.next_run_at ? `  next ${v.next_run_at}` : ''}`);
        }
        return 0;
      }
      case 'show': {
        const wf = await getWorkflow(ctx.store, needName());
        const view = await workflowView(ctx, wf);
        if (values.json) json(view);
        else {
          out.log(`${view.name}${view.paused ? ' (paused)' : ''}`);
          out.log(`query: ${view.query}${Object.keys(view.filters).length ? `  filters: ${JSON.stringify(view.filters)}` : ''}${view.translate ? '  (both languages)' : '  (literal query only)'}`);
          out.log(`schedule: ${view.schedule ? `${scheduleWords(view.schedule, view.tz)} (cron ${view.schedule})` : 'manual'}${view.next_run_at ? `, next ${view.next_run_at}` : ''}`);
          out.log(`summaries: ${view.summarize ? `yes (${view.lang ?? "each document's language"})` : 'no'}; brief: ${view.brief ? 'yes' : 'no'}; max items ${view.max_items}`);
          if (view.webhook) out.log(`webhook: ${view.webhook.url} (signing secret shown only when made; \`lodestone workflow rotate-secret ${view.name}\` makes a new one)`);
          if (view.last_run) out.log(`last run: #${view.last_run.number} (id ${view.last_run.run_id}) ${view.last_run.status} at ${view.last_run.started_at}, ${view.last_run.items} items`);
        }
        return 0;
      }
      case 'runs': {
        const wf = await getWorkflow(ctx.store, needName());
        const runs = await Promise.all((await ctx.store.workflows.runs(wf.id, 50)).map((r) => runView(ctx, r)));
        if (values.json) for (const r of runs) json(r);
        else for (const r of runs) out.log(`#${r.number} (id ${r.run_id})  ${r.status}  ${r.trigger}  ${r.started_at}  ${r.items} items${r.reason ? `  (${r.reason})` : ''}`);
        return 0;
      }
      case 'run': {
        const result = await runNow(ctx, needName(), { trigger: 'manual', deliver: 'wait' });
        if (values.json) json(result);
        else {
          out.log(`run ${result.run_id ?? '-'}: ${result.outcome}${result.reason ? ` (${result.reason})` : ''}, ${result.items.length} new items`);
          const wf = await getWorkflow(ctx.store, needName());
          for (const it of result.items) out.log(`  ${it.n}. ${it.display_title}\n     ${it.source} · ${localDateTime(it.published_at, wf.tz)}${it.cluster && it.cluster.also_in.length > 0 ? ` · also in ${[...new Set(it.cluster.also_in.map((a) => a.source))].join(', ')}` : ''}`);
          for (const d of result.deliveries ?? []) out.log(`  webhook ${d.target}: ${d.status}${d.last_error ? ` (${d.last_error})` : ''}`);
        }
        return result.outcome === 'failed' ? 1 : 0;
      }
      case 'digest': {
        const wf = await getWorkflow(ctx.store, needName());
        const runId = runArg !== undefined ? Number(runArg) : ((await ctx.store.workflows.lastDone(wf.id))?.id ?? Number.NaN);
        if (!Number.isInteger(runId)) throw new LodestoneError('not_found', `workflow "${wf.name}" has no done run yet`);
        const { digest } = await runDigest(ctx, wf.name, runId);
        const fmt = values.format ?? (values.json ? 'json' : 'md');
        if (fmt === 'json') json(digest);
        // Links are absolute when LODESTONE_PUBLIC_URL says where the server is, else relative.
        const base = config().publicUrl ?? '';
        if (fmt === 'html') out.log(digestHtml(digest, wf.tz, base));
        else if (fmt === 'md') out.log(digestMarkdown(digest, wf.tz, base));
        else throw new LodestoneError('bad_request', '--format is md, html or json');
        return 0;
      }
      default:
        out.err(`unknown workflow command "${sub}"\n\n${WORKFLOW_USAGE}`);
        return 2;
    }
  } finally {
    await ctx.store.close();
  }
}
