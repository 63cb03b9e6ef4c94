/**
 * The `lodestone` command. Thin: parses arguments, calls the same services as the HTTP API,
 * prints text or JSON. Exit codes: 0 success, 1 some items failed (ingest) or nothing
 * found where something was required, 2 usage or runtime error.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { parseArgs } from 'node:util';
import { forEachBounded } from '../core/concurrency.js';
import { autogroupsOn, lowerPriority, ownSession } from '../core/threads.js';
import { defaultTimeZone, localDateTime } from '../core/time.js';
import { describeError, LodestoneError } from '../core/errors.js';
import { isDocType } from '../core/types.js';
import { clusterView, deleteDocument, documentView, resolveDocument } from '../services/documents.js';
import { verifyText } from '../summaries/verify.js';
import { type Summary, summarize } from '../services/summaries.js';
import { openContext, resolveDataDir, userDictPath } from '../services/context.js';
import { addPairs, glossaryPath, importPairs, listPairs, removePairs } from '../services/glossary.js';
import { harvestAliases } from '../services/aliases.js';
import { ingestTargets } from '../services/ingest.js';
import { EXPORT_DEFAULT, EXPORT_MAX, exportSearch } from '../services/export.js';
import { searchDocuments } from '../services/search.js';
import { migrateStore } from '../services/migrate.js';
import { pullSharedFiles, pushSharedFiles } from '../services/shared-files.js';
import { openStore } from '../store/open.js';
import { ProgressBar } from './progress.js';
import { cmdWorkflow, WORKFLOW_USAGE } from './workflow.js';
import { renderLocalized } from '../summaries/labels.js';
import { parseQuery } from '../search/query/parse.js';
import { terminalSafe } from '../sources/clean.js';
import { config, describeConfig, type LogLevel } from '../core/config.js';

const USAGE = `lodestone — self-hosted research desk

Usage:
  lodestone ingest PATH|URL... [--data DIR] [--source NAME] [--type TYPE] [--allow-private] [--json]
  lodestone search QUERY [--data DIR] [--limit N] [--offset N] [--sort relevance|newest]
                         [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--type T] [--source S] [--lang L]
                         [--no-collapse] [--no-translate] [--explain] [--json | --format csv|ndjson]
                         (searches both languages: English concepts also in Chinese and the reverse;
                          --no-translate searches the literal query only)
                         (--format csv|ndjson exports up to --limit hits: default 1000, at most 10000)
  lodestone show ID [--data DIR] [--json]
  lodestone rm ID [--data DIR] [--json]            delete one document (feeds will not bring it back)
  lodestone summarize ID|--query Q|--all [--lang en|zh] [--data DIR] [--force] [--json]
                                              summaries with verified citations (extractive without a model)
  lodestone verify ID --text TEXT [--data DIR] [--json]   check a text's [n] citations against document ID
  lodestone clusters [--data DIR] [--min-size N] [--limit N] [--json]
  lodestone serve [--data DIR] [--port N] [--host H] [--allow-private]
  lodestone dict add WORD... [--data DIR]     add words to the user dictionary (no reindex needed)
  lodestone glossary add ENGLISH 中文... | list | rm ENGLISH [中文...] | import FILE.tsv [--data DIR] [--json]
                                              teach search an English-Chinese pair (no reindex needed)
  lodestone glossary harvest [--data DIR]     collect name pairs (泰京银行（Krung Thai Bank）) from the documents
  lodestone stats [--data DIR] [--json]      counts, the backend (SQLite file or PostgreSQL), its version and sizes
  lodestone migrate --from DIR|URL --to DIR|URL [--json]
                                              copy a store (SQLite directory or postgres:// URL) into another;
                                              run it again after an interruption and it goes on where it stopped
  lodestone config [--json]                 the effective configuration (LODESTONE_* variables), secrets masked
${WORKFLOW_USAGE.replace(/^/gm, '  ')}

--data defaults to ./data (or LODESTONE_DATA); with LODESTONE_DATABASE_URL=postgres://… every command
uses that PostgreSQL database instead (user dictionary and glossary files stay in --data).
Query language: terms (AND), "phrases", OR, NOT / -term, ( ), title: source: type: lang: ticker: tag: level:`;

const COMMON = {
  data: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Out = { log: (s: string) => void; err: (s: string) => void };
// A reader that stopped reading (`lodestone show ID | head`) is not an error: stop quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

// Everything printed passes terminalSafe: document text never reaches the terminal as commands.
const stdio: Out = {
  log: (s) => process.stdout.write(`${terminalSafe(s)}\n`),
  err: (s) => process.stderr.write(`${terminalSafe(s)}\n`),
};

export async function main(argv: string[], out: Out = stdio): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    // The configuration is read and checked before anything else: a bad value stops here.
    config();
    switch (cmd) {
      case 'config':
        return cmdConfig(rest, out);
      case 'ingest':
        return await cmdIngest(rest, out);
      case 'search':
        return await cmdSearch(rest, out);
      case 'summarize':
        return await cmdSummarize(rest, out);
      case 'verify':
        return await cmdVerify(rest, out);
      case 'show':
        return await cmdShow(rest, out);
      case 'clusters':
        return await cmdClusters(rest, out);
      case 'rm':
        return await cmdRm(rest, out);
      case 'serve':
        return await cmdServe(rest, out);
      case 'dict':
        return await cmdDict(rest, out);
      case 'glossary':
        return await cmdGlossary(rest, out);
      case 'workflow':
        return await cmdWorkflow(rest, out);
      case 'stats':
        return await cmdStats(rest, out);
      case 'migrate':
        return await cmdMigrate(rest, out);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out.log(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        out.err(`Unknown command ${JSON.stringify(cmd)}.\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof LodestoneError) {
      out.err(`error: ${err.message}`);
      return 2;
    }
    if (err instanceof TypeError && /option|argument/i.test(err.message)) {
      out.err(`error: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    out.err(`error: ${describeError(err)}`);
    return 2;
  }
}

async function cmdIngest(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...COMMON, source: { type: 'string' }, type: { type: 'string' }, 'allow-private': { type: 'boolean' } },
  });
  if (values.help || positionals.length === 0) {
    out.log('lodestone ingest PATH|URL... [--data DIR] [--source NAME] [--type TYPE] [--allow-private] [--json]');
    return positionals.length === 0 ? 2 : 0;
  }
  if (values.type !== undefined && !isDocType(values.type)) {
    throw new LodestoneError('bad_request', `--type must be one of news, report, transcript, interview, announcement, note`);
  }
  // A bulk job: it yields the CPU to a server answering searches on the same machine
  // (its worker threads, started below, inherit the priority). With autogroups the work runs
  // in a session of its own, whose group can be lowered too (core/threads.ts).
  if (out === stdio && config().bulkNice > 0 && autogroupsOn() && !ownSession() && process.env.LODESTONE_OWN_SESSION !== '1') {
    return runInOwnSession();
  }
  lowerPriority();
  const ctx = openContext({ ...(values.data ? { dataDir: values.data } : {}), ...(values['allow-private'] ? { allowPrivate: true } : {}) });
  await ctx.ready;
  const bar = new ProgressBar();
  const shown = new Map<string, number>();
  try {
    const report = await ingestTargets(ctx.store, positionals, {
      ...(values.source ? { source: values.source } : {}),
      ...(values.type && isDocType(values.type) ? { type: values.type } : {}),
      allowPrivate: ctx.allowPrivate,
      onProgress: (p) => {
        // Over all targets: those done, plus the current one's share.
        const frac = p.total > 0 ? (p.targetIndex + Math.min(1, p.done / p.total)) / p.targets : null;
        bar.update(frac, `${p.targetIndex + 1}/${p.targets} ${p.stored.toLocaleString('en')} docs, ${p.failed} failed  ${p.target}`);
      },
      onProblem: (kind, p) => {
        if (values.json) return;
        // The first few of each kind of problem are printed; the rest are counted and
        // summarized at the end (a bulk file with thousands of bad dates says so in a line).
        const key = `${kind}:${problemKind(p.reason)}`;
        const seen = (shown.get(key) ?? 0) + 1;
        shown.set(key, seen);
        if (seen > SHOWN_PER_KIND) return;
        bar.done();
        out.err(`${kind === 'error' ? 'failed' : 'warning'}: ${p.location}: ${p.reason}`);
        if (seen === SHOWN_PER_KIND) out.err(`  (further ${kind === 'error' ? 'failures' : 'warnings'} like this one are counted, not printed)`);
      },
    });
    bar.done();
    if (values.json) out.log(JSON.stringify(report));
    else {
      for (const [key, n] of shown) {
        if (n <= SHOWN_PER_KIND) continue;
        const [kind, reason] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
        out.err(`${n.toLocaleString('en')} ${kind === 'error' ? 'failures' : 'warnings'}: ${reason}`);
      }
      out.log(
        `${report.inserted} new, ${report.updated} updated, ${report.unchanged} unchanged, ${report.failed} failed, ${report.warnings} warnings in ${(report.took_ms / 1000).toFixed(1)} s (${report.docs_per_s} docs/s)`,
      );
    }
    return report.failed > 0 ? 1 : 0;
  } finally {
    await ctx.store.close();
  }
}

/** Problems of one kind printed before the rest are only counted. */
const SHOWN_PER_KIND = 5;

