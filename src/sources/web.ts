/**
 * URLs: a feed (RSS/Atom/JSON Feed) becomes one document per entry; a web page becomes one
 * document through article extraction; a PDF link is read as a PDF. Fetching goes through
 * safeFetch (SSRF guard, timeouts, size cap, redirect limit).
 */
import { describeError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { decodeBytes } from '../extract/charset.js';
import { looksLikeFeed, parseFeed } from '../extract/feed.js';
import { extractHtmlPage } from '../extract/html.js';
import { extractPdf } from '../extract/pdf.js';
import type { Connector, SourceEvent } from './connector.js';
import { parseDate } from './dates.js';
import { safeFetch } from './fetch.js';
import { feedEntriesToEvents } from './feeds.js';

export const urlConnector: Connector = {
  name: 'url',
  async accepts(target) {
    return /^https?:\/\//i.test(target);
  },
  async *read(target, ctx): AsyncGenerator<SourceEvent> {
    let res: Awaited<ReturnType<typeof safeFetch>>;
    try {
      res = await safeFetch(target, ctx.fetch);
    } catch (err) {
      yield { kind: 'error', location: target, reason: describeError(err) };
      return;
    }
    const host = new URL(res.url).hostname;
    const header = (h: string | string[] | undefined) => (Array.isArray(h) ? (h[0] ?? null) : (h ?? null));
    const tell = (kind: 'feed' | 'page' | 'pdf' | 'unchanged') =>
      ctx.onResponse?.({ url: target, status: res.status, kind, etag: header(res.headers.etag), lastModified: header(res.headers['last-modified']) });
    if (res.status === 304) {
      tell('unchanged');
      return;
    }
    try {
      if (res.contentType === 'application/pdf' || res.body.subarray(0, 5).toString('latin1') === '%PDF-') {
        const { title, paragraphs } = await extractPdf(res.body);
        tell('pdf');
        yield {
          kind: 'doc',
          location: target,
          doc: {
            key: `url:${stripHash(target)}`,
            externalId: null,
            title: title || decodeURIComponent(new URL(res.url).pathname.split('/').pop() ?? host),
            source: ctx.source ?? host,
            url: res.url,
            publishedAt: null,
            fetchedAt: ctx.now(),
            type: ctx.type ?? 'report',
            lang: null,
            paragraphs,
            metadata: {},
            originalHash: sha256Hex(res.body),
          },
        };
        return;
      }
      const { text, charset } = decodeBytes(res.body, res.charset);
      if (looksLikeFeed(text) || /(rss|atom)\+xml/.test(res.contentType)) {
        tell('feed');
        yield* feedEntriesToEvents(parseFeed(text, res.url), target, ctx, host);
        return;
      }
      if (!/html|xml|text\/plain/.test(res.contentType) && res.contentType !== '') {
        yield { kind: 'error', location: target, reason: `unsupported content type ${res.contentType}` };
        return;
      }
      const page = extractHtmlPage(text, res.url);
      tell('page');
      if (page.paragraphs.length === 0) {
        yield { kind: 'error', location: target, reason: 'no article text found on the page' };
        return;
      }
      const published = parseDate(page.publishedAt);
      yield {
        kind: 'doc',
        location: target,
        doc: {
          key: `url:${stripHash(target)}`,
          externalId: null,
          title: page.title || host,
          source: ctx.source ?? page.siteName ?? host,
          url: res.url,
          publishedAt: typeof published === 'number' ? published : null,
          fetchedAt: ctx.now(),
          type: ctx.type ?? 'news',
          lang: page.lang,
          paragraphs: page.paragraphs,
          metadata: { charset },
          originalHash: sha256Hex(res.body),
        },
      };
    } catch (err) {
      yield { kind: 'error', location: target, reason: describeError(err) };
    }
  },
};

function stripHash(u: string): string {
  const i = u.indexOf('#');
  return i < 0 ? u : u.slice(0, i);
}
