/**
 * PDF -> paragraphs with page numbers (unpdf, pdf.js underneath). Hard-wrapped lines are
 * joined into paragraphs: a line ends a paragraph when it ends with sentence punctuation
 * and is noticeably shorter than the page's typical line, or at a blank line.
 */
import { constants, inflateSync } from 'node:zlib';
import { extractText, getDocumentProxy } from 'unpdf';
import { LodestoneError } from '../core/errors.js';
import type { Paragraph } from '../core/types.js';
import { joinLines, renumber } from './paragraphs.js';

const SENTENCE_END = /[。！？；!?.;:：”"）)]$/;

export function pageParagraphs(text: string, page: number): Paragraph[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const lengths = lines.map((l) => l.trim().length).filter((n) => n > 0).sort((a, b) => a - b);
  const typical = lengths[Math.floor(lengths.length * 0.8)] ?? 0;
  const out: Paragraph[] = [];
  let cur: string[] = [];
  const flush = () => {
    const t = joinLines(cur);
    if (t !== '') out.push({ n: out.length + 1, text: t, page });
    cur = [];
  };
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') {
      flush();
      continue;
    }
    cur.push(line);
    if (SENTENCE_END.test(line) && line.length < typical * 0.85) flush();
  }
  flush();
  return out;
}

/** Bytes the file's Flate streams (other than images) may inflate to, all together. */
export const PDF_MAX_INFLATED_BYTES = 128 * 1024 * 1024;

/**
 * Inflates every FlateDecode stream that is not an image under one shared cap, so a PDF
 * whose 1 MB stream inflates to 1 GB is refused before pdf.js reads it (pdf.js inflates a
 * content stream whole, outside any heap limit). Images are skipped: text extraction never
 * decodes them. A filter chain of several Flate stages is inflated stage by stage. A stream
 * that does not inflate is left for pdf.js to judge.
 */
export function checkPdfStreams(bytes: Uint8Array, budget = PDF_MAX_INFLATED_BYTES): void {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buf.toString('latin1');
  let left = budget;
  let from = 0;
  for (;;) {
    const kw = text.indexOf('stream', from);
    if (kw < 0) return;
    from = kw + 6;
    if (text.startsWith('end', kw - 3)) continue; // "endstream"
    let start = kw + 6;
    if (text[start] === '\r') start++;
    if (text[start] !== '\n') continue;
    start++;
    // The stream's dictionary: back to the object's start.
    const objAt = text.lastIndexOf(' obj', kw);
    const dict = text.slice(objAt < 0 ? Math.max(0, kw - 4096) : objAt, kw);
    const end = text.indexOf('endstream', start);
    if (end < 0) return;
    from = end + 9;
    const stages = dict.match(/\/FlateDecode\b|\/Fl\b/g)?.length ?? 0;
    if (stages === 0 || /\/Subtype\s*\/Image\b/.test(dict)) continue;
    const tooLarge = () =>
      new LodestoneError('too_large', `the PDF's streams inflate past ${Math.round(budget / 1024 / 1024)} MB (a compression bomb, or a PDF too large to read)`);
    let data: Buffer = buf.subarray(start, end);
    for (let s = 0; s < stages && data.length > 0; s++) {
      try {
        data = inflateSync(data, { maxOutputLength: Math.max(1, left), finishFlush: constants.Z_SYNC_FLUSH });
      } catch (err) {
        if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
        break; // not Flate data after all: pdf.js decides
      }
    }
    left -= data.length;
    if (left <= 0) throw tooLarge();
  }
}

export async function extractPdf(bytes: Uint8Array): Promise<{ title: string; paragraphs: Paragraph[] }> {
  checkPdfStreams(bytes);
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    pdf = await getDocumentProxy(new Uint8Array(bytes));
  } catch (err) {
    throw new LodestoneError('unsupported_format', `not a readable PDF: ${(err as Error).message}`);
  }
  const { text } = await extractText(pdf, { mergePages: false });
  let title = '';
  try {
    const meta = await pdf.getMetadata();
    const info = meta.info as { Title?: unknown } | undefined;
    if (typeof info?.Title === 'string') title = info.Title.trim();
  } catch {
    // metadata is optional
  }
  const paragraphs: Paragraph[] = [];
  text.forEach((pageText, i) => {
    paragraphs.push(...pageParagraphs(pageText, i + 1));
  });
  if (paragraphs.length === 0) {
    throw new LodestoneError('unsupported_format', 'PDF has no extractable text (scanned images need OCR first)');
  }
  return { title, paragraphs: renumber(paragraphs) };
}