/** A problem's kind: its reason without the specifics (quoted values, numbers). */
function problemKind(reason: string): string {
  return reason
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\d[\d,.]*/g, 'N')
    .slice(0, 120);
}

/** A stored time as the CLI prints it: local to LODESTONE_TZ, with the zone named. */
function when(iso: string | null): string {
  return iso ? `${localDateTime(iso, defaultTimeZone())} (${defaultTimeZone()})` : 'undated';
}

function list(v: string | string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const arr = (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
  return arr.length > 0 ? arr : undefined;
}

function intArg(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new LodestoneError('bad_request', `--${name} must be a non-negative integer`);
  return n;
}

async function cmdSearch(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...COMMON,
      limit: { type: 'string' },
      offset: { type: 'string' },
      sort: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      type: { type: 'string', multiple: true },
      source: { type: 'string', multiple: true },
      lang: { type: 'string', multiple: true },
      'no-collapse': { type: 'boolean', default: false },
      'no-translate': { type: 'boolean', default: false },
      explain: { type: 'boolean', default: false },
      format: { type: 'string' },
    },
  });
  if (values.help) {
    out.log(USAGE);
    return 0;
  }
  const sort = values.sort ?? 'relevance';
  if (sort !== 'relevance' && sort !== 'newest') throw new LodestoneError('bad_request', '--sort must be relevance or newest');
  const format = values.format ?? (values.json ? 'json' : 'text');
  if (!['text', 'json', 'csv', 'ndjson'].includes(format)) throw new LodestoneError('bad_request', '--format must be text, json, csv or ndjson');
  const ctx = openContext(values.data ? { dataDir: values.data } : {});
  await ctx.ready;
  try {
    // The query and filters, the same for a page of results and an export.
    const params = {
      q: positionals.join(' '),
      offset: intArg(values.offset, 'offset', 0),
      sort: sort as 'relevance' | 'newest',
      ...(values.from ? { from: values.from } : {}),
      ...(values.to ? { to: values.to } : {}),
      ...optional('type', list(values.type)),
      ...optional('source', list(values.source)),
      ...optional('lang', list(values.lang)),
      collapse: !values['no-collapse'],
      translate: !values['no-translate'],
    };
    if (format === 'csv' || format === 'ndjson') {
      // An export: every hit up to --limit (default 1,000, at most 10,000), as a file to stdout.
      const max = intArg(values.limit, 'limit', EXPORT_DEFAULT);
      if (max > EXPORT_MAX) throw new LodestoneError('bad_request', `--limit of an export is at most ${EXPORT_MAX}`);
      for await (const chunk of exportSearch(ctx.store, params, format, max)) process.stdout.write(chunk);
      return 0;
    }
    const res = await searchDocuments(ctx.store, { ...params, limit: intArg(values.limit, 'limit', 10), explain: values.explain ?? false });
    if (format === 'json') {
      out.log(JSON.stringify(res));
      return 0;
    }
    const bold = process.stdout.isTTY ? (s: string) => `\x1b[1;33m${s}\x1b[0m` : (s: string) => `[${s}]`;
    const tz = defaultTimeZone();
    // Times are local to LODESTONE_TZ, and the line says which zone that is.
    out.log(`${res.total.toLocaleString('en')} results (${res.took_ms} ms) for ${res.query} · times in ${tz}`);
    // What the query was also searched as (and, with --explain, why).
    for (const t of res.translations) {
      const targets = t.targets.map((x) => x.text).join(' · ');
      out.log(`   ${t.source} → ${targets || '(not translated)'}${values.explain && 'note' in t ? `   [${t.note}]` : ''}`);
      if (values.explain && 'dropped' in t) for (const d of t.dropped ?? []) out.log(`      left out ${d.text}${d.df !== undefined ? ` (${d.df} documents)` : ''}: ${d.reason}`);
    }
    res.hits.forEach((h, i) => {
      out.log('');
      out.log(`${res.offset + i + 1}. ${mark(h.display_title || '(untitled)', h.title_highlights, bold)}`);
      const when = h.published_at ? localDateTime(h.published_at, tz) : 'undated';
      // "also in" counts outlets, not copies (one outlet may carry a story twice).
      const outlets = h.cluster ? [...new Set(h.cluster.others.map((o) => o.source))] : [];
      const also = outlets.length > 0 ? `  · also in ${outlets.length} ${outlets.length === 1 ? 'source' : 'sources'}: ${outlets.join(', ')}` : '';
      out.log(`   ${h.source} · ${when} · ${h.type} · id ${h.id}${also}`);
      if (h.snippet) out.log(`   ${mark(h.snippet, h.highlights, bold)}`);
      if (h.explain) out.log(`   explain: ${JSON.stringify(h.explain)}`);
    });
    return 0;
  } finally {
    await ctx.store.close();
  }
}

