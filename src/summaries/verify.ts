/**
 * The citation verifier: any text with [n] markers, checked point by point against the
 * document it cites. For every point:
 *   1. it has at least one citation, and each [n] is a paragraph of the document;
 *   2. every figure in it (amounts, percentages, tonnages, dates, counts) is stated in the
 *      cited paragraphs, across languages and units (figures.ts);
 *   3. every named entity in it (tickers, companies, people, places, organizations) appears
 *      in the cited paragraphs, by name or by an alias from dict/aliases.tsv.
 * A point is the text before a run of citation markers ("… 出口管制[2][5]"); text after the
 * last marker that says something is a point without citations.
 *
 * What it cannot check: whether the cited paragraph supports the claim's meaning (a
 * sentence that negates its source with the same figures and names passes), entities the
 * tagger does not recognise, and cross-language names missing from the alias list.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTickers } from '../analysis/entities.js';
import { foldText } from '../analysis/normalize.js';
import { chineseSegmenter } from '../analysis/segmenters/chinese.js';
import { extractFigures, type Figure, sameFigure } from './figures.js';

export interface VerifiedPoint {
  text: string;
  citations: number[];
  verified: boolean;
  problems: string[];
}

export interface VerifyResult {
  points: VerifiedPoint[];
}

const CITATION_RUN = /(?:\s*[[［【](\d+(?:\s*[,，、\-–]\s*\d+)*)[\]］】])+/gu;

/** Split text into points: each ends with its run of citation markers. */
export function splitPoints(text: string): { text: string; citations: number[] }[] {
  const out: { text: string; citations: number[] }[] = [];
  let at = 0;
  for (const m of text.matchAll(CITATION_RUN)) {
    const body = cleanPoint(text.slice(at, m.index));
    const citations: number[] = [];
    for (const inner of m[0].matchAll(/[[［【]([^\]］】]+)[\]］】]/gu)) {
      for (const part of inner[1]!.split(/[,，、]/)) {
        const range = /^\s*(\d+)\s*[-–]\s*(\d+)\s*$/.exec(part);
        if (range) {
          const a = Number(range[1]);
          const b = Number(range[2]);
          for (let n = a; n <= b && n - a < 50; n++) citations.push(n);
        } else if (part.trim() !== '') citations.push(Number(part.trim()));
      }
    }
    if (body !== '') out.push({ text: body, citations: [...new Set(citations)] });
    else if (out.length > 0) out[out.length - 1]!.citations.push(...citations.filter((c) => !out[out.length - 1]!.citations.includes(c)));
    at = m.index + m[0].length;
  }
  const rest = cleanPoint(text.slice(at));
  // Trailing text without a marker is a point only if it says something (not a heading).
  if (rest !== '' && /[\p{L}\p{N}]/u.test(rest) && !isHeading(rest)) out.push({ text: rest, citations: [] });
  return out;
}

/** Strip bullets, separators and section headings ("Core Viewpoint -", "Group 1: theme -") from a point. */
function cleanPoint(s: string): string {
  let t = s.trim();
  // A heading line before the point: keep only the last line.
  const lines = t.split(/\n+/).map((l) => l.trim()).filter((l) => l !== '' && !isHeading(l));
  t = lines.length > 0 ? lines[lines.length - 1]! : '';
  t = t.replace(/^(?:Core Viewpoint|核心观点|Group\s*\d+\s*[:：][^-—–]*|第?[一二三四五六七八九十\d]+组\s*[:：][^-—–]*|Investment Rating|投资评级|Future Outlook|未来展望|Company Overview|公司概况)\s*[-—–:：]\s*/i, '');
  t = t.replace(/^[\s\-—–•·*]+/, '').replace(/[\s\-—–]+$/, '');
  return t.trim();
}

function isHeading(line: string): boolean {
  const l = line.trim();
  return (
    /^#{1,6}\s/.test(l) ||
    /^(?:Core Viewpoint|核心观点|Summary by Sections|分章节摘要|Key Points and Arguments|要点|Future Outlook|未来展望|Company Overview|公司概况|Investment Rating|投资评级)\s*[:：]?$/i.test(l) ||
    /^(?:Group\s*\d+|第?[一二三四五六七八九十\d]+组)\s*[:：][^-—–。.!?！？]*$/i.test(l)
  );
}

// ---------------------------------------------------------------------------------------

let aliasIndex: Map<string, string[]> | null = null;

/** name (folded) -> every name of the same entity (folded), from dict/aliases.tsv. */
function aliases(): Map<string, string[]> {
  if (aliasIndex) return aliasIndex;
  const here = dirname(fileURLToPath(import.meta.url));
  const file = join(here, '..', '..', 'dict', 'aliases.tsv');
  aliasIndex = new Map();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const names = line.split('\t').map((n) => foldText(n.trim())).filter(Boolean);
    for (const n of names) aliasIndex.set(n, names);
  }
  return aliasIndex;
}

