/**
 * Hostile files (issue 17, items 1, 2, 7, 10): compression bombs, deep nesting, sparse and
 * gzip-bombed bulk files, UTF-16 and broken text. Each input is generated here; each must
 * end with a clear per-item error (or a clean document) in bounded time and memory, with the
 * rest of the batch stored. Bounds are loose (an order of magnitude), not benchmarks.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExtractionSandbox } from '../../src/extract/sandbox.js';
import { ingestTargets } from '../../src/services/ingest.js';
import { searchDocuments } from '../../src/services/search.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';
import { docxParagraphBomb, docxTextBomb, gzipNewlines, nestedHtml, pdfFlateBomb, sparseFile, utf16 } from '../helpers/hostile.js';

const GOOD = JSON.stringify({ id: 'ok1', title: '稀土价格上涨', body: '氧化镨钕价格上涨。', source: '示例', published_at: '2025-07-01' });

/** Peak RSS of this process while `fn` runs (sampled every 20 ms). */
async function peakRss<T>(fn: () => Promise<T>): Promise<{ value: T; peakMb: number; ms: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  const t = performance.now();
  try {
    const value = await fn();
    return { value, peakMb: peak / 1024 / 1024, ms: performance.now() - t };
  } finally {
    clearInterval(timer);
  }
}

describe('compression bombs are refused before they are built', () => {
  it('a DOCX of six million paragraphs, a DOCX of 1 GB of text and a PDF with a 1 GB stream: per-file errors, the rest stored', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a-paragraphs.docx'), await docxParagraphBomb());
    writeFileSync(join(dir, 'b-text.docx'), await docxTextBomb());
    writeFileSync(join(dir, 'c-stream.pdf'), await pdfFlateBomb());
    writeFileSync(join(dir, 'd-good.ndjson'), `${GOOD}\n`);
    const store = SqliteStore.open(tempDir());
    const before = process.memoryUsage.rss() / 1024 / 1024;
    const { value: report, peakMb, ms } = await peakRss(() => ingestTargets(store, [dir], { workers: 0 }));
    const reasons = report.errors.map((e) => `${e.location.replace(dir, '')}: ${e.reason}`);
    expect(reasons).toEqual([
      expect.stringMatching(/a-paragraphs\.docx: .*inflates to more than 48 MB/),
      expect.stringMatching(/b-text\.docx: .*inflates to more than 48 MB/),
      expect.stringMatching(/c-stream\.pdf: .*inflate past 128 MB/),
    ]);
    expect(report.inserted).toBe(1);
    // Before: 5.4 GB and a dead process after ~55 s (the paragraph bomb); 2.2-2.3 GB (the others).
    expect(ms).toBeLessThan(30_000);
    expect(peakMb - before).toBeLessThan(1_000);
    await store.close();
  });

  it('the sandbox ends a job past its deadline and keeps working', async () => {
    const sandbox = new ExtractionSandbox({ timeoutMs: 300 });
    try {
      // 200,000 paragraphs of HTML: more work than 300 ms allows.
      const html = Buffer.from(`<html><body>${'<p>稀土价格上涨，出口管制加强。</p>'.repeat(200_000)}</body></html>`);
      await expect(sandbox.extract({ format: 'html', bytes: html })).rejects.toThrow(/took longer than 300 ms/);
      const ok = await sandbox.extract({ format: 'text', bytes: Buffer.from('稀土价格上涨。\n\n第二段。') });
      expect(ok.kind === 'document' && ok.paragraphs.length).toBe(2);
    } finally {
      await sandbox.close();
    }
  });

  it('a job whose caller gave up is abandoned at once', async () => {
    const sandbox = new ExtractionSandbox();
    try {
      const ctl = new AbortController();
      const html = Buffer.from(`<html><body>${'<p>稀土价格上涨。</p>'.repeat(300_000)}</body></html>`);
      const t = performance.now();
      const job = sandbox.extract({ format: 'html', bytes: html }, ctl.signal);
      setTimeout(() => ctl.abort(), 100);
      await expect(job).rejects.toThrow(/client went away/);
      expect(performance.now() - t).toBeLessThan(2_000);
    } finally {
      await sandbox.close();
    }
  });
});

describe('deeply nested HTML', () => {
  it('2,000 and 5,000 levels are read in well under a second of work each, 100,000 levels are flattened', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'deep2000.html'), nestedHtml(2_000));
    writeFileSync(join(dir, 'deep5000.html'), nestedHtml(5_000));
    writeFileSync(join(dir, 'deep100k.html'), nestedHtml(100_000));
    const store = SqliteStore.open(tempDir());
    const t = performance.now();
    const report = await ingestTargets(store, [dir], { workers: 0 });
    // Before: 2,000 levels blocked the event loop for 45 s, 5,000 for over 10 minutes.
    expect(performance.now() - t).toBeLessThan(15_000);
    expect(report.failed).toBe(0);
    expect(report.inserted).toBe(3);
    expect((await searchDocuments(store, { q: '出口管制', collapse: false })).total).toBe(3);
    await store.close();
  });
});

