/**
 * Versioned PostgreSQL schema (table `schema_version`), append only like the SQLite
 * migrations: a released migration is never edited. Times are epoch milliseconds (bigint),
 * as in SQLite, so both backends hand back the same values.
 */
export const PG_MIGRATIONS: string[] = [
  // 1: documents with their search terms, dedup keys, clusters, summaries, sources, workflows.
  `
  CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
  CREATE TABLE documents (
    seq bigserial PRIMARY KEY,            -- ingest order, never reused
    public_id text NOT NULL,
    key text NOT NULL UNIQUE,
    external_id text,
    title text NOT NULL,
    source text NOT NULL,
    url text,
    published_at bigint,
    fetched_at bigint NOT NULL,
    ingested_at bigint NOT NULL,
    type text NOT NULL,
    lang text NOT NULL,
    script text NOT NULL,
    paragraphs text NOT NULL,             -- JSON array of paragraph texts
    pages text,                           -- JSON array of page numbers, or NULL
    metadata text NOT NULL,               -- JSON object
    tickers text NOT NULL,                -- space-separated, normalized
    content_hash text NOT NULL,
    record_hash text NOT NULL,
    norm_hash text NOT NULL,
    original_hash text,
    ntokens integer NOT NULL,
    minhash bytea NOT NULL,
    shingles integer NOT NULL,
    figures text NOT NULL,                -- JSON array
    cluster_id bigint,
    -- Search (terms.ts): every distinct analyzer term once (GIN), and the title's and body's
    -- terms in order, each wrapped in spaces, which phrases and term frequencies are read from.
    terms tsvector NOT NULL,
    overflow boolean NOT NULL DEFAULT false,  -- more distinct terms than one tsvector holds
    title_terms text NOT NULL,
    body_terms text NOT NULL
  );
  -- lz4 (PostgreSQL 14+, when built with it, as Debian's is) compresses the large columns
  -- several times faster than the default pglz.
  ALTER TABLE documents ALTER COLUMN paragraphs SET COMPRESSION lz4;
  ALTER TABLE documents ALTER COLUMN title_terms SET COMPRESSION lz4;
  ALTER TABLE documents ALTER COLUMN body_terms SET COMPRESSION lz4;
  ALTER TABLE documents ALTER COLUMN terms SET COMPRESSION lz4;
  -- The default pending list (4 MB): every search scans it, so a larger one (64 MB: tried)
  -- slows searches beside an ingest (a zero-hit query took 1.8 s) without making ingest faster.
  CREATE INDEX documents_terms ON documents USING gin (terms);
  CREATE INDEX documents_overflow ON documents (seq) WHERE overflow;
  CREATE INDEX documents_public_id ON documents (public_id);
  CREATE INDEX documents_published ON documents (published_at, seq);
  CREATE INDEX documents_cluster ON documents (cluster_id) WHERE cluster_id IS NOT NULL;
  CREATE INDEX documents_source ON documents (lower(source));
  CREATE INDEX documents_ingested ON documents (ingested_at);
  -- BM25's N and the token total for avgdl, kept by every write (one row); rev counts the
  -- writes (cached document frequencies are valid for one rev).
  CREATE TABLE doc_stats (id integer PRIMARY KEY CHECK (id = 1), documents bigint NOT NULL, tokens bigint NOT NULL, rev bigint NOT NULL);
  INSERT INTO doc_stats VALUES (1, 0, 0, 0);
  -- Duplicate candidates (dedup/assign.ts): one row per (LSH or exact key, document).
  CREATE TABLE dedup_keys (key bigint NOT NULL, seq bigint NOT NULL, PRIMARY KEY (key, seq));
  CREATE INDEX dedup_keys_seq ON dedup_keys (seq);
  CREATE TABLE clusters (id bigserial PRIMARY KEY, canonical_seq bigint NOT NULL, size integer NOT NULL);
  CREATE TABLE tickers (ticker text NOT NULL, seq bigint NOT NULL, PRIMARY KEY (ticker, seq));
  CREATE INDEX tickers_seq ON tickers (seq);
  CREATE TABLE labels (label text NOT NULL, seq bigint NOT NULL, PRIMARY KEY (label, seq));
  CREATE INDEX labels_seq ON labels (seq);
  CREATE TABLE deleted_keys (key text PRIMARY KEY, deleted_at bigint NOT NULL);
  CREATE TABLE fetches (
    url text PRIMARY KEY,
    source text NOT NULL,
    last_fetch_at bigint NOT NULL,
    items integer NOT NULL,
    last_error text,
    kind text,
    schedule text,
    etag text,
    last_modified text,
    failures integer NOT NULL DEFAULT 0,
    next_poll_at bigint
  );
  CREATE TABLE summaries (
    content_hash text NOT NULL,
    template text NOT NULL,
    model text NOT NULL,
    lang text NOT NULL,
    created_at bigint NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (content_hash, template, model, lang)
  );
  CREATE TABLE summary_runs (
    id bigserial PRIMARY KEY,
    started_at bigint NOT NULL,
    finished_at bigint NOT NULL,
    scope text NOT NULL,
    model text NOT NULL,
    documents integer NOT NULL,
    failed integer NOT NULL,
    requests integer NOT NULL,
    prompt_tokens bigint NOT NULL,
    completion_tokens bigint NOT NULL,
    cost double precision
  );
  CREATE TABLE summary_status (
    content_hash text NOT NULL,
    model text NOT NULL,
    lang text NOT NULL,
    status text NOT NULL,
    reason text,
    updated_at bigint NOT NULL,
    PRIMARY KEY (content_hash, model, lang)
  );
  CREATE TABLE workflows (
    id bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE,
    spec text NOT NULL,
    paused boolean NOT NULL DEFAULT false,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    start_after bigint NOT NULL
  );
  CREATE TABLE workflow_runs (
    id bigserial PRIMARY KEY,
    workflow_id bigint NOT NULL,
    trigger text NOT NULL,
    scheduled_for bigint,
    status text NOT NULL,
    reason text,
    from_doc bigint NOT NULL,
    to_doc bigint NOT NULL,
    selected boolean NOT NULL DEFAULT false,
    matched integer NOT NULL DEFAULT 0,
    capped integer NOT NULL DEFAULT 0,
    owner text NOT NULL,
    started_at bigint NOT NULL,
    heartbeat_at bigint NOT NULL,
    finished_at bigint,
    brief text
  );
  CREATE INDEX workflow_runs_workflow ON workflow_runs (workflow_id, id);
  CREATE UNIQUE INDEX workflow_runs_running ON workflow_runs (workflow_id) WHERE status = 'running';
  CREATE TABLE workflow_items (
    run_id bigint NOT NULL,
    pos integer NOT NULL,
    kind text NOT NULL,
    doc_id bigint NOT NULL,
    doc_key text NOT NULL,
    cluster_id bigint,
    repeat_of_run bigint,
    summary_state text NOT NULL,
    summary_error text,
    PRIMARY KEY (run_id, pos)
  );
  CREATE TABLE workflow_seen (
    workflow_id bigint NOT NULL,
    doc_key text NOT NULL,
    run_id bigint NOT NULL,
    PRIMARY KEY (workflow_id, doc_key)
  );
  CREATE TABLE deliveries (
    id bigserial PRIMARY KEY,
    workflow_id bigint NOT NULL,
    run_id bigint NOT NULL,
    target text NOT NULL,
    status text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    last_status integer,
    last_error text,
    next_attempt_at bigint,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
  );
  CREATE INDEX deliveries_workflow ON deliveries (workflow_id, id);
  CREATE INDEX deliveries_pending ON deliveries (next_attempt_at) WHERE status = 'pending';
  -- Occurrences of a needle (terms.ts) in a term string: non-overlapping, as FTS5 counts a
  -- term; inlined by the planner. Bytes, not characters: octet_length reads the length
  -- stored with the value, length() walks every multibyte character (3x the time).
  CREATE FUNCTION lodestone_occ(hay text, needle text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (octet_length(hay) - octet_length(replace(hay, needle, ''))) / octet_length(needle) $$;
  `,
  // 2: files every process must share (user dictionary, glossary, harvested aliases).
  `
  CREATE TABLE shared_files (name text PRIMARY KEY, body text NOT NULL, updated_at bigint NOT NULL);
  `,
  // 3: the search index becomes posting segments built in Node (segments.ts), read by the
  // SQLite engine's query execution over per-process columns fed by a change log (search.ts).
  // The GIN index and the term strings go (the strings of documents already stored are read
  // once more, by the backfill when a store opens, then cleared).
  `
  CREATE TABLE segments (
    id bigserial PRIMARY KEY,
    level integer NOT NULL,
    first_seq bigint NOT NULL,
    last_seq bigint NOT NULL,
    docs integer NOT NULL,
    bytes bigint NOT NULL
  );
  CREATE INDEX segments_first ON segments (first_seq);
  -- Blocks of a segment's entries (term, then its postings), sorted by term in "C" order.
  CREATE TABLE seg_blocks (
    seg bigint NOT NULL,
    first_term text COLLATE "C" NOT NULL,
    last_term text COLLATE "C" NOT NULL,
    body bytea NOT NULL,
    PRIMARY KEY (seg, first_term)
  );
  -- A block (BLOCK_BYTES) stays inside its row, uncompressed (varint postings hardly
  -- compress): no TOAST rows to write at ingest or to look up at search. A term's list longer
  -- than a page goes out of line, lz4-compressed when that helps.
  ALTER TABLE seg_blocks SET (toast_tuple_target = 8160);
  ALTER TABLE seg_blocks ALTER COLUMN body SET STORAGE MAIN;
  ALTER TABLE seg_blocks ALTER COLUMN body SET COMPRESSION lz4;
  -- Every statement that writes documents logs the seqs it touched under a new doc_stats.rev
  -- (statement triggers with transition tables): a server's in-memory columns catch up from it.
  CREATE TABLE doc_changes (rev bigint NOT NULL, seq bigint NOT NULL);
  CREATE INDEX doc_changes_rev ON doc_changes (rev);
  -- One function for the three triggers: each names its transition table changed_rows.
  CREATE FUNCTION lodestone_log_changes() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE r bigint;
  BEGIN
    UPDATE doc_stats SET rev = rev + 1 WHERE id = 1 RETURNING rev INTO r;
    INSERT INTO doc_changes (rev, seq) SELECT r, seq FROM changed_rows;
    RETURN NULL;
  END $$;
  CREATE TRIGGER documents_inserted AFTER INSERT ON documents REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lodestone_log_changes();
  CREATE TRIGGER documents_updated AFTER UPDATE ON documents REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lodestone_log_changes();
  CREATE TRIGGER documents_deleted AFTER DELETE ON documents REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lodestone_log_changes();
  -- Revs at or below this were pruned from doc_changes: a reader behind it reloads its columns.
  INSERT INTO meta (key, value) VALUES ('changes_pruned', '0');
  DROP INDEX documents_terms;
  DROP INDEX documents_overflow;
  ALTER TABLE documents ALTER COLUMN terms DROP NOT NULL;
  ALTER TABLE documents ALTER COLUMN title_terms DROP NOT NULL;
  ALTER TABLE documents ALTER COLUMN body_terms DROP NOT NULL;
  -- Every document stored before this migration waits for the backfill.
  INSERT INTO meta (key, value) VALUES ('segments_backfill', '1');
  `,
];