const NOT_ENTITIES = new Set(
  [
    'the', 'a', 'an', 'in', 'on', 'at', 'q1', 'q2', 'q3', 'q4', 'h1', 'h2', 'i', 'we', 'it', 'core', 'viewpoint', 'group',
    'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december',
    'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday',
    'usd', 'cny', 'rmb', 'hkd', 'eur', 'jpy', 'gdp', 'cpi', 'ppi', 'pmi', 'yoy', 'qoq', 'mom', 'ceo', 'cfo', 'ipo', 'etf',
    'gw', 'mw', 'gwh', 'mwh', 'kg', 'ev', 'evs', 'ai',
  ].map((w) => w.toLowerCase()),
);
const ENTITY_TAGS = new Set(['nr', 'nrt', 'nrfg', 'ns', 'nsf', 'nt', 'nz']);

/** Named entities in a point: tickers, capitalized names and acronyms, and jieba's proper nouns. */
export function extractEntities(text: string): string[] {
  const found = new Set<string>();
  for (const t of findTickers(text)) found.add(t);
  // Latin: runs of capitalized words; a single capitalized word opening a sentence is not a name.
  for (const m of text.matchAll(/(?:^|[^\p{L}\p{N}])((?:[A-Z][\p{L}\p{N}&'.-]*)(?:\s+(?:[A-Z][\p{L}\p{N}&'.-]*|of|and|&))*)/gu)) {
    let name = m[1]!.replace(/\s+(?:of|and|&)$/, '').replace(/[.'-]+$/, '');
    const start = m.index + m[0].length - m[1]!.length;
    const before = text.slice(0, start).trimEnd();
    const sentenceStart = before === '' || /[.!?;。！？；:：\-—]$/.test(before);
    const words = name.split(/\s+/);
    // A lone capitalized word opening a sentence is a name only if it is a known one.
    if (sentenceStart && words.length === 1 && !/^[A-Z]{2,}$/.test(name) && !aliases().has(foldText(name))) continue;
    if (sentenceStart && words.length > 1 && !/^[A-Z]{2,}$/.test(words[0]!) && NOT_ENTITIES.has(words[0]!.toLowerCase())) {
      name = words.slice(1).join(' ');
    }
    if (name.length < 2 || NOT_ENTITIES.has(name.toLowerCase())) continue;
    found.add(name);
  }
  // Chinese: proper nouns by part of speech.
  if (/\p{Script=Han}/u.test(text)) {
    for (const { word, tag } of chineseSegmenter().tag(text)) {
      if (ENTITY_TAGS.has(tag) && [...word].length >= 2 && /\p{Script=Han}/u.test(word)) found.add(word);
    }
  }
  return [...found];
}

function entityIn(entity: string, folded: string, tickers: Set<string>): boolean {
  const f = foldText(entity);
  if (tickers.has(entity.toUpperCase())) return true;
  const names = aliases().get(f) ?? [f];
  return names.some((n) => (/^[a-z0-9 .&'-]+$/.test(n) ? wordIn(n, folded) : folded.includes(n)));
}

/** A Latin name must match whole words ("US" is not found inside "bonus"). */
function wordIn(name: string, folded: string): boolean {
  let i = folded.indexOf(name);
  while (i >= 0) {
    const before = folded[i - 1] ?? ' ';
    const after = folded[i + name.length] ?? ' ';
    if (!/[a-z0-9]/.test(before) && !/[a-z0-9]/.test(after)) return true;
    i = folded.indexOf(name, i + 1);
  }
  return false;
}

const fmtCites = (c: number[]) => c.map((n) => `[${n}]`).join('');

/** Verify one point against the document's paragraphs (paragraph n = paragraphs[n - 1]). */
export function verifyPoint(point: { text: string; citations: number[] }, paragraphs: string[]): VerifiedPoint {
  const problems: string[] = [];
  if (point.citations.length === 0) problems.push('no citation');
  const valid = point.citations.filter((n) => Number.isInteger(n) && n >= 1 && n <= paragraphs.length);
  for (const n of point.citations) {
    if (!valid.includes(n)) problems.push(`citation [${n}] does not exist (the document has ${paragraphs.length} paragraphs)`);
  }
  if (valid.length > 0) {
    const cited = valid.map((n) => paragraphs[n - 1]!).join('\n');
    const sourceFigures: Figure[] = extractFigures(cited);
    for (const f of extractFigures(point.text)) {
      if (!sourceFigures.some((g) => sameFigure(f, g))) problems.push(`figure "${f.text}" is not in ${fmtCites(valid)}`);
    }
    const folded = foldText(cited);
    const tickers = new Set(findTickers(cited));
    for (const e of extractEntities(point.text)) {
      if (!entityIn(e, folded, tickers)) problems.push(`"${e}" is not named in ${fmtCites(valid)}`);
    }
  }
  return { text: point.text, citations: point.citations, verified: problems.length === 0, problems };
}

/** Verify every point of a text with [n] markers against a document's paragraphs. */
export function verifyText(text: string, paragraphs: string[]): VerifyResult {
  return { points: splitPoints(text).map((p) => verifyPoint(p, paragraphs)) };
}