function optional<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}

function mark(text: string, ranges: [number, number][], style: (s: string) => string): string {
  let outStr = '';
  let pos = 0;
  for (const [a, b] of ranges) {
    outStr += text.slice(pos, a) + style(text.slice(a, b));
    pos = b;
  }
  return outStr + text.slice(pos);
}

async function cmdSummarize(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...COMMON,
      query: { type: 'string' },
      all: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      lang: { type: 'string' },
    },
  });
  const modes = (positionals.length === 1 ? 1 : 0) + (values.query !== undefined ? 1 : 0) + (values.all ? 1 : 0);
  if (modes !== 1 || positionals.length > 1) {
    out.err('usage: lodestone summarize ID|--query Q|--all [--data DIR] [--force] [--json]');
    return 2;
  }
  if (values.lang !== undefined && values.lang !== 'en' && values.lang !== 'zh') {
    out.err('--lang must be en or zh');
    return 2;
  }
  const ctx = openContext(values.data ? { dataDir: values.data } : {});
  await ctx.ready;
  const opts = { force: values.force, llm: ctx.llm, ...(values.lang ? { lang: values.lang as 'en' | 'zh' } : {}) };
  try {
    if (positionals.length === 1) {
      const s = await summarize(ctx.store, await resolveDocument(ctx.store, positionals[0]!), { ...opts });
      // Labels follow --lang, else the summary's own language (JSON keeps the canonical labels).
      const labelLang = (values.lang as 'en' | 'zh' | undefined) ?? (s.lang === 'zh' ? 'zh' : 'en');
      out.log(values.json ? JSON.stringify(s) : s.method === 'none' ? s.text : renderLocalized(s.sections, labelLang));
      return 0;
    }
    // Many documents: every match (duplicates included), newest first, one JSON line each with --json.
    const total = (await ctx.store.stats()).documents;
    const raw = await ctx.store.search({
      query: values.all ? null : parseQuery(values.query!),
      filters: {},
      sort: 'newest',
      collapse: false,
      limit: Math.max(1, total),
      offset: 0,
      facets: false,
    });
    const bar = new ProgressBar();
    const startedAt = Date.now();
    const started = performance.now();
    let done = 0;
    let failed = 0;
    const tokens = { prompt: 0, completion: 0, requests: 0 };
    // Bounded concurrency: as many documents at once as the model allows (one without a model).
    const workers = ctx.llm?.maxConcurrency ?? 1;
    for (let i = 0; i < raw.hits.length; i += 200) {
      const docs = [...(await ctx.store.getManyBySeq(raw.hits.slice(i, i + 200).map((h) => h.seq))).values()];
      await forEachBounded(docs, workers, async (d) => {
        try {
          const s = (await summarize(ctx.store, d, { ...opts })) as Summary & { usage?: { prompt_tokens: number; completion_tokens: number; requests: number } };
          if (s.usage && s.method === 'llm') {
            tokens.prompt += s.usage.prompt_tokens;
            tokens.completion += s.usage.completion_tokens;
            tokens.requests += s.usage.requests;
          }
          if (values.json) out.log(JSON.stringify(s));
          done++;
        } catch (err) {
          failed++;
          bar.done();
          out.err(`${d.id}: ${err instanceof Error ? err.message : String(err)}`);
        }
        bar.update((done + failed) / raw.hits.length, `summarized ${done}/${raw.hits.length}`);
      });
    }
    bar.done();
    const secs = (performance.now() - started) / 1000;
    // Usage counts what this run asked the model; summaries from the cache cost nothing.
    const prices = [config().llm.priceInput, config().llm.priceOutput].map((v) => v ?? Number.NaN);
    const cost =
      ctx.llm && prices.every((p) => Number.isFinite(p)) ? (tokens.prompt * prices[0]! + tokens.completion * prices[1]!) / 1e6 : null;
    await ctx.store.recordSummaryRun({
      startedAt,
      finishedAt: Date.now(),
      scope: values.all ? 'all' : `query:${values.query}`,
      model: ctx.llm?.model ?? 'extractive',
      documents: done,
      failed,
      requests: tokens.requests,
      promptTokens: tokens.prompt,
      completionTokens: tokens.completion,
      cost,
    });
    const usage = ctx.llm
      ? `; model ${ctx.llm.model}: ${tokens.requests} requests, ${tokens.prompt} prompt + ${tokens.completion} completion tokens${cost !== null ? `, cost ${cost.toFixed(4)}` : ''}`
      : '';
    out.err(`summarized ${done} documents in ${secs.toFixed(1)} s${failed ? `, ${failed} failed` : ''}${usage}`);
    return failed > 0 ? 1 : 0;
  } finally {
    await ctx.store.close();
  }
}

