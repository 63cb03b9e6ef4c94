/** SQLite persistence of sources: documents per source name, URLs the user added and the outcome of their fetches. */
import type Database from 'better-sqlite3';
import type { FetchRecord, SourceSummary } from '../records.js';
import { type FetchRow, mergeSources, type SourceCountRow } from '../rows.js';

export class SqliteSources {
  constructor(private readonly db: Database.Database) {}

  async listSources(): Promise<SourceSummary[]> {
    const docs = this.db
      .prepare('SELECT source, count(*) AS n, max(ingested_at) AS last FROM documents GROUP BY source')
      .all() as SourceCountRow[];
    const fetches = this.db.prepare('SELECT url, source, last_fetch_at, items, last_error, failures, next_poll_at, kind FROM fetches').all() as FetchRow[];
    return mergeSources(docs, fetches);
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
