/**
 * Throwaway PostgreSQL databases for tests and benchmarks: each gets its own database on
 * the server at LODESTONE_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * dropped when done. Without a reachable server, `pgAvailable()` says why, and tests skip
 * with that reason, except under CI (CI=true), where they must run.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PgStore } from './store.js';

export const ADMIN_URL = process.env.LODESTONE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let probe: Promise<string | null> | null = null;

/** null when a server answers at ADMIN_URL, else the reason it does not. */
export function pgUnavailable(): Promise<string | null> {
  probe ??= (async () => {
    const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await c.connect();
      await c.query('SELECT 1');
      return null;
    } catch (err) {
      return `no PostgreSQL at ${ADMIN_URL} (${(err as Error).message}); set LODESTONE_TEST_PG_URL or start one (pg_ctlcluster 15 main start)`;
    } finally {
      await c.end().catch(() => {});
    }
  })();
  return probe;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** URL of `db` on the admin URL's server. */
export function databaseUrl(db: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${db}`;
  return u.toString();
}

/** A new empty database; returns its URL and a function that drops it (closing its connections first). */
export async function createTestDatabase(prefix = 'lodestone_test'): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  return {
    url: databaseUrl(name),
    name,
    drop: () =>
      admin(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }),
  };
}

/** A store on a database of its own, dropped when the store closes. */
export async function freshPgStore(): Promise<PgStore> {
  const db = await createTestDatabase();
  const store = await PgStore.open(db.url, { poolSize: 4 }).opened();
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    await db.drop();
  };
  return store;
}
