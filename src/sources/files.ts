/**
 * Files and folders: NDJSON / JSON-lines bulk files (plain or .gz, streamed), JSON arrays,
 * .txt, .md, .html, .pdf, .docx, and feed files (.xml/.rss/.atom). Folders are walked
 * recursively in name order (hidden entries skipped) so re-runs see the same order.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { describeError, LodestoneError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import type { DocType, DocumentInput } from '../core/types.js';
import { jsonArrayItems, openBulk } from './bulk.js';
import type { Connector, ConnectorContext, SourceEvent } from './connector.js';
import { parseDate } from './dates.js';
import { feedEntriesToEvents } from './feeds.js';
import { readLines } from './lines.js';
import { recordToDocument } from './record.js';

const MAX_LINE_BYTES = 16 * 1024 * 1024;

type Format = 'ndjson' | 'json' | 'text' | 'markdown' | 'html' | 'pdf' | 'docx' | 'feed';

export function formatOf(path: string): { format: Format; gzip: boolean } | null {
  const lower = path.toLowerCase();
  const gzip = lower.endsWith('.gz');
  const ext = extname(gzip ? lower.slice(0, -3) : lower);
  const byExt: Record<string, Format> = {
    '.ndjson': 'ndjson',
    '.jsonl': 'ndjson',
    '.json': 'json',
    '.txt': 'text',
    '.text': 'text',
    '.md': 'markdown',
    '.markdown': 'markdown',
    '.html': 'html',
    '.htm': 'html',
    '.xhtml': 'html',
    '.pdf': 'pdf',
    '.docx': 'docx',
    '.xml': 'feed',
    '.rss': 'feed',
    '.atom': 'feed',
  };
  const format = byExt[ext];
  if (!format) return null;
  if (gzip && format !== 'ndjson' && format !== 'json') return null;
  return { format, gzip };
}

const DEFAULT_TYPE: Record<Format, DocType> = {
  ndjson: 'news',
  json: 'news',
  text: 'note',
  markdown: 'note',
  html: 'news',
  pdf: 'report',
  docx: 'report',
  feed: 'news',
};

function stem(path: string): string {
  let b = basename(path);
  if (b.toLowerCase().endsWith('.gz')) b = b.slice(0, -3);
  const e = extname(b);
  return e ? b.slice(0, -e.length) : b;
}

/** A record (NDJSON line or array element) -> events. */
function* recordEvents(rec: unknown, location: string, fallbackKey: string, path: string, ctx: ConnectorContext, fetchedAt: number): Generator<SourceEvent> {
  const r = recordToDocument(rec, {
    ...(ctx.source ? { source: ctx.source } : {}),
    ...(ctx.type ? { type: ctx.type } : {}),
    fallbackSource: stem(path),
    fallbackKey,
    fetchedAt,
  });
  for (const w of r.warnings) yield { kind: 'warning', location, reason: w };
  if (r.doc) yield { kind: 'doc', doc: r.doc, location };
  else yield { kind: 'error', location, reason: r.error ?? 'unreadable record' };
}

