/**
 * The analyzer: a DocumentInput becomes everything the store indexes, in one pure
 * function (so it can run in a worker thread). Named and versioned: the name is stored
 * with the index, and a different name on open asks for a visible reindex.
 */
import { sha256Hex } from '../core/hash.js';
import type { DocumentInput } from '../core/types.js';
import { bandKeys, fingerprintText, leadKey, minhash, normalizeForFingerprint, shingleCount } from '../dedup/minhash.js';
import { figures } from '../dedup/policy.js';
import { detectLanguage } from './detect.js';
import { foldText } from './normalize.js';
import { findTickers, normalizeTicker } from './entities.js';
import type { LocatedTerms } from './term-hits.js';
import { ANALYZER_NAME, indexTermString } from './terms.js';

export { ANALYZER_NAME };

export interface Analysis {
  lang: string;
  script: string;
  titleTerms: string;
  bodyTerms: string;
  tickers: string[];
  /** sha256 of title + paragraphs: identifies the content (exposed as content_hash). */
  contentHash: string;
  /** sha256 of title, paragraphs, dates, url and metadata: unchanged records are skipped on re-ingest. */
  recordHash: string;
  /** sha256 of the fingerprint-normalized body (exact-duplicate key), '' when empty. */
  normHash: string;
  minhash: Uint32Array;
  /** LSH band keys plus the lead key: documents sharing one are dedup candidates. */
  bandKeys: number[];
  /** Shingles in the fingerprint text (for containment estimates). */
  shingles: number;
  /** Index terms in title + body (BM25 document length). */
  ntokens: number;
  figures: string[];
}

export interface AnalyzedDocument {
  doc: DocumentInput;
  analysis: Analysis;
  /** Occurrences of the store's terms to locate (DocumentStore.termsToLocate), found by an analysis worker. */
  located?: LocatedTerms;
}

export function analyzeDocument(doc: DocumentInput): AnalyzedDocument {
  const body = doc.paragraphs.map((p) => p.text).join('\n');
  const detected = detectLanguage(`${doc.title}\n${body}`);
  const lang = doc.lang && doc.lang.length > 0 ? normalizeLang(doc.lang) : detected.lang;
  // Index terms per paragraph, joined with a newline so no bigram spans two paragraphs.
  const bodyTerms = doc.paragraphs.map((p) => indexTermString(p.text)).join(' \n ');
  const titleTerms = indexTermString(doc.title);

  const tickers = new Set<string>(findTickers(`${doc.title}\n${body}`));
  const metaStocks = doc.metadata.stocks;
  if (Array.isArray(metaStocks)) {
    for (const s of metaStocks) {
      const code = typeof s === 'string' ? s : s && typeof s === 'object' ? (s as { code?: unknown }).code : null;
      if (typeof code === 'string' && code.trim() !== '') tickers.add(normalizeTicker(code));
    }
  }
  const metaTickers = doc.metadata.tickers;
  if (Array.isArray(metaTickers)) {
    for (const t of metaTickers) if (typeof t === 'string' && t.trim() !== '') tickers.add(normalizeTicker(t));
  }

  const contentHash = sha256Hex(JSON.stringify([doc.title, doc.paragraphs.map((p) => [p.text, p.page ?? null])]));
  const recordHash = sha256Hex(
    JSON.stringify([contentHash, doc.source, doc.url, doc.publishedAt, doc.type, doc.lang, doc.metadata]),
  );
  const folded = foldText(body.length > 0 ? body : doc.title);
  const norm = normalizeForFingerprint(folded, true);
  // The body is folded once, for the exact-duplicate key, the figures and the fingerprint.
  const fp = fingerprintText(foldText(doc.title), body.length > 0 ? folded : '', true);
  const sig = minhash(fp);
  const keys = fp.length >= 12 ? bandKeys(sig) : [];
  const lead = leadKey(fp);
  if (lead !== null) keys.push(lead);
  return {
    doc,
    analysis: {
      lang,
      script: detected.script,
      titleTerms,
      bodyTerms,
      tickers: [...tickers],
      contentHash,
      recordHash,
      normHash: norm.length > 0 ? sha256Hex(norm) : '',
      minhash: sig,
      bandKeys: keys,
      shingles: shingleCount(fp),
      ntokens: countTerms(titleTerms) + countTerms(bodyTerms),
      figures: [...figures(folded, true)],
    },
  };
}

/** zh-CN, zh_Hans, ZH -> zh; en-US -> en. */
export function normalizeLang(lang: string): string {
  const l = lang.trim().toLowerCase().replace('_', '-');
  const base = l.split('-')[0] ?? l;
  return base.length > 0 ? base : 'und';
}

function countTerms(s: string): number {
  let n = 0;
  let inTerm = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const sep = c === 32 || c === 10;
    if (!sep && !inTerm) n++;
    inTerm = !sep;
  }
  return n;
}
