/**
 * The query a search runs: the user's query parsed, then translated into the other
 * language (search/translate) unless the caller switched translation off. Shared by search,
 * its label facets, exports, document highlights and workflows, so they all match the same
 * documents.
 */
import type { QueryNode, TextNode } from '../search/query/ast.js';
import { parseQuery } from '../search/query/parse.js';
import { lexicon } from '../search/translate/lexicon.js';
import { DfCache, type Translation, translateQuery } from '../search/translate/translate.js';
import type { DocumentStore } from '../store/ports.js';

export interface QueryOptions {
  /** Search in both languages (default true). */
  translate?: boolean;
  /** Translation targets the user switched off (the web app's chips), by text. */
  off?: string[];
}

export interface PreparedQuery {
  query: QueryNode | null;
  translations: Translation[];
}

const evidence = new WeakMap<DocumentStore, DfCache>();

function dfOf(store: DocumentStore): DfCache {
  let e = evidence.get(store);
  if (!e) {
    e = new DfCache(
      async () => (await store.indexStats()).documents,
      (leaf: TextNode) => store.documentFrequency(leaf),
    );
    evidence.set(store, e);
  }
  return e;
}

export async function prepareQuery(store: DocumentStore, q: string, opts: QueryOptions = {}): Promise<PreparedQuery> {
  const parsed = parseQuery(q);
  if (opts.translate === false || parsed === null) return { query: parsed, translations: [] };
  return translateQuery(parsed, lexicon(), dfOf(store), { off: new Set(opts.off ?? []) });
}

/** The `translations` of an API answer: what each unit was searched as. */
export function publicTranslations(ts: Translation[], explain = false) {
  return ts
    .filter((t) => explain || t.targets.length > 0 || t.dropped.some((d) => d.reason === 'switched off'))
    .map((t) => ({
      source: t.source,
      lang: t.lang,
      targets: t.targets.map((x) => ({ text: x.text, lang: x.lang, origin: x.origin, ...(explain ? { weight: x.weight, ...(x.df !== undefined ? { df: x.df } : {}) } : {}) })),
      /** Translations the caller switched off (so a chip can be switched on again). */
      off: t.dropped.filter((d) => d.reason === 'switched off').map((d) => d.text),
      ...(explain ? { note: t.note, dropped: t.dropped } : {}),
    }));
}
