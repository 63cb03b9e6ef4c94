/** Advisory lock keys every Lodestone process on one database agrees on. */

/** Held by every writer of documents for its transaction (and by anyone who must see no write in flight). */
export const WRITE_LOCK = 0x4c6f6465; // "Lode"
/** Serializes schema migrations across processes starting together. */
export const MIGRATE_LOCK = 0x4c6f6466;

/**
 * The highest document seq handed out, read under WRITE_LOCK inside the caller's
 * transaction: no writer is in flight then, so every seq up to it is committed or gone
 * (a seq taken by a transaction still running would otherwise be skipped by a workflow).
 */
export const LAST_SEQ_SQL = "SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS seq FROM documents_seq_seq";
