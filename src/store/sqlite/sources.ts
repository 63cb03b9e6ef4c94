/** SQLite persistence of sources: documents per source name, URLs the user added and the outcome of their fetches. */
import type Database from 'better-sqlite3';
import type { FetchRecord, SourceSummary } from '../records.js';

export class SqliteSources {
  constructor(private readonly db: Database.Database) {}

  async listSources(): Promise<SourceSummary[]> {
    const docs = this.db
      .prepare('SELECT source, count(*) AS n, max(ingested_at) AS last FROM documents GROUP BY source')
      .all() as { source: string; n: number; last: number | null }[];
    const fetches = this.db.prepare('SELECT url, source, last_fetch_at, items, last_error, failures, next_poll_at, kind FROM fetches').all() as {
      url: string;
      source: string;
      last_fetch_at: number;
      items: number;
      last_error: string | null;
      failures: number;
      next_poll_at: number | null;
      kind: string | null;
    }[];
    const out = new Map<string, SourceSummary>();
    const row = (name: string, documents: number, lastIngestedAt: number | null): SourceSummary => ({
      name,
      documents,
      lastIngestedAt,
      url: null,
      lastFetchAt: null,
      lastError: null,
      failures: 0,
      nextPollAt: null,
      feed: false,
    });
    for (const d of docs) out.set(d.source, row(d.source, d.n, d.last));
    for (const f of fetches) {
      // A URL whose documents carry their own source names is listed under the URL itself.
      const name = f.source !== '' ? f.source : f.url;
      const r = out.get(name) ?? row(name, 0, null);
      if (r.lastFetchAt === null || f.last_fetch_at > r.lastFetchAt) {
        r.url = f.url;
        r.lastFetchAt = f.last_fetch_at;
        r.lastError = f.last_error;
        r.failures = f.failures;
        r.nextPollAt = f.next_poll_at;
        r.feed = f.kind === 'feed';
      }
      out.set(name, r);
    }
    return [...out.values()].sort((a, b) => (b.lastIngestedAt ?? b.lastFetchAt ?? 0) - (a.lastIngestedAt ?? a.lastFetchAt ?? 0));
  }

  async recordFetch(f: FetchRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO fetches (url, source, last_fetch_at, items, last_error) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(url) DO UPDATE SET source = excluded.source, last_fetch_at = excluded.last_fetch_at,
           items = excluded.items, last_error = excluded.last_error`,
      )
      .run(f.url, f.source, f.at, f.items, f.error);
  }
}
