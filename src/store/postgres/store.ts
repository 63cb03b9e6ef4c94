/**
 * PostgreSQL document store (LODESTONE_DATABASE_URL): the same DocumentStore as SQLite,
 * shared by any number of app servers. One connection pool; migrations run on open;
 * a batch of documents commits in one transaction with its search terms, dedup keys and
 * clusters.
 *
 * Writers take one transaction-scoped advisory lock (WRITE_LOCK), so two processes that
 * store copies of the same story at the same moment are decided one after the other, each
 * seeing what the other committed: the duplicate decision (dedup/assign.ts) reads its
 * candidates for the whole batch ahead from the `dedup_keys` index, then runs in memory
 * over them and the batch's own documents. Readers never wait for writers.
 */
import pg from 'pg';
import { ANALYZER_NAME, type AnalyzedDocument } from '../../analysis/analyzer.js';
import { labelsOf } from '../../analysis/entities.js';
import { LodestoneError } from '../../core/errors.js';
import { sha256Hex } from '../../core/hash.js';
import type { ClusterInfo, StoredDocument } from '../../core/types.js';
import { saneTime } from '../../core/time.js';
import { CANDIDATE_BOUNDS, type ClusterCandidates, type ClusterMember, decideCluster, keysOf } from '../../dedup/assign.js';
import { exactKey, signatureFromBuffer, signatureToBuffer } from '../../dedup/minhash.js';
import type { Fingerprint } from '../../dedup/recent.js';
import type { QueryNode, TextNode } from '../../search/query/ast.js';
import type { PortableRow, PortableTable } from '../records.js';
import { type DocRow, type FetchRow, mergeSources, type SourceCountRow, toStored } from '../rows.js';
import type {
  BackendInfo,
  DocumentStore,
  FacetCount,
  FetchRecord,
  RawSearchResult,
  SearchRequest,
  SourceSummary,
  StoreStats,
  SummaryKey,
  SummaryRun,
  SummaryStatus,
  UpsertResult,
} from '../ports.js';
import { MIGRATE_LOCK, WRITE_LOCK } from './locks.js';
import { PG_MIGRATIONS } from './migrations.js';
import { PgSearcher } from './search.js';
import { MERGE_FANOUT, mergeSegments, SegmentBuilder, writeSegment } from './segments.js';
import { ftsPhrase } from '../sqlite/fts.js';
import { ScanWorker } from '../sqlite/parallel.js';
import { PgWorkflowRepo } from './workflows.js';

// bigint columns (seq, times) come back as numbers: every value we store is below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));


/** Public id for a document without an external id: stable, derived from its key (as SQLite's). */
function generatedId(key: string): string {
  return `d_${sha256Hex(key).slice(0, 16)}`;
}

/** Revs of the change log kept (search.ts: a server further behind reloads its columns). */
const CHANGES_KEPT = 10_000;

const DOC_COLUMNS =
  'seq, public_id, key, external_id, title, source, url, published_at, fetched_at, ingested_at, type, lang, script, paragraphs, pages, metadata, tickers, content_hash, cluster_id, original_hash';

export interface PgStoreOptions {
  /** Connections in the pool (default 8). */
  poolSize?: number;
  /** Split long single-list scans over a second thread (sqlite/parallel.ts): for long-lived processes. */
  parallel?: boolean;
}

