/**
 * The one place that picks a backend: PostgreSQL when a database URL is given
 * (LODESTONE_DATABASE_URL), else the embedded SQLite file in the data directory.
 */
import type { DocumentStore } from './ports.js';
import { PgStore } from './postgres/store.js';
import { SqliteStore } from './sqlite/store.js';

export interface OpenStoreOptions {
  dataDir: string;
  databaseUrl: string | null;
  /** A long-lived process (the server): long scans are split over a second thread. */
  longLived?: boolean;
}

export function openStore(o: OpenStoreOptions): DocumentStore {
  if (o.databaseUrl) return PgStore.open(o.databaseUrl, { parallel: o.longLived ?? false });
  return SqliteStore.open(o.dataDir, {
    onUpgrade: (message) => process.stderr.write(`${message}\n`),
    parallel: o.longLived ?? false,
  });
}
