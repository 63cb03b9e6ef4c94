/**
 * Bytes -> title and paragraphs (or a feed's entries), by format: the one entry point the
 * sandbox runs (`sandbox.ts`), so every parser of untrusted bytes runs in a worker thread
 * with a memory cap and a deadline. Pure: no I/O, nothing kept between jobs.
 */
import { LodestoneError } from '../core/errors.js';
import type { Paragraph } from '../core/types.js';
import { decodeBytes } from './charset.js';
import { extractDocx } from './docx.js';
import { looksLikeFeed, type ParsedFeed, parseFeed } from './feed.js';
import { extractHtmlPage } from './html.js';
import { extractPdf } from './pdf.js';
import { extractMarkdown, extractText } from './text.js';

/** `web`: an HTTP response, told apart by its content type and first bytes (PDF, feed or page). */
export type ExtractFormat = 'text' | 'markdown' | 'html' | 'pdf' | 'docx' | 'feed' | 'web';

export interface ExtractJob {
  format: ExtractFormat;
  bytes: Uint8Array;
  /** The charset an HTTP header declared. */
  charset?: string | null;
  /** Where the bytes came from (relative links in feeds and pages resolve against it). */
  url?: string;
  /** The HTTP content type, for `web`. */
  contentType?: string;
}

export interface ExtractedDocument {
  kind: 'document';
  format: 'pdf' | 'docx' | 'html' | 'text' | 'markdown';
  title: string;
  paragraphs: Paragraph[];
  lang: string | null;
  /** A date the page states (meta tags), unparsed. */
  publishedAt: string | null;
  siteName: string | null;
  charset: string | null;
}

export interface ExtractedFeed {
  kind: 'feed';
  feed: ParsedFeed;
  charset: string;
}

export type Extracted = ExtractedDocument | ExtractedFeed;

function doc(format: ExtractedDocument['format'], d: { title: string; paragraphs: Paragraph[] }, charset: string | null): ExtractedDocument {
  return { kind: 'document', format, title: d.title, paragraphs: d.paragraphs, lang: null, publishedAt: null, siteName: null, charset };
}

export async function extractBytes(job: ExtractJob): Promise<Extracted> {
  const { bytes } = job;
  switch (job.format) {
    case 'pdf':
      return doc('pdf', await extractPdf(bytes), null);
    case 'docx':
      return doc('docx', await extractDocx(bytes), null);
    case 'feed': {
      const { text, charset } = decodeBytes(bytes, job.charset);
      return { kind: 'feed', feed: parseFeed(text, job.url), charset };
    }
    case 'text':
    case 'markdown': {
      const { text, charset } = decodeBytes(bytes, job.charset);
      return doc(job.format, job.format === 'markdown' ? extractMarkdown(text) : extractText(text), charset);
    }
    case 'html': {
      const { text, charset } = decodeBytes(bytes, job.charset);
      const page = extractHtmlPage(text, job.url);
      return { kind: 'document', format: 'html', ...page, charset };
    }
    case 'web': {
      const type = job.contentType ?? '';
      if (type === 'application/pdf' || Buffer.from(bytes.subarray(0, 5)).toString('latin1') === '%PDF-') {
        return doc('pdf', await extractPdf(bytes), null);
      }
      const { text, charset } = decodeBytes(bytes, job.charset);
      if (looksLikeFeed(text) || /(rss|atom)\+xml/.test(type)) return { kind: 'feed', feed: parseFeed(text, job.url), charset };
      if (!/html|xml|text\/plain/.test(type) && type !== '') {
        throw new LodestoneError('unsupported_format', `unsupported content type ${type}`);
      }
      const page = extractHtmlPage(text, job.url);
      return { kind: 'document', format: 'html', ...page, charset };
    }
  }
}