async function cmdVerify(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...COMMON, text: { type: 'string' } },
  });
  if (positionals.length !== 1 || values.text === undefined) {
    out.err('usage: lodestone verify ID --text TEXT [--data DIR] [--json]');
    return 2;
  }
  const ctx = openContext(values.data ? { dataDir: values.data } : {});
  await ctx.ready;
  try {
    const doc = await resolveDocument(ctx.store, positionals[0]!);
    const result = verifyText(values.text, doc.paragraphs.map((p) => p.text));
    if (values.json) out.log(JSON.stringify(result));
    else {
      for (const p of result.points) {
        out.log(`${p.verified ? 'ok  ' : 'FAIL'} ${p.text} ${p.citations.map((c) => `[${c}]`).join('')}`);
        for (const problem of p.problems) out.log(`       ${problem}`);
      }
    }
    // Exit 1 when a point failed, like ingest when an item failed.
    return result.points.every((p) => p.verified) ? 0 : 1;
  } finally {
    await ctx.store.close();
  }
}

function cmdConfig(args: string[], out: Out): number {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } } });
  const rows = describeConfig(config());
  if (values.json) out.log(JSON.stringify(Object.fromEntries(rows)));
  else for (const [k, v] of rows) out.log(`${k.padEnd(30)} ${v}`);
  return 0;
}

