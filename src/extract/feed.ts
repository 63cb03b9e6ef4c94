/**
 * RSS 2.0 / Atom / RDF / JSON Feed -> entries (feed-extractor parses; we keep the full
 * content when the feed carries it, not the 250-character description).
 */
import { extractFromJson, extractFromXml, type FeedData } from '@extractus/feed-extractor';
import { LodestoneError } from '../core/errors.js';
import type { Paragraph } from '../core/types.js';
import { htmlFragmentToParagraphs } from './html.js';

export interface FeedEntryOut {
  guid: string | null;
  link: string | null;
  title: string;
  publishedAt: string | null;
  paragraphs: Paragraph[];
  categories: string[];
}

export interface ParsedFeed {
  title: string;
  link: string | null;
  language: string | null;
  entries: FeedEntryOut[];
}

/** True when the text looks like a feed document rather than an HTML page. */
export function looksLikeFeed(text: string): boolean {
  const head = text.slice(0, 2000).trimStart();
  if (/^\{/.test(head)) return /"version"\s*:\s*"https:\/\/jsonfeed\.org/.test(head);
  return /<(rss|feed|rdf:RDF)[\s>]/i.test(head);
}

function str(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && '#text' in v) return String((v as Record<string, unknown>)['#text']);
  return null;
}

export function parseFeed(text: string, baseUrl?: string): ParsedFeed {
  if (!looksLikeFeed(text)) {
    throw new LodestoneError('unsupported_format', 'not an RSS, Atom or JSON feed (got something else, e.g. an HTML page)');
  }
  let data: FeedData;
  const options = {
    descriptionMaxLen: 0,
    ...(baseUrl ? { baseUrl } : {}),
    getExtraEntryFields: (e: Record<string, unknown>) => ({
      fullContent: str(e['content:encoded']) ?? str(e.content) ?? str(e.content_html) ?? null,
      rawDescription: str(e.description) ?? str(e.summary) ?? null,
      guidRaw: str(e.guid) ?? str(e.id) ?? null,
      categoriesRaw: e.category ?? null,
    }),
  };
  try {
    data = text.trimStart().startsWith('{') ? extractFromJson(text, options) : extractFromXml(text, options);
  } catch (err) {
    throw new LodestoneError('unsupported_format', `malformed feed: ${(err as Error).message}`);
  }
  const entries: FeedEntryOut[] = (data.entries ?? []).map((e) => {
    const html = (e.fullContent as string | null) ?? (e.rawDescription as string | null) ?? e.description ?? '';
    const cats = e.categoriesRaw;
    const categories = (Array.isArray(cats) ? cats : cats ? [cats] : []).map((c) => str(c) ?? '').filter((c) => c);
    return {
      guid: (e.guidRaw as string | null) ?? (e.id || null),
      link: e.link ?? null,
      title: (e.title ?? '').trim(),
      publishedAt: e.published ?? null,
      paragraphs: htmlFragmentToParagraphs(html),
      categories,
    };
  });
  return { title: (data.title ?? '').trim(), link: data.link ?? null, language: data.language ?? null, entries };
}