/** A lost or refused connection (the server down or restarting), as opposed to an error in a statement. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|57P0[123]|08\d{3})$/.test(code) || /Connection terminated/.test((err as Error).message ?? '');
}

function unavailable(url: string, err: Error): LodestoneError {
  return new LodestoneError('unavailable', `cannot connect to PostgreSQL at ${redactUrl(url)}: ${err.message}`);
}

/** The URL without its password, for messages and `stats`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

export class PgStore implements DocumentStore {
  readonly backend = 'postgres';
  readonly pool: pg.Pool;
  readonly workflows: PgWorkflowRepo;
  private readonly searcher: PgSearcher;
  private readonly scanWorker: ScanWorker | null;
  /** Builds each batch's posting segment on a thread of its own. */
  private readonly segments = new SegmentBuilder();
  private readonly ready: Promise<void>;
  private closed = false;

  private constructor(
    private readonly url: string,
    options: PgStoreOptions,
  ) {
    this.pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 8, application_name: 'lodestone' });
    // An idle client that loses its connection (a server restart) is dropped, not thrown.
    this.pool.on('error', () => {});
    this.ready = this.migrate().then(() => this.backfill());
    // Opening never throws later for the caller who does not await: the first call reports it.
    this.ready.catch(() => {});
    this.scanWorker = options.parallel ? new ScanWorker() : null;
    this.scanWorker?.warm();
    this.searcher = new PgSearcher(this.pool, this.scanWorker);
    this.workflows = new PgWorkflowRepo({ tx: (fn) => this.tx(fn), q: (sql, params) => this.q(sql, params) });
  }

  /** Connect to `url`; the schema is created or upgraded before the first call completes. */
  static open(url: string, options: PgStoreOptions = {}): PgStore {
    return new PgStore(url, options);
  }

  /** Resolves once the schema is current (rejects with the reason it cannot be). */
  async opened(): Promise<this> {
    await this.ready;
    return this;
  }

  private async migrate(): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw unavailable(this.url, err as Error);
    }
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)');
      const r = await client.query<{ version: number }>('SELECT version FROM schema_version');
      let current = r.rows[0]?.version ?? 0;
      if (r.rows.length === 0) await client.query('INSERT INTO schema_version VALUES (0)');
      if (current > PG_MIGRATIONS.length) {
        throw new LodestoneError(
          'invalid_input',
          `This database has schema version ${current}, newer than this Lodestone (${PG_MIGRATIONS.length}). Upgrade Lodestone.`,
        );
      }
      for (; current < PG_MIGRATIONS.length; current++) {
        await client.query('BEGIN');
        try {
          await client.query(PG_MIGRATIONS[current]!);
          await client.query('UPDATE schema_version SET version = $1', [current + 1]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
      }
      const a = await client.query<{ value: string }>("SELECT value FROM meta WHERE key = 'analyzer'");
      if (a.rows.length === 0) await client.query("INSERT INTO meta (key, value) VALUES ('analyzer', $1) ON CONFLICT DO NOTHING", [ANALYZER_NAME]);
      else if (a.rows[0]!.value !== ANALYZER_NAME) {
        throw new LodestoneError(
          'invalid_input',
          `The index was built with analyzer ${a.rows[0]!.value}; this version uses ${ANALYZER_NAME}. Re-ingest into a new database.`,
        );
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK]).catch(() => {});
      client.release();
    }
  }

  /** Run `fn` in one transaction on one connection (rolled back if it throws). */
  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    await this.ready;
    return this.txNow(fn);
  }

  /** `tx` without waiting for the store to be ready (opening's own steps). */
  private async txNow<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect().catch((err: Error) => {
      throw unavailable(this.url, err);
    });
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  private async q<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    await this.ready;
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (err) {
      throw isConnectionError(err) ? unavailable(this.url, err as Error) : err;
    }
  }

  async upsert(batch: AnalyzedDocument[]): Promise<UpsertResult[]> {
    if (batch.length === 0) return [];
    // A key twice in one batch is written twice, in order, as one-by-one upserts would:
    // the batch is cut before each repeated key.
    const parts: AnalyzedDocument[][] = [[]];
    let keys = new Set<string>();
    for (const ad of batch) {
      if (keys.has(ad.doc.key)) {
        parts.push([]);
        keys = new Set();
      }
      keys.add(ad.doc.key);
      parts[parts.length - 1]!.push(ad);
    }
    const out = await this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
      const out: UpsertResult[] = [];
      for (const part of parts) out.push(...(await new BatchWriter(c, part, this.segments).run()));
      return out;
    });
    await this.upkeep();
    return out;
  }

  /**
   * After a write: merge posting segments while MERGE_FANOUT share a level, and prune the
   * change log of revs every reader has long passed (a reader further behind reloads its
   * columns). Its own transaction under the write lock: a crash loses no document, only
   * leaves the merge for the next write.
   */
  private async upkeep(): Promise<void> {
    const [s] = await this.q<{ level0: number; rev: number; oldest: number | null }>(
      `SELECT (SELECT count(*) FROM segments WHERE level = 0)::int AS level0, (SELECT rev FROM doc_stats) AS rev,
         (SELECT min(rev) FROM doc_changes) AS oldest`,
    );
    const prune = s!.oldest !== null && s!.rev - s!.oldest > CHANGES_KEPT * 2;
    if (s!.level0 < MERGE_FANOUT && !prune) return;
    await this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
      await mergeSegments(c);
      if (prune) {
        const through = s!.rev - CHANGES_KEPT;
        await c.query('DELETE FROM doc_changes WHERE rev <= $1', [through]);
        await c.query("UPDATE meta SET value = $1 WHERE key = 'changes_pruned' AND value::bigint < $1", [String(through)]);
      }
    });
  }

  /**
   * Documents stored before migration 3 get their postings from the term strings they kept
   * (in seq order, 2,000 a transaction, resumable), which are then cleared.
   */
  private async backfill(): Promise<void> {
    for (;;) {
      const more = await this.txNow(async (c) => {
        await c.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
        const flag = await c.query<{ value: string }>("SELECT value FROM meta WHERE key = 'segments_backfill'");
        if (flag.rows[0]?.value !== '1') return false;
        const rows = (
          await c.query<{ seq: number; title_terms: string; body_terms: string }>(
            'SELECT seq, title_terms, body_terms FROM documents WHERE title_terms IS NOT NULL ORDER BY seq LIMIT 2000',
          )
        ).rows;
        if (rows.length === 0) {
          await c.query("UPDATE meta SET value = '0' WHERE key = 'segments_backfill'");
          return false;
        }
        await writeSegment(
          c,
          rows.map((r) => ({ seq: r.seq, titleTerms: r.title_terms, bodyTerms: r.body_terms })),
        );
        await c.query('UPDATE documents SET title_terms = NULL, body_terms = NULL, terms = NULL WHERE seq = ANY($1::bigint[])', [rows.map((r) => r.seq)]);
        await mergeSegments(c);
        return true;
      });
      if (!more) return;
    }
  }

  async findByPublicId(id: string): Promise<StoredDocument[]> {
    return (await this.q<DocRow>(`SELECT ${DOC_COLUMNS} FROM documents WHERE public_id = $1 ORDER BY seq`, [id])).map(toStored);
  }

  async findByKey(key: string): Promise<StoredDocument | null> {
    const r = await this.q<DocRow>(`SELECT ${DOC_COLUMNS} FROM documents WHERE key = $1`, [key]);
    return r[0] ? toStored(r[0]) : null;
  }

  async getBySeq(seq: number): Promise<StoredDocument | null> {
    const r = await this.q<DocRow>(`SELECT ${DOC_COLUMNS} FROM documents WHERE seq = $1`, [seq]);
    return r[0] ? toStored(r[0]) : null;
  }

  async getManyBySeq(seqs: number[]): Promise<Map<number, StoredDocument>> {
    const out = new Map<number, StoredDocument>();
    for (let i = 0; i < seqs.length; i += 1000) {
      const rows = await this.q<DocRow>(`SELECT ${DOC_COLUMNS} FROM documents WHERE seq = ANY($1::bigint[])`, [seqs.slice(i, i + 1000)]);
      for (const r of rows) out.set(r.seq, toStored(r));
    }
    return out;
  }

  async deleteBySeq(seqs: number[]): Promise<number> {
    if (seqs.length === 0) return 0;
    return this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
      return deleteDocuments(c, seqs);
    });
  }

  async rememberDeleted(keys: string[], at: number): Promise<void> {
    if (keys.length === 0) return;
    await this.q(
      `INSERT INTO deleted_keys (key, deleted_at) SELECT k, $2 FROM unnest($1::text[]) AS k
       ON CONFLICT (key) DO UPDATE SET deleted_at = excluded.deleted_at`,
      [[...new Set(keys)], at],
    );
  }

  async deletedKeys(keys: string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows = await this.q<{ key: string }>('SELECT key FROM deleted_keys WHERE key = ANY($1::text[])', [keys]);
    return new Set(rows.map((r) => r.key));
  }

  async search(req: SearchRequest): Promise<RawSearchResult> {
    await this.ready;
    return this.searcher.search(req);
  }

  async labelCounts(req: SearchRequest, kind: 'tag' | 'level', max: number, top: number) {
    const all = await this.search({ ...req, collapse: false, facets: false, offset: 0, limit: max });
    const seqs = all.hits.map((h) => h.seq);
    if (seqs.length === 0) return { counted: 0, total: all.total, values: [] };
    const rows = await this.q<{ label: string; n: number }>(
      // A story (a duplicate cluster) counts once, as the collapsed results do.
      `SELECT l.label, count(DISTINCT coalesce(d.cluster_id, -d.seq))::int AS n FROM labels l JOIN documents d ON d.seq = l.seq
       WHERE l.seq = ANY($1::bigint[]) AND l.label >= $2 AND l.label < $3
       GROUP BY l.label ORDER BY n DESC, l.label COLLATE "C" LIMIT $4`,
      [seqs, `${kind}:`, `${kind};`, top],
    );
    return { counted: seqs.length, total: all.total, values: rows.map((r) => ({ value: r.label.slice(kind.length + 1), count: r.n })) };
  }

  async documentFrequency(leaf: QueryNode): Promise<number> {
    await this.ready;
    return this.searcher.documentFrequency(leaf);
  }

  /** The leaf in FTS5's phrase syntax: what the posting segments are asked (a phrase of terms, a prefix, title only). */
  leafExpression(leaf: TextNode): string {
    return ftsPhrase(leaf);
  }

  async cluster(clusterId: number): Promise<ClusterInfo | null> {
    const c = await this.q<{ id: number }>('SELECT id FROM clusters WHERE id = $1', [clusterId]);
    if (c.length === 0) return null;
    const members = await this.q<{ public_id: string; title: string; source: string; url: string | null; published_at: number | null }>(
      'SELECT public_id, title, source, url, published_at FROM documents WHERE cluster_id = $1 ORDER BY published_at ASC NULLS LAST, seq',
      [clusterId],
    );
    return {
      id: clusterId,
      size: members.length,
      canonical: members[0]?.public_id ?? '',
      members: members.map((m) => ({ id: m.public_id, title: m.title, source: m.source, url: m.url, publishedAt: saneTime(m.published_at) })),
    };
  }

  async clusters(minSize: number): Promise<ClusterInfo[]> {
    const rows = await this.q<{ cluster_id: number; public_id: string; title: string; source: string; url: string | null; published_at: number | null }>(
      `SELECT d.cluster_id, d.public_id, d.title, d.source, d.url, d.published_at FROM documents d
       JOIN clusters c ON c.id = d.cluster_id WHERE c.size >= $1
       ORDER BY d.cluster_id, d.published_at ASC NULLS LAST, d.seq`,
      [Math.max(2, minSize)],
    );
    const out: ClusterInfo[] = [];
    let cur: ClusterInfo | null = null;
    for (const r of rows) {
      if (!cur || cur.id !== r.cluster_id) {
        cur = { id: r.cluster_id, size: 0, canonical: r.public_id, members: [] };
        out.push(cur);
      }
      cur.size++;
      cur.members.push({ id: r.public_id, title: r.title, source: r.source, url: r.url, publishedAt: saneTime(r.published_at) });
    }
    return out.sort((x, y) => y.size - x.size || x.id - y.id);
  }

  async stats(): Promise<StoreStats> {
    const [counts] = await this.q<{ documents: number; clusters: number; clustered: number }>(
      `SELECT (SELECT documents FROM doc_stats) AS documents, (SELECT count(*) FROM clusters) AS clusters,
              (SELECT count(*) FROM documents WHERE cluster_id IS NOT NULL) AS clustered`,
    );
    const sources = await this.q<FacetCount>(
      'SELECT source AS value, count(*)::int AS count FROM documents GROUP BY source ORDER BY count DESC, source',
    );
    const [analyzer] = await this.q<{ value: string }>("SELECT value FROM meta WHERE key = 'analyzer'");
    const [version] = await this.q<{ version: number }>('SELECT version FROM schema_version');
    return {
      documents: Number(counts!.documents),
      clusters: Number(counts!.clusters),
      clusteredDocuments: Number(counts!.clustered),
      sources,
      analyzer: analyzer?.value ?? '',
      schemaVersion: version?.version ?? 0,
      backend: await this.backendInfo(),
    };
  }

  private async backendInfo(): Promise<BackendInfo> {
    const [v] = await this.q<{ version: string; size: number }>("SELECT current_setting('server_version') AS version, pg_database_size(current_database()) AS size");
    const parts = await this.q<{ name: string; bytes: number }>(
      `SELECT c.relname AS name, pg_total_relation_size(c.oid) AS bytes FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY bytes DESC LIMIT 8`,
    );
    return { name: 'postgres', version: v!.version, location: redactUrl(this.url), sizeBytes: Number(v!.size), parts };
  }

  async listSources(): Promise<SourceSummary[]> {
    const docs = await this.q<SourceCountRow>(
      'SELECT source, count(*)::int AS n, max(ingested_at) AS last FROM documents GROUP BY source',
    );
    const fetches = await this.q<FetchRow>('SELECT url, source, last_fetch_at, items, last_error, failures, next_poll_at, kind FROM fetches');
    return mergeSources(docs, fetches);
  }

  async deleteSource(name: string): Promise<number> {
    const seqs = (await this.q<{ seq: number }>('SELECT seq FROM documents WHERE source = $1', [name])).map((r) => r.seq);
    let n = 0;
    for (let i = 0; i < seqs.length; i += 2000) n += await this.deleteBySeq(seqs.slice(i, i + 2000));
    await this.q("DELETE FROM fetches WHERE source = $1 OR (source = '' AND url = $1)", [name]);
    return n;
  }

  async recordFetch(f: FetchRecord): Promise<void> {
    await this.q(
      `INSERT INTO fetches (url, source, last_fetch_at, items, last_error) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (url) DO UPDATE SET source = excluded.source, last_fetch_at = excluded.last_fetch_at,
         items = excluded.items, last_error = excluded.last_error`,
      [f.url, f.source, f.at, f.items, f.error],
    );
  }

  async getSummary(k: SummaryKey): Promise<string | null> {
    const r = await this.q<{ body: string }>('SELECT body FROM summaries WHERE content_hash = $1 AND template = $2 AND model = $3 AND lang = $4', [
      k.contentHash,
      k.template,
      k.model,
      k.lang,
    ]);
    return r[0]?.body ?? null;
  }

  async putSummary(k: SummaryKey, body: string): Promise<void> {
    await this.q(
      `INSERT INTO summaries (content_hash, template, model, lang, created_at, body) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (content_hash, template, model, lang) DO UPDATE SET created_at = excluded.created_at, body = excluded.body`,
      [k.contentHash, k.template, k.model, k.lang, Date.now(), body],
    );
  }

  async setSummaryStatus(k: Omit<SummaryKey, 'template'>, st: SummaryStatus): Promise<void> {
    await this.q(
      `INSERT INTO summary_status (content_hash, model, lang, status, reason, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (content_hash, model, lang) DO UPDATE SET status = excluded.status, reason = excluded.reason, updated_at = excluded.updated_at`,
      [k.contentHash, k.model, k.lang, st.status, st.reason, st.updatedAt],
    );
  }

  async getSummaryStatus(k: Omit<SummaryKey, 'template'>): Promise<SummaryStatus | null> {
    const r = await this.q<{ status: SummaryStatus['status']; reason: string | null; updated_at: number }>(
      'SELECT status, reason, updated_at FROM summary_status WHERE content_hash = $1 AND model = $2 AND lang = $3',
      [k.contentHash, k.model, k.lang],
    );
    return r[0] ? { status: r[0].status, reason: r[0].reason, updatedAt: r[0].updated_at } : null;
  }

  async recordSummaryRun(r: SummaryRun): Promise<void> {
    await this.q(
      `INSERT INTO summary_runs (started_at, finished_at, scope, model, documents, failed, requests, prompt_tokens, completion_tokens, cost)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [r.startedAt, r.finishedAt, r.scope, r.model, r.documents, r.failed, r.requests, r.promptTokens, r.completionTokens, r.cost],
    );
  }

  readonly sharedFiles = {
    all: async (): Promise<Map<string, string>> =>
      new Map((await this.q<{ name: string; body: string }>('SELECT name, body FROM shared_files')).map((r) => [r.name, r.body])),
    put: async (name: string, body: string, at: number): Promise<void> => {
      await this.q(
        'INSERT INTO shared_files (name, body, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at',
        [name, body, at],
      );
    },
  };

  async documentsAfter(seq: number, limit: number): Promise<StoredDocument[]> {
    return (await this.q<DocRow>(`SELECT ${DOC_COLUMNS} FROM documents WHERE seq > $1 ORDER BY seq LIMIT $2`, [seq, limit])).map(toStored);
  }

  async exportRows(t: PortableTable): Promise<PortableRow[]> {
    const cols = t.columns.map((c) => (c.kind === 'bool' ? `${c.name}::int AS ${c.name}` : c.name));
    return this.q<PortableRow>(`SELECT ${cols.join(', ')} FROM ${t.name} ORDER BY ${t.key.join(', ')}`);
  }

  async importRows(t: PortableTable, rows: PortableRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const type = { int: 'bigint', text: 'text', real: 'float8', bool: 'int' } as const;
    const arrays = t.columns.map((c) => rows.map((r) => r[c.name] ?? null));
    const cols = t.columns.map((c) => c.name);
    const select = t.columns.map((c) => (c.kind === 'bool' ? `(x.${c.name} <> 0)` : `x.${c.name}`));
    return this.tx(async (c) => {
      const r = await c.query(
        `INSERT INTO ${t.name} (${cols.join(', ')})
         SELECT ${select.join(', ')} FROM unnest(${t.columns.map((col, i) => `$${i + 1}::${type[col.kind]}[]`).join(', ')}) AS x(${cols.join(', ')})
         ON CONFLICT (${t.key.join(', ')}) DO NOTHING`,
        arrays,
      );
      // Ids copied as they were: the table's sequence continues after the highest.
      if (t.key.length === 1 && t.key[0] === 'id') {
        await c.query(`SELECT setval(pg_get_serial_sequence('${t.name}', 'id'), greatest((SELECT max(id) FROM ${t.name}), 1))`);
      }
      return r.rowCount ?? 0;
    });
  }

  async indexStats(): Promise<{ documents: number; avgTokens: number }> {
    await this.ready;
    const s = await this.searcher.corpusStats();
    return { documents: s.documents, avgTokens: s.avgTokens };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ready.catch(() => {});
    this.scanWorker?.close();
    await this.segments.close();
    await this.pool.end();
  }
}

/** One batch's write: reads ahead what the duplicate decision needs, decides in memory, writes in a few statements. */
class BatchWriter implements ClusterCandidates {
  private readonly fp = new Map<number, Fingerprint & { normHash: string; source: string; title: string }>();
  private readonly byKey = new Map<number, number[]>(); // dedup key -> seqs, newest first
  private readonly memberCache = new Map<number, ClusterMember[]>();
  private readonly gone = new Set<number>();
  private nextTemp = -1;

  constructor(
    private readonly c: pg.PoolClient,
    private readonly batch: AnalyzedDocument[],
    private readonly builder: SegmentBuilder,
  ) {}

  async run(): Promise<UpsertResult[]> {
    const c = this.c;
    const now = Date.now();
    // The last version of each key in the batch wins, as one-by-one upserts would.
    const keys = this.batch.map((b) => b.doc.key);
    const existing = new Map<string, { seq: number; public_id: string; record_hash: string; cluster_id: number | null }>();
    for (const r of (
      await c.query<{ key: string; seq: number; public_id: string; record_hash: string; cluster_id: number | null }>(
        'SELECT key, seq, public_id, record_hash, cluster_id FROM documents WHERE key = ANY($1::text[])',
        [keys],
      )
    ).rows) {
      existing.set(r.key, r);
    }
    const results: UpsertResult[] = new Array(this.batch.length);
    const writes: { i: number; ad: AnalyzedDocument; replaces: number | null }[] = [];
    this.batch.forEach((ad, i) => {
      const ex = existing.get(ad.doc.key);
      if (ex && ex.record_hash === ad.analysis.recordHash) {
        results[i] = { key: ad.doc.key, id: ex.public_id, seq: ex.seq, status: 'unchanged', clusterId: ex.cluster_id };
        return;
      }
      writes.push({ i, ad, replaces: ex?.seq ?? null });
    });
    if (writes.length === 0) return results;

    // Documents replaced by a changed version leave first (a new version gets a new seq).
    const replaced = writes.map((w) => w.replaces).filter((s): s is number => s !== null);
    if (replaced.length > 0) await deleteDocuments(c, replaced);
    for (const s of replaced) this.gone.add(s);

    const seqs = (await c.query<{ s: number }>("SELECT nextval(pg_get_serial_sequence('documents', 'seq')) AS s FROM generate_series(1, $1)", [writes.length])).rows.map(
      (r) => r.s,
    );
    // The batch's postings are built on the segment thread while this one decides clusters
    // and stores the documents.
    const segDocs = writes.map((w, k) => ({ seq: seqs[k]!, titleTerms: w.ad.analysis.titleTerms, bodyTerms: w.ad.analysis.bodyTerms }));
    const built = this.builder.build(segDocs);
    await this.readAhead(writes.map((w) => w.ad));

    const rows: unknown[][] = [];
    const newClusters: number[] = [];
    const setCluster = new Map<number, number>(); // seq -> cluster (temp ids < 0 for new clusters)
    const touched = new Set<number>();
    const clusterAtWrite: (number | null)[] = [];
    for (let k = 0; k < writes.length; k++) {
      const { ad } = writes[k]!;
      const seq = seqs[k]!;
      const { doc, analysis: a } = ad;
      const exact = exactKey(a.normHash);
      const decision = decideCluster({ seq, source: doc.source, title: doc.title, publishedAt: doc.publishedAt, analysis: a, exact }, this);
      let cluster: number | null = null;
      if (decision !== null) {
        cluster = decision.cluster ?? this.nextTemp--;
        if (decision.cluster === null) {
          newClusters.push(cluster);
          this.memberCache.set(cluster, []);
        }
        for (const id of decision.adopt) this.join(id, cluster, setCluster);
      }
      // This document becomes a candidate for the rest of the batch.
      const f = { publishedAt: doc.publishedAt, minhash: a.minhash, shingles: a.shingles, figures: a.figures, clusterId: null, normHash: a.normHash, source: doc.source, title: doc.title };
      this.fp.set(seq, f);
      for (const key of keysOf({ analysis: a, exact })) {
        const list = this.byKey.get(key);
        if (list) list.unshift(seq);
        else this.byKey.set(key, [seq]);
      }
      if (cluster !== null) this.join(seq, cluster, setCluster);
      // The result tells the cluster as of this document's write (a later copy may still adopt it).
      clusterAtWrite.push(cluster);
      const hasPages = doc.paragraphs.some((p) => p.page !== undefined);
      rows.push([
        seq,
        doc.externalId ?? generatedId(doc.key),
        doc.key,
        doc.externalId,
        doc.title,
        doc.source,
        doc.url,
        doc.publishedAt,
        doc.fetchedAt,
        now,
        doc.type,
        a.lang,
        a.script,
        JSON.stringify(doc.paragraphs.map((p) => p.text)),
        hasPages ? JSON.stringify(doc.paragraphs.map((p) => p.page ?? null)) : null,
        JSON.stringify(doc.metadata),
        a.tickers.join(' '),
        a.contentHash,
        a.recordHash,
        a.normHash,
        doc.originalHash ?? null,
        a.ntokens,
        signatureToBuffer(a.minhash).toString('base64'),
        a.shingles,
        JSON.stringify(a.figures),
        // 25-28: once the term strings (migration 3 moved them to segments).
        null,
        null,
        null,
        null,
        keysOf({ analysis: a, exact }),
        a.tickers,
        labelsOf(doc.metadata),
      ]);
    }
    // Real ids for the new clusters.
    const realIds = new Map<number, number>();
    if (newClusters.length > 0) {
      const ids = (await c.query<{ id: number }>("SELECT nextval(pg_get_serial_sequence('clusters', 'id')) AS id FROM generate_series(1, $1)", [newClusters.length])).rows;
      newClusters.forEach((t, i) => {
        realIds.set(t, ids[i]!.id);
      });
    }
    for (const cl of setCluster.values()) touched.add(cl);
    const real = (cl: number | null) => (cl === null ? null : cl < 0 ? realIds.get(cl)! : cl);
    const newSeqs = new Set(seqs);
    await c.query(
      `INSERT INTO documents (seq, public_id, key, external_id, title, source, url, published_at, fetched_at, ingested_at, type, lang, script,
         paragraphs, pages, metadata, tickers, content_hash, record_hash, norm_hash, original_hash, ntokens, minhash, shingles, figures,
         cluster_id)
       SELECT (r->>0)::bigint, r->>1, r->>2, r->>3, r->>4, r->>5, r->>6, (r->>7)::bigint, (r->>8)::bigint, (r->>9)::bigint, r->>10, r->>11, r->>12,
         r->>13, r->>14, r->>15, r->>16, r->>17, r->>18, r->>19, r->>20, (r->>21)::int, decode(r->>22, 'base64'), (r->>23)::int, r->>24,
         (r->>32)::bigint
       FROM json_array_elements($1::json) AS r`,
      [JSON.stringify(rows.map((r) => [...r, real(setCluster.get(r[0] as number) ?? null)]))],
    );
    await c.query(
      `INSERT INTO dedup_keys (key, seq) SELECT DISTINCT (k.value)::bigint, (r->>0)::bigint FROM json_array_elements($1::json) r, json_array_elements_text(r->29) k
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(rows)],
    );
    await c.query(
      `INSERT INTO tickers (ticker, seq) SELECT DISTINCT t.value, (r->>0)::bigint FROM json_array_elements($1::json) r, json_array_elements_text(r->30) t
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(rows)],
    );
    await c.query(
      `INSERT INTO labels (label, seq) SELECT DISTINCT l.value, (r->>0)::bigint FROM json_array_elements($1::json) r, json_array_elements_text(r->31) l
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(rows)],
    );
    await writeSegment(c, segDocs, 0, await built);
    // Stored documents adopted into clusters.
    const adopted = [...setCluster.entries()].filter(([s]) => !newSeqs.has(s));
    if (adopted.length > 0) {
      await c.query('UPDATE documents d SET cluster_id = x.c FROM unnest($1::bigint[], $2::bigint[]) AS x(s, c) WHERE d.seq = x.s', [
        adopted.map(([s]) => s),
        adopted.map(([, cl]) => real(cl)),
      ]);
    }
    for (const cl of newClusters) await c.query('INSERT INTO clusters (id, canonical_seq, size) VALUES ($1, 0, 0)', [real(cl)]);
    await refreshClusters(c, [...touched].map((cl) => real(cl)!));
    await c.query('UPDATE doc_stats SET documents = documents + $1, tokens = tokens + $2, rev = rev + 1 WHERE id = 1', [
      writes.length,
      writes.reduce((n, w) => n + w.ad.analysis.ntokens, 0),
    ]);
    // A document stored again explicitly is no longer remembered as deleted.
    await c.query('DELETE FROM deleted_keys WHERE key = ANY($1::text[])', [writes.map((w) => w.ad.doc.key)]);
    writes.forEach((w, k) => {
      const seq = seqs[k]!;
      results[w.i] = {
        key: w.ad.doc.key,
        id: w.ad.doc.externalId ?? generatedId(w.ad.doc.key),
        seq,
        status: w.replaces !== null ? 'updated' : 'inserted',
        clusterId: real(clusterAtWrite[k]!),
      };
    });
    return results;
  }

  /** Put `seq` into `cluster` in memory (its members, its fingerprint) and remember the change. */
  private join(seq: number, cluster: number, setCluster: Map<number, number>): void {
    setCluster.set(seq, cluster);
    const f = this.fp.get(seq);
    if (f) f.clusterId = cluster;
    const members = this.memberCache.get(cluster) ?? [];
    if (f) members.push({ seq, source: f.source, title: f.title, publishedAt: f.publishedAt });
    members.sort(memberOrder);
    this.memberCache.set(cluster, members);
  }

  /** Candidates for every key of the batch, their fingerprints, their clusters' members and those members' fingerprints. */
  private async readAhead(docs: AnalyzedDocument[]): Promise<void> {
    const keys = [...new Set(docs.flatMap((ad) => keysOf({ analysis: ad.analysis, exact: exactKey(ad.analysis.normHash) })))];
    if (keys.length === 0) return;
    const limit = Math.max(CANDIDATE_BOUNDS.perKey, CANDIDATE_BOUNDS.exact);
    const cand = await this.c.query<{ key: number; seq: number }>(
      `SELECT k.key, x.seq FROM unnest($1::bigint[]) AS k(key)
       CROSS JOIN LATERAL (SELECT seq FROM dedup_keys WHERE key = k.key ORDER BY seq DESC LIMIT $2) x`,
      [keys, limit],
    );
    for (const r of cand.rows) {
      const list = this.byKey.get(r.key);
      if (list) list.push(r.seq);
      else this.byKey.set(r.key, [r.seq]);
    }
    const seqs = [...new Set(cand.rows.map((r) => r.seq))];
    await this.loadFingerprints(seqs);
    const clusters = [...new Set([...this.fp.values()].map((f) => f.clusterId).filter((c): c is number => c !== null))];
    if (clusters.length === 0) return;
    const members = await this.c.query<{ cluster_id: number; seq: number; source: string; title: string; published_at: number | null }>(
      'SELECT cluster_id, seq, source, title, published_at FROM documents WHERE cluster_id = ANY($1::bigint[])',
      [clusters],
    );
    for (const m of members.rows) {
      const list = this.memberCache.get(m.cluster_id) ?? [];
      list.push({ seq: m.seq, source: m.source, title: m.title, publishedAt: m.published_at });
      this.memberCache.set(m.cluster_id, list);
    }
    for (const list of this.memberCache.values()) list.sort(memberOrder);
    // Canonical members are matched against too.
    await this.loadFingerprints([...this.memberCache.values()].map((l) => l[0]!.seq).filter((s) => !this.fp.has(s)));
  }

  private async loadFingerprints(seqs: number[]): Promise<void> {
    if (seqs.length === 0) return;
    const rows = await this.c.query<{
      seq: number;
      published_at: number | null;
      minhash: Buffer;
      shingles: number;
      figures: string;
      cluster_id: number | null;
      norm_hash: string;
      source: string;
      title: string;
    }>('SELECT seq, published_at, minhash, shingles, figures, cluster_id, norm_hash, source, title FROM documents WHERE seq = ANY($1::bigint[])', [seqs]);
    for (const r of rows.rows) {
      this.fp.set(r.seq, {
        publishedAt: r.published_at,
        minhash: signatureFromBuffer(r.minhash),
        shingles: r.shingles,
        figures: JSON.parse(r.figures) as string[],
        clusterId: r.cluster_id,
        normHash: r.norm_hash,
        source: r.source,
        title: r.title,
      });
    }
  }

  withKey(key: number, limit: number): number[] {
    return (this.byKey.get(key) ?? []).filter((s) => !this.gone.has(s)).slice(0, limit);
  }

  fingerprint(seq: number): Fingerprint | null {
    if (this.gone.has(seq)) return null;
    return this.fp.get(seq) ?? null;
  }

  exactRow(seq: number) {
    const f = this.gone.has(seq) ? undefined : this.fp.get(seq);
    return f ? { normHash: f.normHash, clusterId: f.clusterId, publishedAt: f.publishedAt } : null;
  }

  headline(seq: number) {
    const f = this.gone.has(seq) ? undefined : this.fp.get(seq);
    return f ? { source: f.source, title: f.title } : null;
  }

  members(clusterId: number): ClusterMember[] {
    return (this.memberCache.get(clusterId) ?? []).filter((m) => !this.gone.has(m.seq));
  }
}

