/** SQLite persistence of summaries: cached bodies, where each stands, and the runs that made them. */
import type Database from 'better-sqlite3';
import type { SummaryKey, SummaryRun, SummaryStatus } from '../records.js';

export class SqliteSummaries {
  private readonly summary: Database.Statement<[string, string, string, string], string>;

  constructor(private readonly db: Database.Database) {
    this.summary = db
      .prepare<[string, string, string, string], string>('SELECT body FROM summaries WHERE content_hash = ? AND template = ? AND model = ? AND lang = ?')
      .pluck();
  }

  async getSummary(k: SummaryKey): Promise<string | null> {
    const body = this.summary.get(k.contentHash, k.template, k.model, k.lang);
    return body ?? null;
  }

  async putSummary(k: SummaryKey, body: string): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO summaries (content_hash, template, model, lang, created_at, body) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET created_at = excluded.created_at, body = excluded.body`,
      )
      .run(k.contentHash, k.template, k.model, k.lang, Date.now(), body);
  }

  async setSummaryStatus(k: Omit<SummaryKey, 'template'>, st: SummaryStatus): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO summary_status (content_hash, model, lang, status, reason, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET status = excluded.status, reason = excluded.reason, updated_at = excluded.updated_at`,
      )
      .run(k.contentHash, k.model, k.lang, st.status, st.reason, st.updatedAt);
  }

  async getSummaryStatus(k: Omit<SummaryKey, 'template'>): Promise<SummaryStatus | null> {
    const r = this.db
      .prepare('SELECT status, reason, updated_at FROM summary_status WHERE content_hash = ? AND model = ? AND lang = ?')
      .get(k.contentHash, k.model, k.lang) as { status: SummaryStatus['status']; reason: string | null; updated_at: number } | undefined;
    return r ? { status: r.status, reason: r.reason, updatedAt: r.updated_at } : null;
  }

  async recordSummaryRun(r: SummaryRun): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO summary_runs (started_at, finished_at, scope, model, documents, failed, requests, prompt_tokens, completion_tokens, cost)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(r.startedAt, r.finishedAt, r.scope, r.model, r.documents, r.failed, r.requests, r.promptTokens, r.completionTokens, r.cost);
  }
}
