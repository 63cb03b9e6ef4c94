/**
 * Feed entries -> documents (shared by feed files and feed URLs). Keys: `url:<feed URL>#<id>`
 * for fetched feeds, `file:<path>#<id>` for feed files (an upload's key is rewritten from it).
 */
import type { ParsedFeed } from '../extract/feed.js';
import type { ConnectorContext, SourceEvent } from './connector.js';
import { parseDate } from './dates.js';

export function* feedEntriesToEvents(feed: ParsedFeed, location: string, ctx: ConnectorContext, fallbackSource?: string): Generator<SourceEvent> {
  const source = ctx.source ?? (feed.title || fallbackSource || 'feed');
  const fetchedAt = ctx.now();
  const feedScope = /^https?:\/\//i.test(location) ? `url:${location}` : `file:${location}`;
  if (feed.entries.length === 0) yield { kind: 'warning', location, reason: 'feed has no entries' };
  for (let i = 0; i < feed.entries.length; i++) {
    const e = feed.entries[i]!;
    const loc = `${location}#item${i + 1}`;
    if (e.title === '' && e.paragraphs.length === 0) {
      yield { kind: 'error', location: loc, reason: 'empty entry: no title and no content' };
      continue;
    }
    let publishedAt = parseDate(e.publishedAt);
    if (publishedAt === 'invalid') {
      yield { kind: 'warning', location: loc, reason: `invalid date ${JSON.stringify(e.publishedAt)}` };
      publishedAt = null;
    }
    // An entry's identity is the feed it came from plus its id there (guid, else link, else
    // title): a feed can only ever update its own entries. Keyed by the entry's link alone, a
    // feed naming another source's article links (or mimicking its title and guids) replaced
    // that source's documents.
    const key = `${feedScope}#${e.guid ?? e.link ?? e.title}`;
    yield {
      kind: 'doc',
      location: loc,
      doc: {
        key,
        externalId: e.guid,
        title: e.title,
        source,
        url: e.link,
        publishedAt,
        fetchedAt,
        type: ctx.type ?? 'news',
        lang: feed.language,
        paragraphs: e.paragraphs,
        metadata: e.categories.length > 0 ? { tags: e.categories, feed: location } : { feed: location },
      },
    };
  }
}