async function cmdRm(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: COMMON });
  if (positionals.length !== 1) {
    out.err('usage: lodestone rm ID [--data DIR] [--json]');
    return 2;
  }
  const ctx = openContext(values.data ? { dataDir: values.data } : {});
  await ctx.ready;
  try {
    const r = await deleteDocument(ctx.store, positionals[0]!);
    out.log(values.json ? JSON.stringify(r) : terminalSafe(`deleted ${r.deleted.id} (${r.deleted.internal_id}): ${r.deleted.title || '(untitled)'} · ${r.deleted.source}`));
    return 0;
  } finally {
    await ctx.store.close();
  }
}

async function cmdShow(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: COMMON });
  if (positionals.length !== 1) {
    out.err('usage: lodestone show ID [--data DIR] [--json]');
    return 2;
  }
  const ctx = openContext(values.data ? { dataDir: values.data } : {});
  await ctx.ready;
  try {
    const view = await documentView(ctx.store, await resolveDocument(ctx.store, positionals[0]!));
    if (values.json) {
      out.log(JSON.stringify(view));
      return 0;
    }
    out.log(view.title || '(untitled)');
    out.log(`${view.source} · ${when(view.published_at)} · ${view.type} · ${view.lang} · id ${view.id} (${view.internal_id})`);
    if (view.url) out.log(view.url);
    if (view.tickers.length) out.log(`tickers: ${view.tickers.join(' ')}`);
    out.log('');
    for (const p of view.paragraphs) out.log(`[${p.n}]${p.page !== undefined ? ` (p. ${p.page})` : ''} ${p.text}`);
    if (view.cluster) {
      out.log('');
      out.log(`Also published by (cluster ${view.cluster.id}, ${view.cluster.size} documents, canonical ${view.cluster.canonical}):`);
      for (const m of view.cluster.members) if (m.id !== view.id) out.log(`  - ${m.source} · ${when(m.published_at)} · ${m.id} · ${m.title}`);
    }
    return 0;
  } finally {
    await ctx.store.close();
  }
}

