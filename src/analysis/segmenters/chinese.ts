/**
 * Chinese word segmentation: jieba's dictionary plus Lodestone's finance and industry
 * vocabulary (`dict/finance.txt`) plus an optional user dictionary file. Used for queries
 * (how an unspaced query splits into words), for highlighting and for summary headings (summaries/headings.ts); the
 * full-text index itself is dictionary-independent (see terms.ts), so a new user word
 * takes effect for queries at once and never needs a reindex.
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Jieba } from '@node-rs/jieba';
import type { Segment, Segmenter } from './segmenter.js';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

/** Path of the built-in finance dictionary (works from src/ and from dist/). */
export const BUILTIN_DICT = join(here, '..', '..', '..', 'dict', 'finance.txt');

const SEP_RE = /^[\s\p{P}\p{S}]+$/u;

export class ChineseSegmenter implements Segmenter {
  readonly name = 'zh_jieba_v1';
  private jieba: Jieba;
  private userDictPath: string | null;
  private userDictMtime = -1;
  private lastCheck = 0;

  constructor(options: { userDictPath?: string | null } = {}) {
    const { dict } = require('@node-rs/jieba/dict.js') as { dict: Uint8Array };
    this.jieba = Jieba.withDict(dict);
    this.jieba.loadDict(readFileSync(BUILTIN_DICT));
    this.userDictPath = options.userDictPath ?? null;
    this.refreshUserDict(true);
  }

  /**
   * Reload the user dictionary when its file changed (checked at most once a second), so a
   * word added with `lodestone dict add` applies to the next query of a running server.
   */
  refreshUserDict(force = false): void {
    if (!this.userDictPath) return;
    const now = Date.now();
    if (!force && now - this.lastCheck < 1000) return;
    this.lastCheck = now;
    let mtime: number;
    try {
      mtime = statSync(this.userDictPath).mtimeMs;
    } catch {
      return; // no user dictionary yet
    }
    if (mtime === this.userDictMtime) return;
    this.jieba.loadDict(readFileSync(this.userDictPath));
    this.userDictMtime = mtime;
  }

  /** Words with jieba's part-of-speech tags (nr person, ns place, nt organization, nz other proper noun, …). */
  tag(text: string): { word: string; tag: string }[] {
    this.refreshUserDict();
    return this.jieba.tag(text, true);
  }

  /** Words in order, lossless: concatenating `text` of all segments gives the input back. */
  segment(text: string): Segment[] {
    this.refreshUserDict();
    const pieces = this.jieba.cut(text, true);
    const out: Segment[] = [];
    let pos = 0;
    for (const p of pieces) {
      // jieba returns the input's own characters; verify instead of trusting it blindly.
      const at = text.startsWith(p, pos) ? pos : text.indexOf(p, pos);
      if (at < 0) continue;
      if (at > pos) out.push(piece(text.slice(pos, at), pos));
      out.push(piece(p, at));
      pos = at + p.length;
    }
    if (pos < text.length) out.push(piece(text.slice(pos), pos));
    return out;
  }
}

function piece(text: string, start: number): Segment {
  return { text, start, end: start + text.length, isSeparator: SEP_RE.test(text) };
}

let shared: ChineseSegmenter | null = null;
let sharedUserDict: string | null = null;

/** The user dictionary the process-wide segmenter reads (applies when it is first loaded). */
export function setUserDictionary(path: string | null): void {
  sharedUserDict = path;
}

/**
 * One process-wide segmenter, loaded on first use (jieba's dictionary takes 0.1–0.5 s and
 * ~40 MB): queries, summaries and citation checks need it, an ingest does not.
 */
export function chineseSegmenter(): ChineseSegmenter {
  if (shared === null) shared = new ChineseSegmenter({ userDictPath: sharedUserDict });
  return shared;
}
