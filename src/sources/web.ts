/**
 * URLs: a feed (RSS/Atom/JSON Feed) becomes one document per entry; a web page becomes one
 * document through article extraction; a PDF link is read as a PDF. Fetching goes through
 * safeFetch (SSRF guard, timeouts, size cap, redirect limit).
 */
import { describeError, LodestoneError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
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
      res = await safeFetch(target, ctx.signal ? { ...ctx.fetch, signal: ctx.signal } : ctx.fetch);
    } catch (err) {
      yield { kind: 'error', location: target, reason: describeError(err), ...(err instanceof LodestoneError ? { code: err.code } : {}) };
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
      const x = await ctx.extract({ format: 'web', bytes: res.body, charset: res.charset, url: res.url, contentType: res.contentType });
      if (x.kind === 'feed') {
        tell('feed');
        yield* feedEntriesToEvents(x.feed, target, ctx, host);
        return;
      }
      tell(x.format === 'pdf' ? 'pdf' : 'page');
      if (x.paragraphs.length === 0) {
        yield { kind: 'error', location: target, reason: x.format === 'pdf' ? 'no text found in the PDF' : 'no article text found on the page' };
        return;
      }
      const published = parseDate(x.publishedAt);
      const pdf = x.format === 'pdf';
      yield {
        kind: 'doc',
        location: target,
        doc: {
          key: `url:${stripHash(target)}`,
          externalId: null,
          title: x.title || (pdf ? lastPathSegment(res.url) : '') || host,
          source: ctx.source ?? x.siteName ?? host,
          url: res.url,
          publishedAt: typeof published === 'number' ? published : null,
          fetchedAt: ctx.now(),
          type: ctx.type ?? (pdf ? 'report' : 'news'),
          lang: x.lang,
          paragraphs: x.paragraphs,
          metadata: x.charset ? { charset: x.charset } : {},
          originalHash: sha256Hex(res.body),
        },
      };
    } catch (err) {
      yield { kind: 'error', location: target, reason: describeError(err), ...(err instanceof LodestoneError ? { code: err.code } : {}) };
    }
  },
};

/** The last path segment of a URL, decoded when it can be (a PDF without a title is named by it). */
function lastPathSegment(u: string): string {
  const seg = new URL(u).pathname.split('/').pop() ?? '';
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

function stripHash(u: string): string {
  const i = u.indexOf('#');
  return i < 0 ? u : u.slice(0, i);
}