async function cmdClusters(args: string[], out: Out): Promise<number> {
  const { values } = parseArgs({
    args,
    allowPositionals: false,
    options: { ...COMMON, 'min-size': { type: 'string' }, limit: { type: 'string' } },
  });
  const ctx = openContext(values.data ? { dataDir: values.data } : {});
  await ctx.ready;
  try {
    const all = await ctx.store.clusters(intArg(values['min-size'], 'min-size', 2));
    // Largest first; --limit N shows the first N (default 50; 0: all).
    const limit = intArg(values.limit, 'limit', 50);
    const clusters = limit === 0 ? all : all.slice(0, limit);
    if (!values.json && clusters.length < all.length) out.err(`showing ${clusters.length} of ${all.length} clusters (--limit N, 0 for all)`);
    for (const c of clusters) {
      if (values.json) out.log(JSON.stringify({ cluster: c.id, canonical: c.canonical, members: c.members.map((m) => m.id) }));
      else {
        const v = clusterView(c);
        out.log(`cluster ${v.id} · ${v.size} documents · canonical ${v.canonical}`);
        for (const m of v.members) out.log(`  ${when(m.published_at)}  ${m.source}  ${m.id}  ${m.title}`);
      }
    }
    if (!values.json) out.log(`${clusters.length} clusters`);
    return 0;
  } finally {
    await ctx.store.close();
  }
}

