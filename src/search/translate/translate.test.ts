import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/fixtures.js';
import { type OrNode, type QueryNode, printQuery, type TextNode } from '../query/ast.js';
import { checkQueryCost } from '../query/limits.js';
import { parseQuery } from '../query/parse.js';
import { Lexicon } from './lexicon.js';
import { type Evidence, translateQuery } from './translate.js';

/** Evidence from a table of document frequencies (by the leaf's raw text); unknown texts occur in 10 documents. */
function evidence(df: Record<string, number> = {}): Evidence {
  return { df: async (leaf: TextNode) => df[leaf.raw] ?? 10 };
}

const lex = new Lexicon(null);

async function tr(q: string, ev = evidence(), l = lex, off: string[] = []) {
  return translateQuery(parseQuery(q), l, ev, { off: new Set(off) });
}

function concepts(n: QueryNode | null, out: OrNode[] = []): OrNode[] {
  if (n === null) return out;
  if (n.kind === 'or' && n.concept) out.push(n);
  if (n.kind === 'and' || n.kind === 'or') for (const c of n.children) concepts(c, out);
  if (n.kind === 'not') concepts(n.child, out);
  return out;
}

function leaves(n: QueryNode | null, out: TextNode[] = []): TextNode[] {
  if (n === null) return out;
  if (n.kind === 'text') out.push(n);
  if (n.kind === 'and' || n.kind === 'or') for (const c of n.children) leaves(c, out);
  if (n.kind === 'not') leaves(n.child, out);
  return out;
}

describe('query translation', () => {
  it('translates multi-word concepts as units, longest first, never word by word', async () => {
    const { query, translations } = await tr('rare earth export controls');
    const cs = concepts(query);
    expect(cs.map((c) => c.concept!.source)).toEqual(['rare earth', 'export controls']);
    expect(translations.map((t) => [t.source, t.targets.map((x) => x.text)])).toEqual([
      ['rare earth', ['稀土']],
      ['export controls', ['出口管制']],
    ]);
    // The literal is kept as the user wrote it: rare AND earth, export AND controls.
    expect(printQuery(cs[0]!.children[0]!)).toBe('("rare" AND "earth")');
    expect(cs[0]!.concept!.weights[0]).toBe(1);
    expect(cs[0]!.concept!.weights[1]).toBeLessThan(1);
  }, 20_000);

  it('keeps AND / OR / NOT / field structure around the concepts', async () => {
    const { query } = await tr('title:(rare earth) OR lithium -copper source:财联社');
    const printed = printQuery(query);
    expect(printed).toContain('title:"稀土"');
    expect(printed).toContain('"锂"*');
    expect(printed).toMatch(/NOT \("copper" OR "铜"\*/);
    expect(printed).toContain('source:财联社');
  });

  it('reverses: a Chinese word reaches English forms, restricted to documents not in Chinese', async () => {
    const { query, translations } = await tr('原油');
    // "crude oil" is covered by "crude" (every document with the phrase has the word).
    expect(translations[0]!.targets.map((t) => t.text)).toContain('crude');
    expect(translations[0]!.dropped).toContainEqual(expect.objectContaining({ text: 'crude oil', reason: 'covered by crude' }));
    const c = concepts(query)[0]!;
    expect(c.concept!.langs.slice(1).every((l) => l === 'en')).toBe(true);
  });

  it('never expands stop words, and leaves them out beside a translated concept', async () => {
    const { query } = await tr('the economy');
    expect(printQuery(query)).toBe('("economi" OR "经济")');
    const lone = await tr('the');
    expect(lone.translations).toEqual([]);
  });

  it('chooses among CC-CEDICT senses with the corpus and drops an ambiguous word', async () => {
    // "flood": not in our glossary; 洪水 is frequent, the other senses rare.
    const one = await tr('flood', evidence({ 洪水: 400, 洪灾: 150, 水灾: 1, 泛滥: 2 }));
    expect(one.translations[0]!.targets.map((t) => t.text)).toEqual(['洪水', '洪灾']);
    expect(one.translations[0]!.targets.every((t) => t.origin === 'cedict')).toBe(true);
    // Evidence spread evenly over many senses: not translated, and explained.
    const amb = await tr('fishing', evidence({ 钓鱼: 20, 捕鱼: 20, 鱼类: 20, 打鱼: 20, 渔捞: 20 }));
    expect(amb.translations[0]!.targets).toEqual([]);
    expect(amb.translations[0]!.note).toMatch(/ambiguous/);
    expect(printQuery(amb.query)).toBe('"fish"');
  });

  it('drops translations the user switched off, and says so', async () => {
    // 股份回购 is covered by 回购 until 回购 is switched off.
    expect(printQuery((await tr('share buyback')).query)).not.toContain('股份');
    const { query, translations } = await tr('share buyback', evidence(), lex, ['回购']);
    expect(printQuery(query)).toBe('(("share" AND "buyback") OR "股份 份回 回购")');
    expect(translations[0]!.dropped).toContainEqual(expect.objectContaining({ text: '回购', reason: 'switched off' }));
  });

  it('a user glossary pair replaces the built-in ones at once; a blocked pair is gone', async () => {
    const dir = tempDir();
    const path = join(dir, 'glossary.tsv');
    const user = new Lexicon(path);
    expect((await tr('solid-state battery', evidence(), user)).translations[0]!.targets.map((t) => t.text)).toEqual(['固态电池']);
    writeFileSync(path, 'solid-state battery\t全固态电池|固态锂电\n!rare earth\t稀土\n');
    user.invalidate();
    const mine = await tr('solid-state battery', evidence(), user);
    expect(mine.translations[0]!.targets.map((t) => [t.text, t.origin])).toEqual([
      ['全固态电池', 'user'],
      ['固态锂电', 'user'],
    ]);
    expect((await tr('rare earth', evidence(), user)).translations.flatMap((t) => t.targets.map((x) => x.text))).not.toContain('稀土');
  });

  it('stays within the query cost bounds however many concepts a query has', async () => {
    const q = 'copper nickel cobalt lithium zinc tin gallium antimony rare earth gold silver steel coal oil gas chips robots drones';
    const { query, translations } = await tr(q);
    expect(() => checkQueryCost(query)).not.toThrow();
    expect(translations.some((t) => t.dropped.some((d) => /cost/.test(d.reason)))).toBe(true);
  });

  it('property: the literal query survives translation (every leaf the user wrote is still searched)', async () => {
    const words = ['rare', 'earth', 'export', 'controls', 'the', 'copper', '稀土', '出口', '管制', 'lithium', 'zzqx', '"crude oil"', 'title:gold', '-bank'];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 6 }), fc.boolean(), async (ws, useOr) => {
        const q = ws.join(useOr ? ' OR ' : ' ');
        const before = leaves(parseQuery(q)).filter((l) => !(l.raw === 'the'));
        const { query } = await tr(q);
        const after = new Set(leaves(query));
        for (const l of before) expect(after.has(l) || [...after].some((a) => a.raw === l.raw && a.terms.join() === l.terms.join())).toBe(true);
      }),
      { numRuns: 60 },
    );
  }, 30_000);
});
