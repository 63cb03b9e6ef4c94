/**
 * PDF -> paragraphs with page numbers (unpdf, pdf.js underneath). Hard-wrapped lines are
 * joined into paragraphs: a line ends a paragraph when it ends with sentence punctuation
 * and is noticeably shorter than the page's typical line, or at a blank line.
 */
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

export async function extractPdf(bytes: Uint8Array): Promise<{ title: string; paragraphs: Paragraph[] }> {
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
