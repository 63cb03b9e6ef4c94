/** What every use case needs: the store and settings. Built once per process. */
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { chineseSegmenter, setUserDictionary } from '../analysis/segmenters/chinese.js';
import type { DocumentStore } from '../store/ports.js';
import type { BackgroundWorkers } from './sources.js';
import { type LlmProvider, llmConfigFromEnv, OpenAiCompatibleProvider } from '../llm/provider.js';
import { openStore } from '../store/open.js';
import { pullSharedFiles } from './shared-files.js';
import { config } from '../core/config.js';
import { lexicon, setUserGlossary } from '../search/translate/lexicon.js';

function llmFromEnv(): LlmProvider | null {
  const llm = llmConfigFromEnv();
  return llm ? new OpenAiCompatibleProvider(llm) : null;
}

export interface AppContext {
  dataDir: string;
  store: DocumentStore;
  /** Allow fetching loopback/private addresses (off by default: SSRF guard). */
  allowPrivate: boolean;
  /** The configured language model (LODESTONE_LLM_*), or null: summaries are then extractive. */
  llm: LlmProvider | null;
  /** A server's parser sandbox and analysis worker, shared by its requests and feed polls (set by http/server.ts). */
  workers?: BackgroundWorkers | undefined;
  /**
   * Resolves once the files shared through the database (user dictionary, glossary:
   * services/shared-files.ts) are current in dataDir; await it before parsing a query.
   * Already resolved on SQLite.
   */
  ready: Promise<void>;
}

export function resolveDataDir(flag?: string): string {
  return resolve(flag ?? config().dataDir);
}

/** Path of the user dictionary: one word per line, optionally "word freq tag" (jieba format). */
export function userDictPath(dataDir: string): string {
  return join(dataDir, 'userdict.txt');
}

export function openContext(
  options: {
    dataDir?: string;
    allowPrivate?: boolean;
    llm?: LlmProvider | null;
    /** A long-lived process (the server): split long scans with a second thread when there is a second core. */
    longLived?: boolean;
    /** PostgreSQL URL (default LODESTONE_DATABASE_URL); null: SQLite in the data directory. */
    databaseUrl?: string | null;
  } = {},
): AppContext {
  const dataDir = resolveDataDir(options.dataDir);
  const store = openStore({
    dataDir,
    databaseUrl: options.databaseUrl !== undefined ? options.databaseUrl : config().databaseUrl,
    longLived: (options.longLived ?? false) && availableParallelism() > 1,
  });
  setUserDictionary(userDictPath(dataDir));
  setUserGlossary(join(dataDir, 'glossary.tsv'));
  // A server loads the segmenter and the bilingual lexicon now (~1.5 s), so its first query
  // does not wait for them; a CLI command loads them when it parses a query (an ingest never does).
  if (options.longLived) {
    chineseSegmenter();
    lexicon().warm();
  }
  const ready = store.sharedFiles ? pullSharedFiles(store, dataDir).then(() => {}) : Promise.resolve();
  // Whoever never awaits it (a command that parses no query) must not see an unhandled rejection.
  ready.catch(() => {});
  return {
    dataDir,
    store,
    ready,
    allowPrivate: options.allowPrivate ?? config().allowPrivate,
    llm: options.llm !== undefined ? options.llm : llmFromEnv(),
  };
}
