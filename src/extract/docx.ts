/**
 * DOCX -> paragraphs (mammoth converts to semantic HTML; headings become paragraphs).
 *
 * Before mammoth sees the file, its XML parts are inflated under a cap and its paragraphs
 * counted (`checkDocx`): mammoth builds a DOM of the whole document, ~1 KB per paragraph,
 * so a 600 KB archive of six million empty paragraphs once took 5 GB and the process.
 */
import mammoth from 'mammoth';
import { LodestoneError } from '../core/errors.js';
import type { Paragraph } from '../core/types.js';
import { DOCUMENT_LIMITS } from '../sources/clean.js';
import { htmlFragmentToParagraphs } from './html.js';
import { inflateEntry, zipEntries } from './zip.js';

export const DOCX_LIMITS = {
  /** All XML parts together, inflated (a 300-page report's document.xml is ~5 MB). */
  maxXmlBytes: 48 * 1024 * 1024,
  /** `<w:p>` elements in the main document. */
  maxParagraphs: DOCUMENT_LIMITS.maxParagraphs * 2,
} as const;

/** Throws too_large when the archive's XML inflates past the cap or holds too many paragraphs. */
export function checkDocx(bytes: Uint8Array): void {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries = zipEntries(buf);
  if (!entries.some((e) => e.name === 'word/document.xml')) {
    throw new LodestoneError('unsupported_format', 'not a readable DOCX: it has no word/document.xml');
  }
  let budget: number = DOCX_LIMITS.maxXmlBytes;
  for (const e of entries) {
    if (!/\.(xml|rels)$/i.test(e.name)) continue; // images and other media are not read
    const xml = inflateEntry(buf, e, budget);
    budget -= xml.length;
    if (e.name === 'word/document.xml') {
      const n = countParagraphs(xml);
      if (n > DOCX_LIMITS.maxParagraphs) {
        throw new LodestoneError('too_large', `the DOCX holds ${n}+ paragraphs (at most ${DOCX_LIMITS.maxParagraphs} are read); split the document`);
      }
    }
  }
}

/** `<w:p>` and `<w:p ...>` start tags (not `<w:pPr>`), counted up to just past the cap. */
function countParagraphs(xml: Buffer): number {
  const tag = Buffer.from('<w:p');
  let n = 0;
  for (let i = xml.indexOf(tag); i >= 0 && n <= DOCX_LIMITS.maxParagraphs; i = xml.indexOf(tag, i + 4)) {
    const next = xml[i + 4];
    if (next === 0x3e || next === 0x20 || next === 0x2f || next === 0x09 || next === 0x0a || next === 0x0d) n++;
  }
  return n;
}

export async function extractDocx(bytes: Uint8Array): Promise<{ title: string; paragraphs: Paragraph[] }> {
  checkDocx(bytes);
  let html: string;
  try {
    html = (
      await mammoth.convertToHtml(
        { buffer: Buffer.from(bytes) },
        // Images would come back as base64 data URIs only to be dropped: never read them.
        { convertImage: mammoth.images.imgElement(async () => ({ src: '' })) },
      )
    ).value;
  } catch (err) {
    throw new LodestoneError('unsupported_format', `not a readable DOCX: ${(err as Error).message}`);
  }
  const paragraphs = htmlFragmentToParagraphs(html);
  const h = /<h[1-3][^>]*>(.*?)<\/h[1-3]>/s.exec(html);
  const title = h ? (htmlFragmentToParagraphs(h[1]!)[0]?.text ?? '') : '';
  return { title, paragraphs };
}
