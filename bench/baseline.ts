/**
 * The baseline a user would pick instead of Lodestone: jieba + plain SQLite FTS5. Text is
 * segmented by jieba (search mode) and stored in a contentful FTS5 table (`unicode61` over
 * the space-joined words); a query is segmented the same way and answered with MATCH,
 * bm25 order, the top 10 with snippets and the exact count — what our search API answers,
 * without collapse or facets.
 *
 *   node --import tsx bench/baseline.ts ingest DB FILE...   (NDJSON, plain or .gz)
 *   node --import tsx bench/baseline.ts serve DB            (prints "at http://…")
 */
import { createReadStream } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { Jieba } from '@node-rs/jieba';
import Database from 'better-sqlite3';
import { capacity, exited, openLoop, type PhaseFigures, startChild } from './concurrent.js';
import { outDir, ROOT } from './common.js';

function jieba(): Jieba {
  const { dict } = createRequire(import.meta.url)('@node-rs/jieba/dict.js') as { dict: Uint8Array };
  return Jieba.withDict(dict);
}

const words = (j: Jieba, s: string) => j.cutForSearch(s, true).filter((w) => /[\p{L}\p{N}]/u.test(w)).join(' ');

function open(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec("CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5(title, body, tokenize='unicode61')");
  return db;
}

async function ingest(path: string, files: string[]): Promise<void> {
  const j = jieba();
  const db = open(path);
  const insert = db.prepare('INSERT INTO docs (title, body) VALUES (?, ?)');
  const write = db.transaction((rows: [string, string][]) => {
    for (const r of rows) insert.run(r[0], r[1]);
  });
  let rows: [string, string][] = [];
  for (const f of files) {
    const input = createReadStream(f);
    const lines = createInterface({ input: f.endsWith('.gz') ? input.pipe(createGunzip()) : input, crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) {
      if (!line.trim()) continue;
      let r: { title?: unknown; body?: unknown; text?: unknown; content?: unknown };
      try {
        r = JSON.parse(line);
      } catch {
        continue;
      }
      const body = [r.body, r.text, r.content].find((v) => typeof v === 'string') as string | undefined;
      rows.push([words(j, String(r.title ?? '')), words(j, body ?? '')]);
      if (rows.length >= 2000) {
        write(rows);
        rows = [];
      }
    }
  }
  write(rows);
  db.close();
}

function serve(path: string): void {
  const j = jieba();
  const db = open(path);
  const top = db.prepare(
    "SELECT rowid, title, snippet(docs, 1, '[', ']', '…', 16) AS snip FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 3, 1) LIMIT 10",
  );
  const count = db.prepare('SELECT count(*) FROM docs WHERE docs MATCH ?').pluck();
  const server = createServer((req, res) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams.get('q') ?? '';
    const terms = j
      .cutForSearch(q, true)
      .filter((w) => /[\p{L}\p{N}]/u.test(w))
      .map((w) => `"${w.replace(/"/g, '""')}"`);
    if (terms.length === 0) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"total":0,"hits":[]}');
    const expr = terms.join(' AND ');
    const body = JSON.stringify({ total: count.get(expr), hits: top.all(expr) });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  server.listen(0, '127.0.0.1', () => console.log(`baseline at http://127.0.0.1:${(server.address() as AddressInfo).port}`));
}

/** Idle, then under a writer inserting `writerFiles`: the same open-loop load as ours. */
export async function baselineConcurrent(
  files: string[],
  writerFiles: string[],
  rate: number,
  idleSeconds: number,
): Promise<{ idle: PhaseFigures; busy: PhaseFigures; writerSecs: number; capacity: number }> {
  const db = join(outDir('baseline'), `concurrent-${Date.now()}.db`);
  const self = join(ROOT, 'bench', 'baseline.ts');
  await exited((await import('node:child_process')).spawn(process.execPath, ['--import', 'tsx', self, 'ingest', db, ...files], { stdio: 'ignore' }));
  const { child, match } = await startChild(['--import', 'tsx', self, 'serve', db], /at (http:\/\/\S+)/);
  const url = match[1]!;
  const QUERIES = ['稀土', '光伏', '储能', '芯片', '黄金', '原油', '降息', '关税', '机器人', '锂电池', '半导体', '美联储', '国际油价', '北向资金', '人民币汇率', '公司'];
  const q = (i: number) => `${url}/?q=${encodeURIComponent(QUERIES[i % QUERIES.length]!)}`;
  for (let i = 0; i < QUERIES.length * 2; i++) await (await fetch(q(i))).arrayBuffer();
  const cap = await capacity(q);
  const idle = await openLoop(q, rate, idleSeconds);
  const writer = (await import('node:child_process')).spawn(process.execPath, ['--import', 'tsx', self, 'ingest', db, ...writerFiles], { stdio: 'ignore' });
  const t = performance.now();
  const busy = await openLoop(q, rate, 600, exited(writer));
  const writerSecs = (performance.now() - t) / 1000;
  child.kill('SIGTERM');
  await exited(child);
  return { idle, busy, writerSecs, capacity: cap };
}

const [mode, path, ...rest] = process.argv.slice(2);
if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('baseline.ts')) {
  if (mode === 'ingest' && path) await ingest(path, rest);
  else if (mode === 'serve' && path) serve(path);
}