function memberOrder(a: ClusterMember, b: ClusterMember): number {
  const pa = a.publishedAt;
  const pb = b.publishedAt;
  if (pa !== pb) {
    if (pa === null) return 1;
    if (pb === null) return -1;
    return pa - pb;
  }
  return a.seq - b.seq;
}

/** Canonical member and size of each cluster from its documents; a cluster left with one member dissolves. */
async function refreshClusters(c: pg.PoolClient, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await c.query(
    `WITH m AS (
       SELECT cluster_id, count(*) AS n,
         (array_agg(seq ORDER BY published_at ASC NULLS LAST, seq))[1] AS canonical
       FROM documents WHERE cluster_id = ANY($1::bigint[]) GROUP BY cluster_id)
     UPDATE clusters c SET size = m.n, canonical_seq = m.canonical FROM m WHERE c.id = m.cluster_id`,
    [ids],
  );
  const lonely = await c.query<{ id: number }>(
    `SELECT c.id FROM clusters c WHERE c.id = ANY($1::bigint[])
       AND (SELECT count(*) FROM documents d WHERE d.cluster_id = c.id) <= 1`,
    [ids],
  );
  const gone = lonely.rows.map((r) => r.id);
  if (gone.length > 0) {
    await c.query('UPDATE documents SET cluster_id = NULL WHERE cluster_id = ANY($1::bigint[])', [gone]);
    await c.query('DELETE FROM clusters WHERE id = ANY($1::bigint[])', [gone]);
  }
}

