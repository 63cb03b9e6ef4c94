/**
 * A run's result as a digest: the JSON view (CLI, API, web page, webhook body) and its
 * renderings: Markdown, self-contained HTML (inline CSS, no scripts, every document string
 * escaped) and an Atom 1.0 feed whose entry ids are stable across runs (one entry per
 * delivered document, so feed readers never show a story twice).
 */
import { createHash } from 'node:crypto';
import { localDateTime, toIso } from '../core/time.js';
import type { StoredDocument } from '../core/types.js';
import { type ClusterOther, displayTitle, type SearchHit } from '../services/search.js';
import type { Summary } from '../services/summaries.js';
import { needsSummary } from '../summaries/short.js';
import { type Brief, citationMark } from './brief.js';
import { type RunContext, summaryFor } from './run.js';
import type { RunItemRow, Workflow, WorkflowRun } from '../store/records.js';

/** Another outlet's copy of the story (the search hit's cluster member shape). */
export type DigestAlso = ClusterOther;

/** A digest entry: the search hit's document fields, plus its place, ingest time, summary and excerpt. */
export interface DigestItem
  extends Pick<SearchHit, 'id' | 'title' | 'display_title' | 'source' | 'url' | 'published_at' | 'type' | 'lang'> {
  /** 1-based position in the digest (the brief cites [doc N ¶M] by it). */
  n: number;
  ingested_at: string | null;
  cluster: { id: number; size: number; also_in: DigestAlso[] } | null;
  summary: Summary | null;
  summary_error: string | null;
  /** The opening of the document, shown when there is no summary. */
  excerpt: string;
}

export interface DigestRepeat {
  id: string;
  title: string;
  source: string;
  published_at: string | null;
  cluster_id: number | null;
}

export interface Digest {
  workflow: string;
  query: string;
  run_id: number;
  /** The run's number within its workflow ("Run 3"). */
  run_number: number;
  status: WorkflowRun['status'];
  outcome: WorkflowRun['status'];
  reason: string | null;
  trigger: WorkflowRun['trigger'];
  started_at: string;
  finished_at: string | null;
  matched: number;
  capped: number;
  items: DigestItem[];
  repeats: DigestRepeat[];
  brief: Brief | null;
}

const EXCERPT_CHARS = 220;

/**
 * The opening of the document; all of it when it is short enough to need no summary. A first
 * paragraph that only repeats the title (a Markdown note's `# heading`) is left out: the
 * title is shown right above.
 */
function excerpt(d: StoredDocument): string {
  const paras = d.paragraphs.map((p) => p.text);
  if (paras.length > 1 && paras[0]!.trim() === d.title.trim()) paras.shift();
  const text = paras
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!needsSummary(d.paragraphs)) return text;
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
}

/** The digest view of one document: cluster "also in", cached summary, excerpt. */
async function digestItem(ctx: RunContext, wf: Workflow, d: StoredDocument, n: number, summaryError: string | null): Promise<DigestItem> {
  let cluster: DigestItem['cluster'] = null;
  if (d.clusterId !== null) {
    const info = await ctx.store.cluster(d.clusterId);
    if (info) {
      cluster = {
        id: info.id,
        size: info.size,
        also_in: info.members
          .filter((m) => m.id !== d.id || m.source !== d.source)
          .map((m) => ({ id: m.id, source: m.source, title: m.title, url: m.url, published_at: toIso(m.publishedAt) })),
      };
    }
  }
  return {
    n,
    id: d.id,
    title: d.title,
    display_title: displayTitle(d, cluster?.also_in ?? []),
    source: d.source,
    url: d.url,
    published_at: toIso(d.publishedAt),
    ingested_at: toIso(d.ingestedAt),
    type: d.type,
    lang: d.lang,
    cluster,
    summary: await summaryFor(ctx, wf, d),
    summary_error: summaryError,
    excerpt: excerpt(d),
  };
}

export async function loadDigest(ctx: RunContext, wf: Workflow, run: WorkflowRun): Promise<Digest> {
  const rows: RunItemRow[] = await ctx.store.workflows.items(run.id);
  const docs = await ctx.store.getManyBySeq(rows.map((r) => r.docId));
  const items: DigestItem[] = [];
  const repeats: DigestRepeat[] = [];
  for (const r of rows) {
    const d = docs.get(r.docId);
    if (!d) continue;
    if (r.kind === 'repeat') {
      repeats.push({ id: d.id, title: d.title, source: d.source, published_at: toIso(d.publishedAt), cluster_id: r.clusterId });
      continue;
    }
    items.push(await digestItem(ctx, wf, d, items.length + 1, r.summaryState === 'failed' ? r.summaryError : null));
  }
  return {
    workflow: wf.name,
    query: wf.query,
    run_id: run.id,
    run_number: run.number,
    status: run.status,
    outcome: run.status,
    reason: run.reason,
    trigger: run.trigger,
    started_at: toIso(run.startedAt)!,
    finished_at: toIso(run.finishedAt),
    matched: run.matched,
    capped: run.capped,
    items,
    repeats,
    brief: run.brief ? (JSON.parse(run.brief) as Brief) : null,
  };
}