async function cmdServe(args: string[], out: Out): Promise<number> {
  const { values } = parseArgs({
    args,
    allowPositionals: false,
    options: { ...COMMON, port: { type: 'string' }, host: { type: 'string' }, 'allow-private': { type: 'boolean' } },
  });
  const { startServer } = await import('../http/server.js');
  const ctx = openContext({
    ...(values.data ? { dataDir: values.data } : {}),
    ...(values['allow-private'] ? { allowPrivate: true } : {}),
    longLived: true,
  });
  await ctx.ready;
  const port = values.port !== undefined ? intArg(values.port, 'port', 8787) : config().port;
  const host = values.host ?? config().host;
  const server = await startServer(ctx, { port, host, scheduler: true, log: serverLog(config().logLevel) });
  out.log(`Lodestone is serving ${ctx.dataDir} at ${server.url}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  await ctx.store.close();
  return 0;
}

async function cmdDict(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: COMMON });
  const [sub, ...words] = positionals;
  if (sub !== 'add' || words.length === 0) {
    out.err('usage: lodestone dict add WORD... [--data DIR]');
    return 2;
  }
  const ctx = openContext(values.data ? { dataDir: values.data } : {});
  await ctx.ready;
  try {
    mkdirSync(ctx.dataDir, { recursive: true });
    // A high frequency makes jieba keep the word whole; the index needs no change (terms.ts).
    appendFileSync(userDictPath(ctx.dataDir), words.map((w) => `${w.trim()} 100000 n\n`).join(''));
    await pushSharedFiles(ctx.store, ctx.dataDir, ['userdict.txt']);
    out.log(`added ${words.length} word(s) to ${userDictPath(ctx.dataDir)}; queries use them at once, no reindex needed`);
    return 0;
  } finally {
    await ctx.store.close();
  }
}

/**
 * Change a file shared through the database (services/shared-files.ts): on PostgreSQL the
 * data directory's copy is brought up to date first, changed, then stored for every other
 * process; on SQLite the file is simply changed.
 */
async function changeShared<T>(dataDir: string, name: string, change: () => T | Promise<T>): Promise<T> {
  const url = config().databaseUrl;
  if (!url) return change();
  const store = openStore({ dataDir, databaseUrl: url });
  try {
    await pullSharedFiles(store, dataDir);
    const r = await change();
    await pushSharedFiles(store, dataDir, [name]);
    return r;
  } finally {
    await store.close();
  }
}

async function cmdGlossary(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: COMMON });
  const [sub, ...rest] = positionals;
  const usage = 'usage: lodestone glossary add ENGLISH 中文... | list | rm ENGLISH [中文...] | import FILE.tsv | harvest [--data DIR] [--json]';
  const dataDir = resolveDataDir(values.data);
  const file = glossaryPath(dataDir);
  switch (sub) {
    case 'add': {
      const [en, ...zh] = rest;
      if (!en || zh.length === 0) break;
      const n = await changeShared(dataDir, 'glossary.tsv', () => addPairs(dataDir, en, zh));
      out.log(values.json ? JSON.stringify({ added: n, file }) : `added ${n} pair(s) to ${file}; searches use them at once, no reindex needed`);
      return 0;
    }
    case 'list': {
      const pairs = await changeShared(dataDir, 'glossary.tsv', () => listPairs(dataDir));
      if (values.json) out.log(JSON.stringify({ file, pairs }));
      else if (pairs.length === 0) out.log(`no pairs of your own yet (${file}); the built-in glossary is in dict/glossary/`);
      else for (const p of pairs) out.log(`${p.blocked ? 'blocked ' : ''}${p.en}\t${p.zh}`);
      return 0;
    }
    case 'rm': {
      const [en, ...zh] = rest;
      if (!en) break;
      const r = await changeShared(dataDir, 'glossary.tsv', () => removePairs(dataDir, en, zh));
      out.log(values.json ? JSON.stringify(r) : `removed ${r.removed} pair(s)${r.blocked ? `, blocked ${r.blocked} built-in pair(s)` : ''} in ${file}`);
      return 0;
    }
    case 'harvest': {
      if (rest.length > 0) break;
      const ctx = openContext(values.data ? { dataDir: values.data } : {});
      await ctx.ready;
      try {
        const r = await harvestAliases(ctx.store, ctx.dataDir);
        await pushSharedFiles(ctx.store, ctx.dataDir, ['aliases.harvested.tsv']);
        out.log(values.json ? JSON.stringify(r) : `${r.pairs} name pair(s) from ${r.documents.toLocaleString('en')} documents in ${(r.took_ms / 1000).toFixed(1)} s → ${r.file}`);
        return 0;
      } finally {
        await ctx.store.close();
      }
    }
    case 'import': {
      const [path] = rest;
      if (!path || rest.length !== 1) break;
      const r = await changeShared(dataDir, 'glossary.tsv', () => importPairs(dataDir, path));
      if (values.json) out.log(JSON.stringify(r));
      else {
        for (const e of r.errors) out.err(`${path}:${e.line}: ${e.reason}`);
        out.log(`added ${r.added} pair(s) to ${file}${r.errors.length ? `; ${r.errors.length} line(s) skipped` : ''}`);
      }
      return r.errors.length > 0 && r.added === 0 ? 1 : 0;
    }
  }
  out.err(usage);
  return 2;
}

/** A store named on the command line: a postgres:// URL, or a data directory. */
function storeAt(where: string) {
  return /^postgres(ql)?:\/\//.test(where) ? openStore({ dataDir: '', databaseUrl: where }) : openStore({ dataDir: resolveDataDir(where), databaseUrl: null });
}

async function cmdMigrate(args: string[], out: Out): Promise<number> {
  const { values } = parseArgs({ args, allowPositionals: false, options: { ...COMMON, from: { type: 'string' }, to: { type: 'string' } } });
  if (!values.from || !values.to) {
    out.err('usage: lodestone migrate --from DIR|URL --to DIR|URL [--json]');
    return 2;
  }
  if (values.from === values.to) throw new LodestoneError('bad_request', '--from and --to name the same store');
  const from = storeAt(values.from);
  const to = storeAt(values.to);
  const bar = new ProgressBar();
  try {
    const r = await migrateStore(from, to, { onProgress: (done, total) => bar.update(total > 0 ? done / total : null, `${done.toLocaleString('en')} of ${total.toLocaleString('en')} documents`) });
    bar.done();
    if (values.json) out.log(JSON.stringify(r));
    else {
      const d = r.documents;
      out.log(
        `${d.copied} documents copied, ${d.skipped} already there${d.resumedAfter > 0 ? ` (resumed after source document #${d.resumedAfter})` : ''}, of ${d.source}; in ${(r.took_ms / 1000).toFixed(1)} s`,
      );
      for (const [name, t] of Object.entries(r.tables)) if (t.source > 0) out.log(`  ${name}: ${t.copied} of ${t.source} rows copied`);
    }
    return 0;
  } finally {
    await from.close();
    await to.close();
  }
}

async function cmdStats(args: string[], out: Out): Promise<number> {
  const { values } = parseArgs({ args, allowPositionals: false, options: COMMON });
  const ctx = openContext(values.data ? { dataDir: values.data } : {});
  await ctx.ready;
  try {
    const s = await ctx.store.stats();
    if (values.json) out.log(JSON.stringify(s));
    else {
      out.log(`${s.documents} documents, ${s.clusters} duplicate clusters (${s.clusteredDocuments} documents in clusters)`);
      out.log(`analyzer ${s.analyzer}, schema v${s.schemaVersion}`);
      const b = s.backend;
      out.log(`${b.name} ${b.version} at ${b.location}: ${formatBytes(b.sizeBytes)} (${b.parts.map((p) => `${p.name} ${formatBytes(p.bytes)}`).join(', ')})`);
      for (const src of s.sources.slice(0, 20)) out.log(`  ${src.count}\t${src.value}`);
    }
    return 0;
  } finally {
    await ctx.store.close();
  }
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

const LEVELS: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

/**
 * The server's log: one JSON object a line on stderr ({"time", "level", "msg"}), requests at
 * info, failures at warn, 500s at error with their stack, filtered by LODESTONE_LOG_LEVEL.
 */
export function serverLog(threshold: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): (m: string) => void {
  return (m) => {
    const level: LogLevel = /^error\b/i.test(m) ? 'error' : /\b(failed|refused|warn)/i.test(m) ? 'warn' : 'info';
    if (LEVELS[level] > LEVELS[threshold]) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level, msg: terminalSafe(m) })}\n`);
  };
}

/**
 * Run this same command again in a new session (setsid), sharing the terminal, and wait for
 * it: the child is then alone in its autogroup and lowers it (lowerPriority). Signals are
 * passed on; if this process dies (killed), the child notices the closed IPC channel and
 * dies too, so a killed ingest stops as it would have without the detour.
 */
function runInOwnSession(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    detached: true,
    env: { ...process.env, LODESTONE_OWN_SESSION: '1' },
  });
  const pass = (sig: NodeJS.Signals) => () => child.kill(sig);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, pass(sig));
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 2)));
    child.on('error', () => resolve(2));
  });
}

// The child of runInOwnSession: the parent holding the terminal is gone, so is this ingest.
if (process.env.LODESTONE_OWN_SESSION === '1' && process.send) {
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
  process.channel?.unref(); // the channel alone must not keep the ingest running
}