/** The first bytes of the content that are not whitespace decide: '[' is an array, anything else lines. */
async function peekFirst(chunks: AsyncIterable<Buffer>): Promise<{ first: number; chunks: AsyncIterable<Buffer> }> {
  const it = chunks[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let first = -1;
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    seen.push(r.value);
    const i = r.value.findIndex((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
    if (i >= 0) {
      first = r.value[i]!;
      break;
    }
  }
  async function* replay(): AsyncGenerator<Buffer> {
    yield* seen;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  return { first, chunks: replay() };
}

/**
 * NDJSON, JSON lines, and `.json` files (an array, or NDJSON under a .json name): streamed,
 * plain or gzip, so a file of any size is read one record at a time.
 */
async function* readBulk(path: string, gzip: boolean, ctx: ConnectorContext): AsyncGenerator<SourceEvent> {
  const size = (await stat(path)).size;
  const bulk = openBulk(path, gzip, ctx.signal);
  const fetchedAt = ctx.now();
  let n = 0;
  try {
    const { first, chunks } = await peekFirst(bulk.chunks);
    if (first === 0x5b) {
      for await (const ev of jsonArrayItems(chunks, MAX_LINE_BYTES)) {
        const location = `${path}[${ev.index}]`;
        if (++n % 2000 === 0) yield { kind: 'progress', done: bulk.bytesRead(), total: size };
        if (ev.kind === 'bad') {
          yield { kind: 'error', location, reason: ev.reason };
          continue;
        }
        let rec: unknown;
        try {
          rec = JSON.parse(ev.text);
        } catch (err) {
          yield { kind: 'error', location, reason: `malformed JSON: ${describeError(err)}` };
          continue;
        }
        yield* recordEvents(rec, location, `file:${path}#${ev.index}`, path, ctx, fetchedAt);
      }
    } else {
      for await (const ev of readLines(chunks, MAX_LINE_BYTES)) {
        const location = `${path}:${ev.lineNo}`;
        if (++n % 2000 === 0) yield { kind: 'progress', done: bulk.bytesRead(), total: size };
        if (ev.kind === 'bad') {
          yield { kind: 'error', location, reason: ev.reason };
          continue;
        }
        const line = ev.text.trim();
        if (line === '') continue;
        let rec: unknown;
        try {
          rec = JSON.parse(line);
        } catch (err) {
          yield { kind: 'error', location, reason: `malformed JSON: ${describeError(err)}` };
          continue;
        }
        yield* recordEvents(rec, location, `file:${path}#L${ev.lineNo}`, path, ctx, fetchedAt);
      }
    }
  } catch (err) {
    yield { kind: 'error', location: path, reason: `read failed: ${describeError(err)}` };
  }
  yield { kind: 'progress', done: size, total: size };
}

/** One document file (txt, md, html, pdf, docx) -> one document, read in the extraction sandbox. */
async function readDocumentFile(path: string, format: Exclude<Format, 'ndjson' | 'json' | 'feed'>, ctx: ConnectorContext): Promise<DocumentInput> {
  const info = await stat(path);
  if (info.size > ctx.maxFileBytes) {
    throw new LodestoneError('too_large', `file is ${info.size} bytes, over the ${ctx.maxFileBytes}-byte cap`);
  }
  const bytes = await readFile(path);
  const originalHash = sha256Hex(bytes);
  const x = await ctx.extract({ format, bytes });
  if (x.kind !== 'document') throw new LodestoneError('unsupported_format', 'expected a document, found a feed');
  const { title, paragraphs, lang } = x;
  let published: number | null = null;
  const d = parseDate(x.publishedAt);
  if (typeof d === 'number') published = d;
  if (paragraphs.length === 0 && title === '') throw new LodestoneError('invalid_input', 'no text found');
  const abs = resolve(path);
  return {
    key: `file:${abs}`,
    externalId: null,
    title: title || stem(path),
    source: ctx.source ?? 'files',
    url: null,
    // Files carry no publication date; the modification time is the best available one.
    publishedAt: published ?? Math.round(info.mtimeMs),
    fetchedAt: ctx.now(),
    type: ctx.type ?? DEFAULT_TYPE[format],
    lang,
    paragraphs,
    metadata: published === null ? { file: abs, bytes: info.size, date_from: 'mtime' } : { file: abs, bytes: info.size },
    originalHash,
  };
}

async function* readFileTarget(path: string, ctx: ConnectorContext): AsyncGenerator<SourceEvent> {
  const f = formatOf(path);
  if (!f) {
    yield { kind: 'error', location: path, reason: `unsupported file type ${JSON.stringify(extname(path) || basename(path))}` };
    return;
  }
  if (f.format === 'ndjson' || f.format === 'json') return yield* readBulk(path, f.gzip, ctx);
  if (f.format === 'feed') {
    try {
      const info = await stat(path);
      if (info.size > ctx.maxFileBytes) throw new LodestoneError('too_large', `file is ${info.size} bytes, over the cap`);
      const x = await ctx.extract({ format: 'feed', bytes: await readFile(path) });
      if (x.kind !== 'feed') throw new LodestoneError('unsupported_format', 'not a feed');
      yield* feedEntriesToEvents(x.feed, path, ctx);
    } catch (err) {
      yield { kind: 'error', location: path, reason: describeError(err) };
    }
    return;
  }
  try {
    yield { kind: 'doc', doc: await readDocumentFile(path, f.format, ctx), location: path };
  } catch (err) {
    yield { kind: 'error', location: path, reason: describeError(err) };
  }
}

async function* walk(dir: string): AsyncGenerator<string> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile()) yield p;
  }
}

export const fileConnector: Connector = {
  name: 'file',
  async accepts(target) {
    try {
      return (await stat(target)).isFile();
    } catch {
      return false;
    }
  },
  read: (target, ctx) => readFileTarget(resolve(target), ctx),
};

export const folderConnector: Connector = {
  name: 'folder',
  async accepts(target) {
    try {
      return (await stat(target)).isDirectory();
    } catch {
      return false;
    }
  },
  async *read(target, ctx) {
    // Listed first, so progress runs once over the whole folder (files done, plus the
    // current bulk file's share) instead of starting again with every file.
    const paths: string[] = [];
    for await (const path of walk(resolve(target))) paths.push(path);
    const SCALE = 1000;
    const total = paths.length * SCALE;
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i]!;
      yield { kind: 'progress', done: i * SCALE, total };
      if (!formatOf(path)) {
        yield { kind: 'warning', location: path, reason: 'skipped: not a supported file type' };
        continue;
      }
      for await (const ev of readFileTarget(path, ctx)) {
        if (ev.kind === 'progress') {
          const share = ev.total > 0 ? Math.min(1, ev.done / ev.total) : 0;
          yield { kind: 'progress', done: Math.round((i + share) * SCALE), total };
        } else yield ev;
      }
    }
    yield { kind: 'progress', done: total, total };
  },
};