/**
 * Document text as Markdown text: on one line (a line break in a payload would start a
 * heading, a list or a block of HTML), every character Markdown gives a meaning to
 * backslash-escaped (CommonMark lets any ASCII punctuation be escaped), so no payload can
 * make a link, an image, raw HTML or an entity.
 */
export function mdEscape(s: string): string {
  return s
    .replace(/\s+/g, ' ')
    .replace(/[\\`*_{}[\]<>()#+\-!|~&=:"']/g, '\\$&')
    .replace(/^(\s*\d+)([.)])/, '$1\\$2'); // "1." at a line's start would open a list
}

export function documentPath(id: string): string {
  return `/documents/${encodeURIComponent(id)}`;
}

/** Markdown for email or chat. `base` makes links absolute (http://host:port). */
export function digestMarkdown(dg: Digest, tz: string, base = ''): string {
  const out: string[] = [];
  out.push(`# ${mdEscape(dg.workflow)}`);
  out.push('');
  out.push(`Query: ${mdEscape(dg.query)} · run ${dg.run_number} · ${localDateTime(dg.finished_at ?? dg.started_at, tz)} · ${dg.items.length} new`);
  if (dg.capped > 0) out.push(`\n> ${dg.capped} more matching stories were left out (max items).`);
  if (dg.brief) {
    out.push('', '## Brief', '');
    for (const t of dg.brief.themes) {
      out.push(`**${mdEscape(t.heading)}**`, '');
      for (const p of t.points) {
        const cites = p.citations.map((c) => `[${citationMark(c).slice(1, -1)}](${base}${documentPath(c.id)}#p${c.paragraph})`).join(' ');
        out.push(`- ${mdEscape(p.text)} ${cites}`);
      }
      out.push('');
    }
  }
  for (const it of dg.items) {
    out.push('', `## ${it.n}. [${mdEscape(it.display_title)}](${base}${documentPath(it.id)})`, '');
    out.push(`${mdEscape(it.source)} · ${localDateTime(it.published_at, tz)}`, '');
    if (it.summary && it.summary.sections.length > 0) {
      for (const s of it.summary.sections) {
        out.push(`**${mdEscape(s.heading)}**`, '');
        for (const p of s.points) {
          const cites = p.citations.map((c) => `[[${c}]](${base}${documentPath(it.id)}#p${c})`).join('');
          out.push(`- ${mdEscape(p.text)} ${cites}`);
        }
        out.push('');
      }
    } else {
      out.push(mdEscape(it.excerpt), '');
    }
    if (it.cluster && it.cluster.also_in.length > 0) {
      out.push(`Also in: ${it.cluster.also_in.map((a) => mdEscape(a.source)).join(', ')}`, '');
    }
  }
  if (dg.items.length === 0) out.push('', 'No new documents in this run.');
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Headed lists of points, each followed by its citation links. */
function pointsHtml<P extends { text: string }>(sections: { heading: string; points: P[] }[], cites: (p: P) => { href: string; label: string }[]): string {
  return sections
    .map(
      (s) =>
        `<h4>${escapeHtml(s.heading)}</h4><ul>${s.points
          .map((p) => `<li>${escapeHtml(p.text)} ${cites(p).map((c) => `<a class="cite" href="${escapeHtml(c.href)}">${escapeHtml(c.label)}</a>`).join('')}</li>`)
          .join('')}</ul>`,
    )
    .join('');
}

function summaryHtml(it: DigestItem, base: string): string {
  if (!it.summary || it.summary.sections.length === 0) return `<p class="excerpt">${escapeHtml(it.excerpt)}</p>`;
  return pointsHtml(it.summary.sections, (p) => p.citations.map((c) => ({ href: `${base}${documentPath(it.id)}#p${c}`, label: `[${c}]` })));
}

/** A self-contained HTML page (inline CSS, no scripts, no external resources). */
export function digestHtml(dg: Digest, tz: string, base = ''): string {
  const items = dg.items
    .map((it) => {
      const also =
        it.cluster && it.cluster.also_in.length > 0
          ? `<p class="also">Also in: ${it.cluster.also_in.map((a) => escapeHtml(a.source)).join(', ')}</p>`
          : '';
      return `<article><h2><a href="${escapeHtml(`${base}${documentPath(it.id)}`)}">${escapeHtml(it.display_title)}</a></h2>
<p class="meta">${escapeHtml(it.source)} · ${escapeHtml(localDateTime(it.published_at, tz))}</p>
${summaryHtml(it, base)}${also}</article>`;
    })
    .join('\n');
  const brief = dg.brief
    ? `<section class="brief"><h2>Brief</h2>${pointsHtml(dg.brief.themes, (p) =>
        p.citations.map((c) => ({ href: `${base}${documentPath(c.id)}#p${c.paragraph}`, label: citationMark(c) })),
      )}</section>`
    : '';
  const capped = dg.capped > 0 ? `<p class="note">${dg.capped} more matching stories were left out (max items).</p>` : '';
  const empty = dg.items.length === 0 ? '<p class="note">No new documents in this run.</p>' : '';
  return `<!doctype html>
<html lang="${dg.brief?.lang ?? 'zh'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(dg.workflow)} · run ${dg.run_number}</title>
<style>
body{font:15px/1.6 system-ui,"Noto Sans CJK SC","PingFang SC",sans-serif;max-width:760px;margin:24px auto;padding:0 16px;color:#1f2328}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0 0 2px}h4{font-size:13px;margin:10px 0 2px;color:#57606a}
a{color:#0b57d0;text-decoration:none}.meta,.also,.note,.query{color:#57606a;font-size:13px;margin:2px 0}
article,.brief{border-top:1px solid #d0d7de;padding:14px 0}ul{margin:4px 0;padding-left:20px}.cite{font-size:12px;margin-left:2px}
</style></head><body>
<h1>${escapeHtml(dg.workflow)}</h1>
<p class="query">${escapeHtml(dg.query)} · run ${dg.run_number} · ${escapeHtml(localDateTime(dg.finished_at ?? dg.started_at, tz))} · ${dg.items.length} new</p>
${capped}${brief}${items}${empty}
</body></html>
`;
}

export interface AtomEntry {
  runId: number;
  finishedAt: number;
  item: DigestItem;
}

/** Entry ids depend only on the workflow and the document, never on the run. */
export function atomEntryId(wf: Workflow, docKey: string): string {
  return `urn:lodestone:workflow:${wf.id}:${createHash('sha256').update(docKey).digest('hex').slice(0, 32)}`;
}

function xml(s: string): string {
  // Atom is XML 1.0: characters it forbids are dropped, the rest escaped.
  return escapeHtml(s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, ''));
}

/** Atom 1.0 over the latest delivered items (newest run first). */
export function digestAtom(wf: Workflow, entries: (AtomEntry & { key: string })[], base: string, tz: string): string {
  const updated = new Date(entries[0]?.finishedAt ?? wf.updatedAt).toISOString();
  const self = `${base}/workflows/${encodeURIComponent(wf.name)}/feed.atom`;
  const body = entries
    .map(({ item: it, finishedAt, key }) => {
      const link = `${base}${documentPath(it.id)}`;
      const content = `<p>${escapeHtml(it.source)} · ${escapeHtml(localDateTime(it.published_at, tz))}</p>${summaryHtml(it, base)}${
        it.cluster && it.cluster.also_in.length > 0 ? `<p>Also in: ${it.cluster.also_in.map((a) => escapeHtml(a.source)).join(', ')}</p>` : ''
      }`;
      return `  <entry>
    <id>${atomEntryId(wf, key)}</id>
    <title type="text">${xml(it.display_title)}</title>
    <link rel="alternate" type="text/html" href="${xml(link)}"/>
    <updated>${new Date(finishedAt).toISOString()}</updated>
${it.published_at ? `    <published>${it.published_at}</published>\n` : ''}    <author><name>${xml(it.source)}</name></author>
    <content type="html">${xml(content)}</content>
  </entry>`;
    })
    .join('\n');
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>urn:lodestone:workflow:${wf.id}</id>
  <title type="text">${xml(wf.name)}</title>
  <subtitle type="text">${xml(wf.query)}</subtitle>
  <updated>${updated}</updated>
  <author><name>Lodestone</name></author>
  <generator>Lodestone</generator>
  <link rel="self" type="application/atom+xml" href="${xml(self)}"/>
  <link rel="alternate" type="text/html" href="${xml(`${base}/workflows/${encodeURIComponent(wf.name)}`)}"/>
${body}
</feed>
`;
}

/** The feed's entries: the latest delivered items with their digest view. */
export async function atomEntries(ctx: RunContext, wf: Workflow, limit = 100): Promise<(AtomEntry & { key: string })[]> {
  const rows = await ctx.store.workflows.recentItems(wf.id, limit);
  const docs = await ctx.store.getManyBySeq(rows.map((r) => r.docId));
  const out: (AtomEntry & { key: string })[] = [];
  for (const r of rows) {
    const d = docs.get(r.docId);
    if (!d) continue;
    out.push({ runId: r.runId, finishedAt: r.finishedAt, key: r.docKey, item: await digestItem(ctx, wf, d, out.length + 1, null) });
  }
  return out;
}

