/**
 * Checking a workflow before it is saved: the query must parse, the cron expression and
 * time zone must be valid, the webhook must be an http(s) URL. Every problem is a clear
 * `invalid_input` error at save time, never a failure at 08:30 the next morning.
 */
import { randomBytes } from 'node:crypto';
import { Cron } from 'croner';
import { LodestoneError } from '../core/errors.js';
import { isDocType } from '../core/types.js';
import { parseQuery } from '../search/query/parse.js';
import type { WorkflowSpec } from '../store/records.js';

export const DEFAULT_MAX_ITEMS = 200;
/** A first run covers the last week unless the user picks another window. */
export const DEFAULT_FIRST_RUN_DAYS = 7;
export const MAX_FIRST_RUN_DAYS = 3650;
export const MAX_MAX_ITEMS = 5000;

export interface WorkflowInput {
  name?: unknown;
  query?: unknown;
  filters?: { type?: unknown; source?: unknown; lang?: unknown } | undefined;
  lang?: unknown;
  schedule?: unknown;
  tz?: unknown;
  summarize?: unknown;
  brief?: unknown;
  webhook?: unknown;
  webhook_secret?: unknown;
  max_items?: unknown;
  refresh_feeds?: unknown;
  first_run_days?: unknown;
  translate?: unknown;
}

function bad(message: string, field: string): never {
  throw new LodestoneError('invalid_input', message, { field });
}

function strings(v: unknown, field: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  const list = (Array.isArray(v) ? v : [v]).map((x) => (typeof x === 'string' ? x.trim() : bad(`${field} must be a list of strings`, field)));
  const out = list.filter((x) => x !== '');
  return out.length > 0 ? out : undefined;
}

/** The local time zone, or UTC when the runtime cannot say. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Check a cron expression in a time zone; returns the next fire time. */
export function checkSchedule(schedule: string, tz: string): Date | null {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    bad(`unknown time zone "${tz}" (use an IANA name such as Asia/Shanghai)`, 'tz');
  }
  try {
    const cron = new Cron(schedule, { timezone: tz, paused: true });
    const next = cron.nextRun();
    cron.stop();
    return next;
  } catch (err) {
    bad(`invalid cron expression "${schedule}": ${(err as Error).message}`, 'schedule');
  }
}

/** A random signing secret for a webhook (shown once, when it is made). */
export function newWebhookSecret(): string {
  return randomBytes(24).toString('hex');
}

/**
 * A complete spec from user input; `base` supplies the values an edit leaves out. A webhook
 * without a secret, or whose URL changes, gets a new random one (shown once, needed to check signatures).
 */
export function normalizeSpec(input: WorkflowInput, base?: WorkflowSpec): WorkflowSpec {
  const name = input.name !== undefined ? input.name : base?.name;
  if (typeof name !== 'string' || name.trim() === '') bad('a workflow needs a name', 'name');
  const trimmed = name.trim();
  if (trimmed.length > 80) bad('a workflow name has at most 80 characters', 'name');
  if (/[/\\?#%\p{Cc}]/u.test(trimmed)) bad('a workflow name cannot contain / \\ ? # % or control characters', 'name');

  const query = input.query !== undefined ? input.query : base?.query;
  if (typeof query !== 'string' || query.trim() === '') bad('a workflow needs a query', 'query');
  try {
    if (parseQuery(query) === null) bad('the query has no terms or fields', 'query');
  } catch (err) {
    if (err instanceof LodestoneError && err.code === 'invalid_input') throw err;
    bad(`invalid query: ${(err as Error).message}`, 'query');
  }

  const f = input.filters ?? base?.filters ?? {};
  const filters: WorkflowSpec['filters'] = {};
  const types = strings(f.type, 'filters.type');
  if (types) {
    for (const t of types) if (!isDocType(t)) bad(`unknown document type "${t}"`, 'filters.type');
    filters.type = types;
  }
  const sources = strings(f.source, 'filters.source');
  if (sources) filters.source = sources;
  const langs = strings(f.lang, 'filters.lang');
  if (langs) filters.lang = langs.map((l) => l.toLowerCase());

  const lang = input.lang !== undefined ? input.lang : (base?.lang ?? null);
  if (lang !== null && lang !== '' && lang !== 'en' && lang !== 'zh') bad('lang must be en or zh', 'lang');

  const tz = input.tz !== undefined && input.tz !== null && input.tz !== '' ? input.tz : (base?.tz ?? localTimeZone());
  if (typeof tz !== 'string') bad('tz must be a time zone name', 'tz');
  const schedule = input.schedule !== undefined ? input.schedule : (base?.schedule ?? null);
  if (schedule !== null && typeof schedule !== 'string') bad('schedule must be a cron expression', 'schedule');
  const sched = typeof schedule === 'string' && schedule.trim() !== '' ? schedule.trim() : null;
  if (sched !== null) checkSchedule(sched, tz);
  else checkSchedule('0 0 * * *', tz); // still reject an unknown zone

  const bool = (v: unknown, dflt: boolean, field: string): boolean => {
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') bad(`${field} must be true or false`, field);
    return v;
  };

  let webhook = base?.webhook ?? null;
  if (input.webhook !== undefined) {
    if (input.webhook === null || input.webhook === '') webhook = null;
    else {
      if (typeof input.webhook !== 'string') bad('webhook must be a URL', 'webhook');
      let u: URL;
      try {
        u = new URL(input.webhook);
      } catch {
        bad(`webhook is not a URL: ${input.webhook}`, 'webhook');
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') bad('webhook must be an http(s) URL', 'webhook');
      // A new receiver gets a new secret: signatures made for the old one must not verify there.
      webhook = { url: u.href, secret: webhook && webhook.url === u.href ? webhook.secret : newWebhookSecret() };
    }
  }
  if (input.webhook_secret !== undefined && webhook) {
    if (typeof input.webhook_secret !== 'string' || input.webhook_secret.length < 8) bad('webhook_secret needs at least 8 characters', 'webhook_secret');
    webhook = { ...webhook, secret: input.webhook_secret };
  }

  const maxItems = input.max_items !== undefined && input.max_items !== null ? Number(input.max_items) : (base?.maxItems ?? DEFAULT_MAX_ITEMS);
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > MAX_MAX_ITEMS) bad(`max_items must be an integer from 1 to ${MAX_MAX_ITEMS}`, 'max_items');

  const firstRunDays =
    input.first_run_days !== undefined && input.first_run_days !== null ? Number(input.first_run_days) : (base?.firstRunDays ?? DEFAULT_FIRST_RUN_DAYS);
  if (!Number.isInteger(firstRunDays) || firstRunDays < 0 || firstRunDays > MAX_FIRST_RUN_DAYS) {
    bad(`first_run_days must be an integer from 0 to ${MAX_FIRST_RUN_DAYS}`, 'first_run_days');
  }

  return {
    name: trimmed,
    query: query.trim(),
    filters,
    lang: lang === '' ? null : (lang as WorkflowSpec['lang']),
    schedule: sched,
    tz,
    summarize: bool(input.summarize, base?.summarize ?? true, 'summarize'),
    brief: bool(input.brief, base?.brief ?? false, 'brief'),
    webhook,
    maxItems,
    refreshFeeds: bool(input.refresh_feeds, base?.refreshFeeds ?? false, 'refresh_feeds'),
    firstRunDays,
    translate: bool(input.translate, base?.translate ?? true, 'translate'),
  };
}