describe('bulk files', () => {
  it('a 1 GB sparse .json is read as a stream and refused at its first element', async () => {
    const dir = tempDir();
    const path = join(dir, 'sparse.json');
    sparseFile(path, 1024 * 1024 * 1024, '[');
    writeFileSync(join(dir, 'z-good.ndjson'), `${GOOD}\n`);
    const store = SqliteStore.open(tempDir());
    const { value: report, peakMb, ms } = await peakRss(() => ingestTargets(store, [dir], { workers: 0 }));
    expect(report.errors.map((e) => e.reason)).toEqual([expect.stringMatching(/not a JSON array: element 1 starts with byte 0x00/)]);
    expect(report.inserted).toBe(1);
    // Before: the whole file was read into memory (2.2 GB RSS).
    expect(peakMb).toBeLessThan(1_200);
    expect(ms).toBeLessThan(10_000);
    await store.close();
  });

  it('a .json array is streamed element by element: one bad element is one error', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'items.json'),
      `[\n${GOOD},\n{"id": "bad", "title": },\n${JSON.stringify({ id: 'ok2', title: '锂价', body: '碳酸锂价格回落。', published_at: '2023年7月20日' })}\n]`,
    );
    const store = SqliteStore.open(tempDir());
    const report = await ingestTargets(store, [dir], { workers: 0 });
    expect(report.inserted).toBe(2);
    expect(report.errors).toEqual([{ location: expect.stringMatching(/items\.json\[1\]$/), reason: expect.stringMatching(/malformed JSON/) }]);
    // A day is a date: the start of that day in LODESTONE_TZ (Asia/Shanghai by default).
    const [doc] = await store.findByPublicId('ok2');
    expect(doc?.publishedAt).toBe(Date.parse('2023-07-20T00:00:00+08:00'));
    await store.close();
  });

  it('a gzip bomb of newlines stops the CLI at its ratio cap, quickly', async () => {
    const dir = tempDir();
    const path = join(dir, 'newlines.ndjson.gz');
    writeFileSync(path, await gzipNewlines(1024 * 1024 * 1024));
    const t = performance.now();
    const r = await runCli(['ingest', path, '--data', tempDir(), '--json']);
    // Before: busy past 90 s.
    expect(performance.now() - t).toBeLessThan(30_000);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).errors[0].reason).toMatch(/more than 100 times its size/);
  });
});

describe('encodings and broken text', () => {
  it('UTF-16 files and NDJSON with a byte-order mark are decoded; lone surrogates become U+FFFD; an empty .html says why', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'le.txt'), utf16('稀土永磁周报\n\n氧化镨钕价格上涨。', 'le'));
    writeFileSync(join(dir, 'be.md'), utf16('# 锂电周报\n\n碳酸锂价格回落。', 'be'));
    writeFileSync(join(dir, 'lines.ndjson'), utf16(`${GOOD}\n${JSON.stringify({ id: 'u2', title: '钴价', body: '钴价走强。' })}\n`, 'le'));
    // "\ud800" in JSON text is a lone surrogate once parsed.
    writeFileSync(join(dir, 'lone.ndjson'), '{"id": "s1", "title": "broken \\ud800 title", "body": "text \\udc00 here"}\n');
    writeFileSync(join(dir, 'empty.html'), '');
    const store = SqliteStore.open(tempDir());
    const report = await ingestTargets(store, [dir], { workers: 0 });
    expect(report.inserted).toBe(5);
    expect(report.errors.map((e) => `${e.location.replace(dir, '')}: ${e.reason}`)).toEqual(['/empty.html: no text found']);
    expect((await searchDocuments(store, { q: '氧化镨钕' })).total).toBe(2);
    expect((await searchDocuments(store, { q: '碳酸锂' })).total).toBe(1);
    const [s1] = await store.findByPublicId('s1');
    expect(s1?.title).toBe('broken \uFFFD title');
    expect(s1?.paragraphs[0]?.text).toBe('text \uFFFD here');
    await store.close();
  });
});

describe('upload temp files', () => {
  it('a server start removes upload copies a killed server left behind', async () => {
    const data = tempDir();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(data, 'tmp', 'upload-leftover'), { recursive: true });
    writeFileSync(join(data, 'tmp', 'upload-leftover', 'big.docx'), 'x');
    const { openContext } = await import('../../src/services/context.js');
    const { startServer } = await import('../../src/http/server.js');
    const ctx = openContext({ dataDir: data });
    const server = await startServer(ctx, { port: 0, host: '127.0.0.1' });
    try {
      expect(existsSync(join(data, 'tmp')) ? readdirSync(join(data, 'tmp')) : []).toEqual([]);
    } finally {
      await server.close();
      await ctx.store.close();
    }
  });
});
