/**
 * Search across languages, end to end: a small English and Chinese corpus written here,
 * searched through the service, the HTTP API and the CLI (issue 19).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetConfig } from '../src/core/config.js';
import { startServer, type RunningServer } from '../src/http/server.js';
import { type AppContext, openContext } from '../src/services/context.js';
import { ingestRecords } from '../src/services/ingest.js';
import { searchDocuments } from '../src/services/search.js';
import { createWorkflow, previewWorkflow, runNow } from '../src/workflows/service.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/fixtures.js';

const DOCS = [
  { id: 'z1', title: '商务部对稀土物项实施出口管制', body: '商务部宣布对部分稀土物项实施出口管制，稀土企业需申请许可。稀土价格应声上涨。', lang: 'zh', source: '财联社', published_at: '2026-06-01T09:00:00+08:00' },
  { id: 'z2', title: '稀土板块走强', body: '稀土永磁板块午后走强，多只个股涨停。', lang: 'zh', source: '东方财富', published_at: '2026-06-02T09:00:00+08:00' },
  { id: 'z3', title: '出口管制新规落地', body: '新规涉及稀土等关键矿产的出口管制。', lang: 'zh', source: '同花顺', published_at: '2026-06-03T09:00:00+08:00' },
  { id: 'z4', title: '美股异动', body: 'Allied Gold盘前下跌，市场关注矿业股。', lang: 'zh', source: '东方财富', published_at: '2026-06-04T09:00:00+08:00' },
  { id: 'z5', title: '黄金价格创新高', body: '现货黄金突破每盎司3000美元。', lang: 'zh', source: '财联社', published_at: '2026-06-05T09:00:00+08:00' },
  { id: 'z6', title: '固态电池量产在即', body: '多家企业公布全固态电池量产计划。', lang: 'zh', source: '财联社', published_at: '2026-06-06T09:00:00+08:00' },
  { id: 'e1', title: 'China tightens rare earth export controls', body: 'Beijing added rare earth items to its export control list, requiring licences for shipments.', lang: 'en', source: 'Wire', published_at: '2026-06-01T10:00:00Z' },
  { id: 'e2', title: 'Gold hits a record', body: 'Spot gold rose above 3,000 dollars an ounce as investors sought safety.', lang: 'en', source: 'Wire', published_at: '2026-06-05T10:00:00Z' },
];

let ctx: AppContext;
let server: RunningServer;

beforeAll(async () => {
  ctx = openContext({ dataDir: tempDir() });
  await ingestRecords(ctx.store, DOCS, { source: 'fixture' });
  server = await startServer(ctx, { port: 0, host: '127.0.0.1' });
}, 30_000);

afterAll(async () => {
  await server.close();
  await ctx.store.close();
});

const ids = (r: { hits: { id: string }[] }) => r.hits.map((h) => h.id);

describe('search across languages', () => {
  it('an English query finds the Chinese documents about its concepts, and the English literal match ranks first', async () => {
    const r = await searchDocuments(ctx.store, { q: 'rare earth export controls', collapse: false });
    expect(new Set(ids(r))).toEqual(new Set(['e1', 'z1', 'z3']));
    expect(ids(r)[0]).toBe('e1');
    expect(r.translations.map((t) => [t.source, t.targets.map((x) => x.text)])).toEqual([
      ['rare earth', ['稀土']],
      ['export controls', ['出口管制']],
    ]);
    const literal = await searchDocuments(ctx.store, { q: 'rare earth export controls', collapse: false, translate: false });
    expect(ids(literal)).toEqual(['e1']);
    expect(literal.translations).toEqual([]);
  }, 20_000);

  it('Chinese documents found through a translation rank as they do for the Chinese query', async () => {
    const en = await searchDocuments(ctx.store, { q: 'rare earth', collapse: false, lang: ['zh'] });
    const zh = await searchDocuments(ctx.store, { q: '稀土', collapse: false, lang: ['zh'], translate: false });
    expect(ids(en)).toEqual(ids(zh));
  });

  it('a Chinese query reaches English documents, but never a Chinese one that only quotes an English name', async () => {
    const r = await searchDocuments(ctx.store, { q: '黄金', collapse: false });
    expect(new Set(ids(r))).toEqual(new Set(['z5', 'e2'])); // not z4 ("Allied Gold")
    const wires = await searchDocuments(ctx.store, { q: '黄金', collapse: false, lang: ['en'] });
    expect(ids(wires)).toEqual(['e2']);
  });

  it('the API takes translate=false and off=, and returns the translations it searched', async () => {
    const get = async (qs: string) => (await (await fetch(`${server.url}/api/search?${qs}`)).json()) as { total: number; translations: { source: string; targets: { text: string; lang: string; origin: string }[]; off: string[] }[] };
    const both = await get(`q=${encodeURIComponent('rare earth')}&collapse=false`);
    expect(both.translations).toEqual([{ source: 'rare earth', lang: 'en', targets: [{ text: '稀土', lang: 'zh', origin: 'glossary' }], off: [] }]);
    expect(both.total).toBe(4);
    const literal = await get(`q=${encodeURIComponent('rare earth')}&collapse=false&translate=false`);
    expect([literal.total, literal.translations]).toEqual([1, []]);
    const switchedOff = await get(`q=${encodeURIComponent('rare earth')}&collapse=false&off=${encodeURIComponent('稀土')}`);
    expect(switchedOff.total).toBe(1);
    expect(switchedOff.translations).toEqual([{ source: 'rare earth', lang: 'en', targets: [], off: ['稀土'] }]);
    // A reader arriving from the search sees the translation highlighted.
    const doc = (await (await fetch(`${server.url}/api/documents/z2?q=${encodeURIComponent('rare earth')}`)).json()) as { highlights: { title: [number, number][] } };
    expect(doc.highlights.title).toEqual([[0, 2]]);
  });

  it('a pair taught with `lodestone glossary add` applies to the next search of a running server, and rm takes it back', async () => {
    const before = await (await fetch(`${server.url}/api/search?q=${encodeURIComponent('all-solid-state battery')}&collapse=false`)).json();
    expect((before as { total: number }).total).toBe(0);
    const add = await runCli(['glossary', 'add', 'all-solid-state battery', '全固态电池', '--data', ctx.dataDir]);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/added 1 pair/);
    await new Promise((r) => setTimeout(r, 600)); // the lexicon looks at the file at most twice a second
    const after = (await (await fetch(`${server.url}/api/search?q=${encodeURIComponent('all-solid-state battery')}&collapse=false`)).json()) as { hits: { id: string }[]; translations: { targets: { origin: string }[] }[] };
    expect(ids(after)).toEqual(['z6']);
    expect(after.translations[0]!.targets[0]!.origin).toBe('user');
    const list = await runCli(['glossary', 'list', '--json', '--data', ctx.dataDir]);
    expect(JSON.parse(list.stdout).pairs).toEqual([{ en: 'all-solid-state battery', zh: '全固态电池', blocked: false }]);
    const rm = await runCli(['glossary', 'rm', 'all-solid-state battery', '--data', ctx.dataDir]);
    expect(rm.code, rm.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 600));
    const gone = (await (await fetch(`${server.url}/api/search?q=${encodeURIComponent('all-solid-state battery')}&collapse=false`)).json()) as { total: number };
    expect(gone.total).toBe(0);
  }, 60_000);

  it('a workflow written in English tracks the Chinese sources too; its preview lists the translations', async () => {
    const input = { name: 'rare-earth-controls', query: 'rare earth export controls', first_run_days: 3650, summarize: false };
    const preview = await previewWorkflow(ctx, input);
    expect(preview.translations.map((t) => t.source)).toEqual(['rare earth', 'export controls']);
    await createWorkflow(ctx, input);
    const run = await runNow(ctx, 'rare-earth-controls');
    expect(new Set(run.items.map((i) => i.id))).toEqual(new Set(['e1', 'z1', 'z3']));
    // A workflow can track the literal query only (`--no-translate`, the editor's switch, `translate: false`).
    const literal = { ...input, name: 'literal-controls', translate: false };
    expect((await previewWorkflow(ctx, literal)).translations).toEqual([]);
    await createWorkflow(ctx, literal);
    expect((await runNow(ctx, 'literal-controls')).items.map((i) => i.id)).toEqual(['e1']);
    const shown = await runCli(['workflow', 'show', 'literal-controls', '--json', '--data', ctx.dataDir]);
    expect(JSON.parse(shown.stdout)).toMatchObject({ name: 'literal-controls', translate: false });
    const edited = await runCli(['workflow', 'edit', 'literal-controls', '--translate', '--json', '--data', ctx.dataDir]);
    expect(edited.code, edited.stderr).toBe(0);
    expect((await runCli(['workflow', 'show', 'literal-controls', '--data', ctx.dataDir])).stdout).toContain('(both languages)');
  }, 60_000);

  it('`glossary import` adds the good lines of a TSV and reports each bad one with its line number', async () => {
    const dir = tempDir();
    const file = join(dir, 'pairs.tsv');
    writeFileSync(file, '# my pairs\nsodium battery\t钠电池|钠离子电池\nno tab here\n固态\tsolid\n');
    const r = await runCli(['glossary', 'import', file, '--data', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/added 2 pair\(s\).*2 line\(s\) skipped/);
    expect(r.stderr).toMatch(/pairs\.tsv:3: expected/);
    expect(r.stderr).toMatch(/pairs\.tsv:4: "固态" is not an English phrase/);
  }, 30_000);

  it('weighing a translation long after the last search is not stopped by that search\'s time budget', async () => {
    process.env.LODESTONE_QUERY_TIMEOUT_MS = '100';
    resetConfig();
    try {
      await searchDocuments(ctx.store, { q: '稀土', translate: false });
      await new Promise((r) => setTimeout(r, 250));
      // "flood" is not in our glossary: its CC-CEDICT senses are weighed with the store's document frequencies.
      const r = await searchDocuments(ctx.store, { q: 'flood market', explain: true });
      expect(r.translations.map((t) => t.source)).toContain('market');
    } finally {
      delete process.env.LODESTONE_QUERY_TIMEOUT_MS;
      resetConfig();
    }
  });

  it('`glossary harvest` learns entity names printed side by side in the documents', async () => {
    const dir = tempDir();
    const c = openContext({ dataDir: dir });
    await ingestRecords(c.store, [
      { id: 'h1', body: '泰京银行（Krung Thai Bank）获上调评级至“中性”。', source: 'a' },
      { id: 'h2', body: '分析师称，泰京银行(Krung Thai Bank)的资产质量改善。', source: 'b' },
      { id: 'h3', body: '投资银行道明考恩(TD Cowen)上调目标价。', source: 'a' },
      { id: 'h4', body: '据道明考恩（TD Cowen）分析师，需求强劲。', source: 'b' },
      { id: 'h5', body: '汇丰银行将思科（CSCO.O）评级下调。另据思科（CSCO.O）公告。', source: 'a' },
      { id: 'h6', body: '宣布收购甲乙公司（Alpha Beta）一次。', source: 'a' },
    ]);
    const r = await runCli(['glossary', 'harvest', '--json', '--data', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ documents: 6, pairs: 2 });
    const bank = await searchDocuments(c.store, { q: 'Krung Thai Bank', collapse: false });
    expect(bank.translations).toMatchObject([{ source: 'Krung Thai Bank', targets: [{ text: '泰京银行', origin: 'alias' }] }]);
    expect(new Set(ids(bank))).toEqual(new Set(['h1', 'h2']));
    // The shared ending of every sighting is the name (not 投资银行道明考恩); a ticker is not a name.
    expect((await searchDocuments(c.store, { q: 'TD Cowen', collapse: false })).translations[0]!.targets.map((t) => t.text)).toEqual(['道明考恩']);
    expect((await searchDocuments(c.store, { q: '思科', collapse: false })).translations).toEqual([]);
    await c.store.close();
  }, 60_000);

  it('the CLI searches both languages by default, --no-translate the literal query, --explain says why', async () => {
    const both = await runCli(['search', 'rare earth', '--data', ctx.dataDir, '--no-collapse']);
    expect(both.stdout).toMatch(/^4 results/);
    expect(both.stdout).toContain('rare earth → 稀土');
    const literal = await runCli(['search', 'rare earth', '--no-translate', '--data', ctx.dataDir, '--no-collapse']);
    expect(literal.stdout).toMatch(/^1 result/);
    const explain = await runCli(['search', 'gold', '--explain', '--data', ctx.dataDir, '--limit', '1']);
    expect(explain.stdout).toMatch(/gold → 黄金.*\[word found in the glossary\]/);
  }, 60_000);
});
