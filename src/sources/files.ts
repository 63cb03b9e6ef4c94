/**
 * Files and folders: NDJSON / JSON-lines bulk files (plain or .gz, streamed), JSON arrays,
 * .txt, .md, .html, .pdf, .docx, and feed files (.xml/.rss/.atom). Folders are walked
 * recursively in name order (hidden entries skipped) so re-runs see the same order.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { describeError, LodestoneError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import type { DocType, DocumentInput, Paragraph } from '../core/types.js';
import { decodeBytes, looksBinary } from '../extract/charset.js';
import { extractDocx } from '../extract/docx.js';
import { parseFeed } from '../extract/feed.js';
import { extractHtmlPage } from '../extract/html.js';
import { extractPdf } from '../extract/pdf.js';
import { extractMarkdown, extractText } from '../extract/text.js';
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

async function* readBulk(path: string, gzip: boolean, ctx: ConnectorContext): AsyncGenerator<SourceEvent> {
  const size = (await stat(path)).size;
  const file = createReadStream(path);
  let stream: Readable = file;
  if (gzip) {
    stream = file.pipe(createGunzip());
    file.on('error', (e) => stream.destroy(e));
  }
  const fetchedAt = ctx.now();
  let n = 0;
  try {
    for await (const ev of readLines(stream, MAX_LINE_BYTES)) {
      const location = `${path}:${ev.lineNo}`;
      if (++n % 2000 === 0) yield { kind: 'progress', done: gzip ? file.bytesRead : ev.bytes, total: size };
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
      const r = recordToDocument(rec, {
        ...(ctx.source ? { source: ctx.source } : {}),
        ...(ctx.type ? { type: ctx.type } : {}),
        fallbackSource: stem(path),
        fallbackKey: `file:${path}#L${ev.lineNo}`,
        fetchedAt,
      });
      for (const w of r.warnings) yield { kind: 'warning', location, reason: w };
      if (r.doc) yield { kind: 'doc', doc: r.doc, location };
      else yield { kind: 'error', location, reason: r.error ?? 'unreadable record' };
    }
  } catch (err) {
    yield { kind: 'error', location: path, reason: `read failed: ${describeError(err)}` };
  }
  yield { kind: 'progress', done: size, total: size };
}

async function* readJsonArray(path: string, gzip: boolean, ctx: ConnectorContext): AsyncGenerator<SourceEvent> {
  // A .json file holding NDJSON is common; only a leading '[' makes it an array.
  const head = await readFile(path).then((b) => b.subarray(0, 64));
  if (gzip || head.toString('utf8').trimStart()[0] !== '[') {
    yield* readBulk(path, gzip, ctx);
    return;
  }
  const bytes = await readFile(path);
  let arr: unknown;
  try {
    arr = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    yield { kind: 'error', location: path, reason: `malformed JSON: ${describeError(err)}` };
    return;
  }
  const list = Array.isArray(arr) ? arr : [];
  const fetchedAt = ctx.now();
  for (let i = 0; i < list.length; i++) {
    const location = `${path}[${i}]`;
    const r = recordToDocument(list[i], {
      ...(ctx.source ? { source: ctx.source } : {}),
      ...(ctx.type ? { type: ctx.type } : {}),
      fallbackSource: stem(path),
      fallbackKey: `file:${path}#${i}`,
      fetchedAt,
    });
    for (const w of r.warnings) yield { kind: 'warning', location, reason: w };
    if (r.doc) yield { kind: 'doc', doc: r.doc, location };
    else yield { kind: 'error', location, reason: r.error ?? 'unreadable record' };
  }
}

/** One document file (txt, md, html, pdf, docx) -> one document. */
async function readDocumentFile(path: string, format: Format, ctx: ConnectorContext): Promise<DocumentInput> {
  const info = await stat(path);
  if (info.size > ctx.maxFileBytes) {
    throw new LodestoneError('too_large', `file is ${info.size} bytes, over the ${ctx.maxFileBytes}-byte cap`);
  }
  const bytes = await readFile(path);
  let title = '';
  let paragraphs: Paragraph[] = [];
  let lang: string | null = null;
  let published: number | null = null;
  if (format === 'pdf') ({ title, paragraphs } = await extractPdf(bytes));
  else if (format === 'docx') ({ title, paragraphs } = await extractDocx(bytes));
  else {
    if (looksBinary(bytes)) throw new LodestoneError('unsupported_format', 'binary content, not text');
    const { text } = decodeBytes(bytes);
    if (format === 'html') {
      const page = extractHtmlPage(text);
      ({ title, paragraphs } = page);
      lang = page.lang;
      const d = parseDate(page.publishedAt);
      if (typeof d === 'number') published = d;
    } else if (format === 'markdown') ({ title, paragraphs } = extractMarkdown(text));
    else ({ title, paragraphs } = extractText(text));
  }
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
    originalHash: sha256Hex(bytes),
  };
}

async function* readFileTarget(path: string, ctx: ConnectorContext): AsyncGenerator<SourceEvent> {
  const f = formatOf(path);
  if (!f) {
    yield { kind: 'error', location: path, reason: `unsupported file type ${JSON.stringify(extname(path) || basename(path))}` };
    return;
  }
  if (f.format === 'ndjson') return yield* readBulk(path, f.gzip, ctx);
  if (f.format === 'json') return yield* readJsonArray(path, f.gzip, ctx);
  if (f.format === 'feed') {
    try {
      const info = await stat(path);
      if (info.size > ctx.maxFileBytes) throw new LodestoneError('too_large', `file is ${info.size} bytes, over the cap`);
      const { text } = decodeBytes(await readFile(path));
      yield* feedEntriesToEvents(parseFeed(text), path, ctx);
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
    for await (const path of walk(resolve(target))) {
      if (!formatOf(path)) {
        yield { kind: 'warning', location: path, reason: 'skipped: not a supported file type' };
        continue;
      }
      yield* readFileTarget(path, ctx);
    }
  },
};
