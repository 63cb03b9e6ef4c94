/**
 * The user glossary, `<data>/glossary.tsv`: pairs a user teaches (`lodestone glossary
 * add|rm|import|list`). The lexicon re-reads the file when it changes, so a pair takes effect
 * on the next search of a running server; nothing is reindexed. A user's pairs for a phrase
 * replace every built-in pair for it; `rm` of a built-in pair writes a `!` line that blocks it.
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LodestoneError } from '../core/errors.js';
import { enKey, Lexicon, lexicon, parseGlossaryLine, zhKey } from '../search/translate/lexicon.js';

export function glossaryPath(dataDir: string): string {
  return join(dataDir, 'glossary.tsv');
}

const HAN = /\p{Script=Han}/u;
const LATIN = /[A-Za-z]/;

function checkPair(en: string, zh: string): void {
  if (!LATIN.test(en) || HAN.test(en) || /[\t\n|]/.test(en)) throw new LodestoneError('bad_request', `"${en}" is not an English phrase (letters, no tabs or "|")`);
  if (!HAN.test(zh) || /[\t\n|]/.test(zh)) throw new LodestoneError('bad_request', `"${zh}" is not a Chinese word`);
  if (enKey(en) === '') throw new LodestoneError('bad_request', `"${en}" has no searchable words`);
}

function read(dataDir: string): string {
  try {
    return readFileSync(glossaryPath(dataDir), 'utf8');
  } catch {
    return '';
  }
}

function writeAtomically(dataDir: string, text: string): void {
  mkdirSync(dataDir, { recursive: true });
  const tmp = `${glossaryPath(dataDir)}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, glossaryPath(dataDir));
}

function touched(): void {
  lexicon().invalidate();
}

/** Teach pairs: `en` searched also as every `zh`, and each `zh` as `en`. */
export function addPairs(dataDir: string, en: string, zh: string[]): number {
  const words = zh.map((z) => z.trim()).filter(Boolean);
  if (words.length === 0) throw new LodestoneError('bad_request', 'give the Chinese form(s) after the English phrase');
  for (const z of words) checkPair(en.trim(), z);
  mkdirSync(dataDir, { recursive: true });
  const text = read(dataDir);
  appendFileSync(glossaryPath(dataDir), `${text === '' || text.endsWith('\n') ? '' : '\n'}${en.trim()}\t${words.join('|')}\n`);
  touched();
  return words.length;
}

export interface GlossaryLine {
  en: string;
  zh: string;
  blocked: boolean;
}

/** The user's pairs and blocked pairs, in file order (later lines win). */
export function listPairs(dataDir: string): GlossaryLine[] {
  const out: GlossaryLine[] = [];
  for (const line of read(dataDir).split('\n')) {
    const g = parseGlossaryLine(line);
    if (!g) continue;
    for (const e of g.en) for (const z of g.zh) out.push({ en: e, zh: z, blocked: g.block });
  }
  return out;
}

/**
 * Remove the user's pairs for `en` (all of them, or those with the given Chinese forms), and
 * block the given forms where a built-in source (our glossary, aliases, CC-CEDICT) pairs them.
 */
export function removePairs(dataDir: string, en: string, zh: string[] = []): { removed: number; blocked: number } {
  const key = enKey(en);
  const zks = new Set(zh.map(zhKey));
  let removed = 0;
  const kept: string[] = [];
  for (const line of read(dataDir).split('\n')) {
    const g = parseGlossaryLine(line);
    if (!g || g.block) {
      if (line.trim() !== '') kept.push(line);
      continue;
    }
    const ens = g.en.filter((e) => enKey(e) === key);
    if (ens.length === 0) {
      kept.push(line);
      continue;
    }
    const others = g.en.filter((e) => enKey(e) !== key);
    const zhLeft = zks.size === 0 ? [] : g.zh.filter((z) => !zks.has(zhKey(z)));
    removed += ens.length * (g.zh.length - zhLeft.length);
    if (others.length > 0) kept.push(`${others.join('|')}\t${g.zh.join('|')}`);
    if (zhLeft.length > 0) kept.push(`${ens.join('|')}\t${zhLeft.join('|')}`);
  }
  // Built-in pairs the user named are blocked (a fresh lexicon without the user's file says which exist).
  const builtin = new Lexicon(null).english(key);
  let blocked = 0;
  for (const z of zh) {
    if (builtin.some((c) => zhKey(c.text) === zhKey(z))) {
      kept.push(`!${en.trim()}\t${z.trim()}`);
      blocked++;
    }
  }
  if (removed === 0 && blocked === 0) {
    const what = zh.length > 0 ? `${en}" and "${zh.join('", "')}` : en;
    throw new LodestoneError('not_found', `no glossary pair for "${what}"`);
  }
  writeAtomically(dataDir, kept.length ? `${kept.join('\n')}\n` : '');
  touched();
  return { removed, blocked };
}

/** Add every pair of a TSV file (`english[|english…] <TAB> 中文[|中文…]`); bad lines are reported, not added. */
export function importPairs(dataDir: string, file: string): { added: number; errors: { line: number; reason: string }[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new LodestoneError('bad_request', `cannot read ${file}: ${(err as Error).message}`);
  }
  const good: string[] = [];
  const errors: { line: number; reason: string }[] = [];
  let added = 0;
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '' || line.trim().startsWith('#')) return;
    const g = parseGlossaryLine(line);
    if (!g || g.block) {
      errors.push({ line: i + 1, reason: 'expected "english<TAB>中文" (several forms separated by "|")' });
      return;
    }
    try {
      for (const e of g.en) for (const z of g.zh) checkPair(e, z);
    } catch (err) {
      errors.push({ line: i + 1, reason: (err as Error).message });
      return;
    }
    good.push(`${g.en.join('|')}\t${g.zh.join('|')}`);
    added += g.en.length * g.zh.length;
  });
  if (good.length > 0) {
    mkdirSync(dataDir, { recursive: true });
    const cur = read(dataDir);
    appendFileSync(glossaryPath(dataDir), `${cur === '' || cur.endsWith('\n') ? '' : '\n'}${good.join('\n')}\n`);
    touched();
  }
  return { added, errors };
}
