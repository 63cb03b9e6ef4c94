/**
 * Versioned schema migrations (PRAGMA user_version). Append only: a released migration is
 * never edited, so database files from earlier versions open with new code.
 */
export const MIGRATIONS: string[] = [
  // 1: documents, full-text index, dedup fingerprints, clusters.
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: in-memory columns and tombstones key on it
    public_id TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    external_id TEXT,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    url TEXT,
    published_at INTEGER,
    fetched_at INTEGER NOT NULL,
    ingested_at INTEGER NOT NULL,
    type TEXT NOT NULL,
    lang TEXT NOT NULL,
    script TEXT NOT NULL,
    paragraphs TEXT NOT NULL,       -- JSON array of paragraph texts, paragraph n = index + 1
    pages TEXT,                     -- JSON array of page numbers parallel to paragraphs, or NULL
    metadata TEXT NOT NULL,         -- JSON object
    tickers TEXT NOT NULL,          -- space-separated, normalized
    content_hash TEXT NOT NULL,
    record_hash TEXT NOT NULL,
    norm_hash TEXT NOT NULL,
    original_hash TEXT,
    ntokens INTEGER NOT NULL,
    minhash BLOB NOT NULL,
    shingles INTEGER NOT NULL,      -- shingle count of the fingerprint text
    dedup_keys TEXT NOT NULL,       -- legacy (before migration 12): LSH keys now live in lsh_keys
    figures TEXT NOT NULL,          -- JSON array
    cluster_id INTEGER,
    rev INTEGER NOT NULL
  );
  CREATE INDEX documents_public_id ON documents(public_id);
  CREATE INDEX documents_published ON documents(published_at);
  CREATE INDEX documents_norm_hash ON documents(norm_hash) WHERE norm_hash <> '';
  CREATE INDEX documents_cluster ON documents(cluster_id) WHERE cluster_id IS NOT NULL;
  CREATE INDEX documents_rev ON documents(rev);
  CREATE TABLE tickers (ticker TEXT NOT NULL, doc_id INTEGER NOT NULL, PRIMARY KEY (ticker, doc_id)) WITHOUT ROWID;
  CREATE INDEX tickers_doc ON tickers(doc_id);
  -- One row per (dedup key, document). A plain rowid table with one index: appends are cheap,
  -- and rows are deleted by (band_key, doc_id) using the keys stored on the document.
  CREATE TABLE lsh (band_key INTEGER NOT NULL, doc_id INTEGER NOT NULL);
  CREATE INDEX lsh_key ON lsh(band_key, doc_id);
  CREATE TABLE clusters (id INTEGER PRIMARY KEY, canonical_id INTEGER NOT NULL, size INTEGER NOT NULL);
  CREATE TABLE tombstones (doc_id INTEGER NOT NULL, rev INTEGER NOT NULL);
  CREATE INDEX tombstones_rev ON tombstones(rev);
  CREATE VIRTUAL TABLE fts USING fts5(title, body, content='', contentless_delete=1, tokenize='ascii', detail=full);
  `,
  // 2: hot-term posting lists (hot.ts) and the FTS5 instance view they are built from;
  // FTS5 keeps up to 32 MB of pending terms in memory before writing a segment.
  `
  CREATE TABLE hot_terms (term TEXT PRIMARY KEY, df INTEGER NOT NULL, promoted_at INTEGER NOT NULL);
  CREATE TABLE hot_postings (
    id INTEGER PRIMARY KEY,
    term TEXT NOT NULL,
    level INTEGER NOT NULL,
    first_doc INTEGER NOT NULL,
    last_doc INTEGER NOT NULL,
    n INTEGER NOT NULL,
    docs BLOB NOT NULL,
    pos BLOB NOT NULL
  );
  CREATE INDEX hot_postings_term ON hot_postings(term, first_doc);
  CREATE VIRTUAL TABLE fts_instances USING fts5vocab(fts, instance);
  INSERT INTO fts(fts, rank) VALUES('hashsize', 33554432);
  `,
  // 3: URLs the user added (feeds, pages) and the outcome of their last fetch.
  `
  CREATE TABLE fetches (
    url TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    last_fetch_at INTEGER NOT NULL,
    items INTEGER NOT NULL,
    last_error TEXT
  );
  CREATE INDEX documents_source ON documents(source);
  `,
  // 4: summaries, cached by what they were made from.
  `
  CREATE TABLE summaries (
    content_hash TEXT NOT NULL,
    template TEXT NOT NULL,
    model TEXT NOT NULL,   -- 'extractive' for the extractive summarizer
    lang TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL,    -- the summary JSON
    PRIMARY KEY (content_hash, template, model, lang)
  ) WITHOUT ROWID;
  `,
  // 5: summarization runs: what each run asked the model and what it cost.
  `
  CREATE TABLE summary_runs (
    id INTEGER PRIMARY KEY,
    started_at INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    scope TEXT NOT NULL,
    model TEXT NOT NULL,
    documents INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    cost REAL            -- from LODESTONE_LLM_PRICE_INPUT / _OUTPUT (per million tokens), NULL without prices
  );
  `,
  // 6: where each document's summary stands (pending while a model works, failed with the reason).
  `
  CREATE TABLE summary_status (
    content_hash TEXT NOT NULL,
    model TEXT NOT NULL,
    lang TEXT NOT NULL,
    status TEXT NOT NULL,   -- pending | done | failed
    reason TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (content_hash, model, lang)
  ) WITHOUT ROWID;
  `,
  // 7: workflows (tracked topics), their runs and items, what each workflow already
  // delivered, webhook deliveries; feeds polled on schedules with conditional requests.
  `
  CREATE TABLE workflows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    spec TEXT NOT NULL,             -- JSON WorkflowSpec (query, filters, language, schedule, options)
    paused INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    start_after INTEGER NOT NULL    -- the first run takes documents with id > this
  );
  CREATE TABLE workflow_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workflow_id INTEGER NOT NULL,
    trigger TEXT NOT NULL,          -- manual | schedule | catch-up | api
    scheduled_for INTEGER,          -- the cron slot a scheduled run serves
    status TEXT NOT NULL,           -- running | done | failed
    reason TEXT,
    from_doc INTEGER NOT NULL,      -- documents with from_doc < id <= to_doc (ingest order)
    to_doc INTEGER NOT NULL,
    selected INTEGER NOT NULL DEFAULT 0,
    matched INTEGER NOT NULL DEFAULT 0,
    capped INTEGER NOT NULL DEFAULT 0,
    owner TEXT NOT NULL,            -- host:pid of the process running it
    started_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    finished_at INTEGER,
    brief TEXT                      -- JSON topic brief, when asked for
  );
  CREATE INDEX workflow_runs_workflow ON workflow_runs(workflow_id, id);
  -- At most one running run per workflow: two triggers at once cannot make two runs.
  CREATE UNIQUE INDEX workflow_runs_running ON workflow_runs(workflow_id) WHERE status = 'running';
  CREATE TABLE workflow_items (
    run_id INTEGER NOT NULL,
    pos INTEGER NOT NULL,
    kind TEXT NOT NULL,             -- item | repeat (a new copy of a story delivered before)
    doc_id INTEGER NOT NULL,
    doc_key TEXT NOT NULL,
    cluster_id INTEGER,
    repeat_of_run INTEGER,
    summary_state TEXT NOT NULL,    -- none | done | failed
    summary_error TEXT,
    PRIMARY KEY (run_id, pos)
  ) WITHOUT ROWID;
  CREATE TABLE workflow_seen (
    workflow_id INTEGER NOT NULL,
    doc_key TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    PRIMARY KEY (workflow_id, doc_key)
  ) WITHOUT ROWID;
  CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workflow_id INTEGER NOT NULL,
    run_id INTEGER NOT NULL,
    target TEXT NOT NULL,
    status TEXT NOT NULL,           -- pending | delivered | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER,
    last_error TEXT,
    next_attempt_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX deliveries_workflow ON deliveries(workflow_id, id);
  CREATE INDEX deliveries_pending ON deliveries(next_attempt_at) WHERE status = 'pending';
  ALTER TABLE fetches ADD COLUMN kind TEXT;            -- feed | page (NULL: unknown, before 7)
  ALTER TABLE fetches ADD COLUMN schedule TEXT;        -- cron expression for polling feeds
  ALTER TABLE fetches ADD COLUMN etag TEXT;
  ALTER TABLE fetches ADD COLUMN last_modified TEXT;
  ALTER TABLE fetches ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE fetches ADD COLUMN next_poll_at INTEGER; -- set after a failure: back-off
  `,
  // 8: hot-list merges look up the deleted documents inside the rowid range they rewrite.
  `
  CREATE INDEX tombstones_doc ON tombstones(doc_id);
  `,
  // 9: the in-memory columns (columns.ts) load from an index that holds every column they
  // need, so opening a store reads ~50 bytes a document instead of whole rows (whose
  // paragraphs come before these columns). Replaces the index on rev alone.
  `
  CREATE INDEX documents_columns ON documents(rev, id, published_at, type, lang, source, cluster_id, ntokens);
  DROP INDEX documents_rev;
  `,
  // 10: the in-memory columns saved as one blob with the rev they reflect (columns.ts).
  `
  CREATE TABLE column_snapshot (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    rev INTEGER NOT NULL,
    meta TEXT NOT NULL,
    data BLOB NOT NULL
  );
  `,
  // 11: FTS5 merges segments when 16 share a level instead of 4: each posting is rewritten
  // about half as often (ingest of 100,000 3 KB documents: 969 and 998 docs/s with 4; 976 to
  // 1,083, mean 1,045, in four runs with 16), for more segments to look a term up in (~0.1 ms
  // at most on FTS5-path queries at 1,000,000 documents).
  `
  INSERT INTO fts(fts, rank) VALUES('automerge', 16);
  `,
  // 12: LSH keys, one row a document in rowid order (appends), looked up in memory
  // (dedup/buckets.ts) instead of an index of eleven random keys a document, which every
  // ingest batch rewrote all over. New rows leave documents.dedup_keys empty.
  `
  CREATE TABLE lsh_keys (doc_id INTEGER PRIMARY KEY, keys TEXT NOT NULL);
  INSERT INTO lsh_keys (doc_id, keys) SELECT id, dedup_keys FROM documents WHERE dedup_keys <> '' ORDER BY id;
  DROP TABLE lsh;
  `,
  // 13: FTS5 flushes its pending terms at 2 MB instead of 32 (migration 1). The hash of a
  // batch's terms then stays in the CPU caches: a term lookup per token costs less than the
  // more, smaller segments cost to merge. Ingest of 100,000 3 KB documents (CLI, seconds):
  // 32 MB 85.9; 8 MB 77.4; 4 MB 71.2; 2 MB 66.6 and 68.2; 1 MB (FTS5's default) 77.8.
  `
  INSERT INTO fts(fts, rank) VALUES('hashsize', 2097152);
  `,
  // 14: exact duplicates are looked up by the first 12 hex digits of the normalized hash
  // (then compared whole): an index entry of ~20 bytes instead of ~75, so a batch's random
  // inserts dirty fewer pages.
  `
  DROP INDEX documents_norm_hash;
  CREATE INDEX documents_norm_key ON documents(substr(norm_hash, 1, 12)) WHERE norm_hash <> '';
  `,
  // 15: FTS5 merges segments when 64 share a level instead of 16 (FTS5's largest setting),
  // and merges a level at once only when it reaches 64 too (the crisis merge would otherwise
  // fire at 16): each posting is rewritten fewer times. Inserting 100,000 3 KB documents into
  // FTS5 alone, two runs each: 0.388 / 0.399 / 0.404 / 0.403 ms a document with 16, 0.346 /
  // 0.345 / 0.350 with 64. A term is looked up in more segments (at most 63 a level).
  `
  INSERT INTO fts(fts, rank) VALUES('automerge', 64);
  INSERT INTO fts(fts, rank) VALUES('crisismerge', 64);
  `,
  // 16: two indexes whose keys land at random places are gone, because every ingest batch
  // dirtied pages all over them (2,000-row transactions into a 1,000,000-row table: ~11 µs a
  // row without such an index, ~38 µs with one). Nothing queries documents by published_at
  // (the in-memory columns order by it); exact copies are found through an exact key in the
  // LSH buckets (dedup/minhash.ts exactKey, computed here by lodestone_exact_key), which each
  // document's lsh_keys row now carries after its band keys.
  `
  DROP INDEX documents_published;
  DROP INDEX documents_norm_key;
  UPDATE lsh_keys SET keys = keys || ' ' || lodestone_exact_key(d.norm_hash)
    FROM documents AS d WHERE d.id = lsh_keys.doc_id AND d.norm_hash <> '';
  INSERT INTO lsh_keys (doc_id, keys)
    SELECT id, lodestone_exact_key(norm_hash) FROM documents
    WHERE norm_hash <> '' AND id NOT IN (SELECT doc_id FROM lsh_keys) ORDER BY id;
  `,
  // 17: a document's identity includes where it came from. Feed entries were keyed by their
  // link (url:LINK) or by the channel's title (ext:TITLE:GUID), so one feed could overwrite
  // another source's documents; they are now keyed by the feed (url:FEED#ID or file:PATH#ID,
  // ID = guid, else link, else title). Uploads were keyed by name alone (upload:NAME) and are
  // now keyed by source and name (upload:SOURCE:NAME). Workflows' delivered sets follow. A
  // key that would collide with an existing one keeps its old value.
  `
  CREATE TEMP TABLE rekey AS SELECT * FROM (
    SELECT id, key AS old_key,
      CASE
        WHEN json_extract(metadata, '$.feed') IS NOT NULL AND (key LIKE 'url:%' OR key LIKE 'ext:%' OR key LIKE 'feed:%')
          THEN (CASE WHEN json_extract(metadata, '$.feed') LIKE 'http%' THEN 'url:' ELSE 'file:' END)
            || json_extract(metadata, '$.feed') || '#' || COALESCE(external_id, url, title)
        WHEN key LIKE 'upload:%' THEN 'upload:' || source || ':' || substr(key, 8)
      END AS new_key
    FROM documents
  ) WHERE new_key IS NOT NULL AND new_key <> old_key;
  UPDATE OR IGNORE workflow_seen SET doc_key = r.new_key FROM rekey AS r WHERE workflow_seen.doc_key = r.old_key;
  UPDATE OR IGNORE documents SET key = r.new_key FROM rekey AS r WHERE documents.id = r.id;
  DROP TABLE rekey;
  `,
  // 18: the column log (column-log.ts): what each write transaction changed in the in-memory
  // columns, packed, so another process's columns catch up with one read a transaction.
  `
  CREATE TABLE column_log (rev INTEGER PRIMARY KEY, data BLOB NOT NULL);
  `,
  // 19: publishers' tags and importance levels (metadata.tags, metadata.level) as labels a
  // query can filter on (tag:人工智能, level:A), filled from the documents already stored.
  `
  CREATE TABLE labels (label TEXT NOT NULL, doc_id INTEGER NOT NULL, PRIMARY KEY (label, doc_id)) WITHOUT ROWID;
  CREATE INDEX labels_doc ON labels (doc_id);
  INSERT OR IGNORE INTO labels (label, doc_id)
    SELECT 'tag:' || trim(j.value), d.id FROM documents AS d, json_each(d.metadata, '$.tags') AS j
    WHERE json_type(d.metadata, '$.tags') = 'array' AND j.type = 'text' AND trim(j.value) <> '' AND length(j.value) <= 100;
  INSERT OR IGNORE INTO labels (label, doc_id)
    SELECT 'level:' || upper(trim(json_extract(metadata, '$.level'))), id FROM documents
    WHERE json_type(metadata, '$.level') = 'text' AND trim(json_extract(metadata, '$.level')) <> '' AND length(json_extract(metadata, '$.level')) <= 20;
  `,
  // 20: documents a user deleted one by one, by key, so that a feed still listing one does
  // not bring it back (storing the key again explicitly forgets it).
  `
  CREATE TABLE deleted_keys (key TEXT PRIMARY KEY, deleted_at INTEGER NOT NULL) WITHOUT ROWID;
  `,
];