/** Delete documents with their index entries; their clusters shrink or dissolve. Inside a writer's transaction. */
async function deleteDocuments(c: pg.PoolClient, seqs: number[]): Promise<number> {
  const del = await c.query<{ cluster_id: number | null; ntokens: number }>('DELETE FROM documents WHERE seq = ANY($1::bigint[]) RETURNING cluster_id, ntokens', [
    seqs,
  ]);
  if (del.rows.length === 0) return 0;
  await c.query('DELETE FROM dedup_keys WHERE seq = ANY($1::bigint[])', [seqs]);
  await c.query('DELETE FROM tickers WHERE seq = ANY($1::bigint[])', [seqs]);
  await c.query('DELETE FROM labels WHERE seq = ANY($1::bigint[])', [seqs]);
  await c.query('UPDATE doc_stats SET documents = documents - $1, tokens = tokens - $2, rev = rev + 1 WHERE id = 1', [
    del.rows.length,
    del.rows.reduce((n, r) => n + r.ntokens, 0),
  ]);
  const clusters = [...new Set(del.rows.map((r) => r.cluster_id).filter((x): x is number => x !== null))];
  if (clusters.length > 0) {
    // Clusters with no member left go now; the rest are recounted (and dissolve at one).
    await c.query('DELETE FROM clusters c WHERE c.id = ANY($1::bigint[]) AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.cluster_id = c.id)', [clusters]);
    await refreshClusters(c, clusters);
  }
  return del.rows.length;
}

