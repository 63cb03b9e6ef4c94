/**
 * The user dictionary, the user glossary and the harvested aliases are files in the data
 * directory, read (and re-read when they change) by the segmenter and the lexicon. On
 * SQLite every process on the machine shares that directory. On PostgreSQL several servers
 * on several machines share one database, so the files live there (`DocumentStore.sharedFiles`)
 * and each process keeps its data directory's copies current: pulled when it opens the
 * store, pulled again every few seconds by a server, pushed by the command that changed
 * one. Two servers therefore segment and translate a query alike within that interval.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DocumentStore } from '../store/ports.js';

/** The files kept in the database (names in the data directory). */
export const SHARED_FILES = ['userdict.txt', 'glossary.tsv', 'aliases.harvested.tsv'] as const;

/** How often a server pulls the files again. */
export const SHARED_FILES_POLL_MS = 5000;

function readLocal(dataDir: string, name: string): string | null {
  const p = join(dataDir, name);
  return existsSync(p) ? readFileSync(p, 'utf8') : null;
}

/** Write the database's versions into the data directory where they differ; returns the names rewritten. */
export async function pullSharedFiles(store: DocumentStore, dataDir: string): Promise<string[]> {
  if (!store.sharedFiles) return [];
  const rows = await store.sharedFiles.all();
  const changed: string[] = [];
  for (const [name, body] of rows) {
    if (!(SHARED_FILES as readonly string[]).includes(name) || readLocal(dataDir, name) === body) continue;
    mkdirSync(dataDir, { recursive: true });
    // Atomically: a reader never sees half a file.
    const tmp = join(dataDir, `${name}.${process.pid}.pull`);
    writeFileSync(tmp, body);
    renameSync(tmp, join(dataDir, name));
    changed.push(name);
  }
  return changed;
}

/** Store the data directory's versions of `names` in the database (after a command changed them). */
export async function pushSharedFiles(store: DocumentStore, dataDir: string, names: readonly string[] = SHARED_FILES): Promise<void> {
  if (!store.sharedFiles) return;
  for (const name of names) {
    const body = readLocal(dataDir, name);
    if (body !== null) await store.sharedFiles.put(name, body, Date.now());
  }
}

/** A server's loop: pull every SHARED_FILES_POLL_MS; returns the function that stops it. */
export function watchSharedFiles(store: DocumentStore, dataDir: string, log?: (m: string) => void): () => void {
  if (!store.sharedFiles) return () => {};
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    pullSharedFiles(store, dataDir)
      .then((names) => {
        if (names.length > 0) log?.(`shared files updated from the database: ${names.join(', ')}`);
      })
      .catch((err: Error) => log?.(`warn: could not read the shared files from the database: ${err.message}`))
      .finally(() => {
        busy = false;
      });
  }, SHARED_FILES_POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
