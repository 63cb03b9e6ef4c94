/**
 * The edge every document passes before analysis and storage (files, URLs, feeds, API
 * records): text is made well-formed, control characters go, dates outside the sane range
 * are dropped with a warning, and a document too large or with metadata too deep to handle
 * is refused with a reason, so that one record never takes down a batch, a request or a
 * reader later on.
 */
import { saneTime } from '../core/time.js';
import { unifyRadicals } from '../extract/radicals.js';
import type { DocumentInput, Paragraph } from '../core/types.js';

/** Limits on one document (a 500-page broker report is ~1,000,000 characters; analysing and indexing 2,000,000 takes ~1 s). */
export const DOCUMENT_LIMITS = {
  /** Characters of title and paragraphs together. */
  maxChars: 2_000_000,
  maxParagraphs: 20_000,
  /** A longer title is cut (with a warning): a title that long is body text. */
  maxTitleChars: 1_000,
  /** Nesting of objects and arrays in metadata. */
  maxMetadataDepth: 16,
  /** Metadata as JSON, in UTF-16 code units. */
  maxMetadataChars: 256 * 1024,
} as const;

export type CleanResult = { ok: true; doc: DocumentInput; warnings: string[] } | { ok: false; error: string };

// A lone surrogate (half of a pair) cannot be stored as UTF-8: it becomes U+FFFD.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// C0 controls other than tab, line feed and carriage return, DEL and the C1 controls: no
// meaning in a document, and on a terminal some of them are commands (ESC starts escape
// sequences; OSC 52 writes the clipboard).
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;

// Anything either replacement would change: one test, so clean text (nearly all of it)
// costs one scan and no copy.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const SUSPECT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uD800-\uDFFF\u2E80-\u2EF3\u2F00-\u2FD5\uF900-\uFAFF]/;

/**
 * Well-formed text without control characters (tab and line breaks kept), with CJK radical
 * look-alikes (a PDF's 同⽐增⻓) replaced by the ideographs they stand for (同比增长).
 */
export function cleanText(s: string): string {
  if (!SUSPECT.test(s)) return s;
  return unifyRadicals(s.replace(LONE_SURROGATE, '\uFFFD').replace(CONTROL, ''));
}

// In JSON text: an escaped control character or surrogate, or a raw C1 control or radical.
const SUSPECT_JSON = /\\u00[01][0-9a-f]|\\u007f|\\ud[89a-f][0-9a-f]{2}|[\u007F-\u009F\u2E80-\u2EF3\u2F00-\u2FD5\uF900-\uFAFF]/i;

// Our own colour codes (SGR: ESC [ digits m) survive; every other control character and
// escape sequence introducer goes. Line feed and tab stay.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
const TERMINAL_UNSAFE = /\u001b\[[0-9;]*m|[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/**
 * Text fit for a terminal: what the CLI prints passes through here, so a document stored
 * before ingest cleaned it (or metadata printed as is) cannot move the cursor, retitle the
 * window or write the clipboard.
 */
export function terminalSafe(s: string): string {
  return s.replace(TERMINAL_UNSAFE, (m) => (m.length > 1 ? m : ''));
}

/**
 * Depth of a JSON-like value, counted without recursion, stopping once past `limit` (so a
 * record nested 100,000 deep costs as much as one nested `limit + 1` deep).
 */
export function jsonDepth(value: unknown, limit: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const depth = d + 1;
    if (depth > max) max = depth;
    if (max > limit) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth]);
  }
  return max;
}

/** Strings in metadata (keys and values) made well-formed; depth already checked. */
function cleanJson(value: unknown): unknown {
  if (typeof value === 'string') return cleanText(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(cleanJson);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[cleanText(k)] = cleanJson(v);
  return out;
}

export function cleanDocument(doc: DocumentInput): CleanResult {
  const warnings: string[] = [];
  const L = DOCUMENT_LIMITS;
  if (doc.paragraphs.length > L.maxParagraphs) {
    return { ok: false, error: `too many paragraphs: ${doc.paragraphs.length} (at most ${L.maxParagraphs}); split the document` };
  }
  let chars = doc.title.length;
  for (const p of doc.paragraphs) chars += p.text.length;
  if (chars > L.maxChars) {
    return { ok: false, error: `document too large: ${chars} characters (at most ${L.maxChars}); split the document` };
  }
  const depth = jsonDepth(doc.metadata, L.maxMetadataDepth);
  if (depth > L.maxMetadataDepth) {
    return { ok: false, error: `metadata nested more than ${L.maxMetadataDepth} levels deep` };
  }
  // One serialization tells both the size and whether any string needs cleaning.
  const json = JSON.stringify(doc.metadata);
  const metadata = SUSPECT_JSON.test(json) ? (cleanJson(doc.metadata) as Record<string, unknown>) : doc.metadata;
  const metaChars = json.length;
  if (metaChars > L.maxMetadataChars) {
    return { ok: false, error: `metadata too large: ${metaChars} characters as JSON (at most ${L.maxMetadataChars})` };
  }
  let title = cleanText(doc.title).trim();
  if (title.length > L.maxTitleChars) {
    warnings.push(`title of ${title.length} characters cut to ${L.maxTitleChars}`);
    title = `${title.slice(0, L.maxTitleChars - 1).replace(/[\uD800-\uDBFF]$/, '')}…`;
  }
  // The paragraphs as they are when none changes (the common case: no copy).
  let paragraphs: Paragraph[] = doc.paragraphs;
  for (let i = 0; i < doc.paragraphs.length; i++) {
    const p = doc.paragraphs[i]!;
    const text = cleanText(p.text).trim();
    if (text === p.text && p.n === i + 1) continue;
    paragraphs = [];
    for (const q of doc.paragraphs) {
      const t = cleanText(q.text).trim();
      if (t === '') continue;
      paragraphs.push(q.page === undefined ? { n: paragraphs.length + 1, text: t } : { n: paragraphs.length + 1, text: t, page: q.page });
    }
    break;
  }
  if (title === '' && paragraphs.length === 0) return { ok: false, error: 'empty document: no title and no text' };
  let publishedAt = doc.publishedAt;
  if (publishedAt !== null && saneTime(publishedAt) === null) {
    warnings.push(`publication date ${String(publishedAt)} is outside 1900-2199; stored without a date`);
    publishedAt = null;
  }
  return {
    ok: true,
    warnings,
    doc: {
      ...doc,
      key: cleanText(doc.key),
      externalId: doc.externalId === null ? null : cleanText(doc.externalId),
      title,
      source: cleanText(doc.source).trim() || 'unknown',
      url: doc.url === null ? null : cleanText(doc.url),
      lang: doc.lang === null ? null : cleanText(doc.lang),
      publishedAt,
      paragraphs,
      metadata,
    },
  };
}
