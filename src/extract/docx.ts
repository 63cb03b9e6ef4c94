/** DOCX -> paragraphs (mammoth converts to semantic HTML; headings become paragraphs). */
import mammoth from 'mammoth';
import { LodestoneError } from '../core/errors.js';
import type { Paragraph } from '../core/types.js';
import { htmlFragmentToParagraphs } from './html.js';

export async function extractDocx(bytes: Uint8Array): Promise<{ title: string; paragraphs: Paragraph[] }> {
  let html: string;
  try {
    html = (await mammoth.convertToHtml({ buffer: Buffer.from(bytes) })).value;
  } catch (err) {
    throw new LodestoneError('unsupported_format', `not a readable DOCX: ${(err as Error).message}`);
  }
  const paragraphs = htmlFragmentToParagraphs(html);
  const h = /<h[1-3][^>]*>(.*?)<\/h[1-3]>/s.exec(html);
  const title = h ? htmlFragmentToParagraphs(h[1]!)[0]?.text ?? '' : '';
  return { title, paragraphs };
}
