/**
 * npm run bench:web — the web app's budget: JavaScript sent on first load (gzip, as the
 * server sends it) and keystroke-to-rendered-results in Chromium (the Performance API
 * measure `lodestone:search-to-render`) over the generated 100,000-document database that
 * `npm run bench -- generated` leaves in bench/out. Skips with a message when the database,
 * the built app or Chromium is missing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from '../src/http/server.js';
import { webDir } from '../src/http/static.js';
import { openContext } from '../src/services/context.js';
import { machine, OUT, outDir, percentile } from './common.js';

const CHROMIUM = process.env.LODESTONE_CHROMIUM ?? '/usr/bin/chromium';
const dbDir = outDir('generated-100000');
const web = webDir();
const why = !existsSync(join(dbDir, 'lodestone.db'))
  ? `no database at ${dbDir} (run: npm run bench -- generated)`
  : web === null
    ? 'the web app is not built (npm run build)'
    : !existsSync(CHROMIUM)
      ? `no Chromium at ${CHROMIUM}`
      : null;
if (why) {
  console.log(`bench:web skipped: ${why}`);
  process.exit(0);
}

/** Bytes on the wire for a path, asking for gzip like a browser, and the cache header. */
function wire(url: string): Promise<{ bytes: number; encoding: string; cache: string }> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () =>
        resolve({ bytes, encoding: String(res.headers['content-encoding'] ?? 'none'), cache: String(res.headers['cache-control'] ?? '') }),
      );
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

const ctx = openContext({ dataDir: dbDir });
const server = await startServer(ctx, { port: 0, host: '127.0.0.1' });
const lines: string[] = [];
const say = (s = '') => {
  console.log(s);
  lines.push(s);
};
try {
  const html = readFileSync(join(web!, 'index.html'), 'utf8');
  const scripts = [...html.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1]!);
  const styles = [...html.matchAll(/<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"/g)].map((m) => m[1]!);
  say(`## Web app bench ${new Date().toISOString()} on ${machine()}`);
  say('');
  say('| first-load file | bytes sent | encoding | cache-control |');
  say('| --- | --- | --- | --- |');
  let js = 0;
  for (const path of [...scripts, ...styles]) {
    const w = await wire(server.url + path);
    if (scripts.includes(path)) js += w.bytes;
    say(`| ${path} | ${w.bytes.toLocaleString('en')} | ${w.encoding} | ${w.cache} |`);
  }
  say('');
  say(`JavaScript on first load: ${(js / 1024).toFixed(1)} KB gzipped (budget 200 KB).`);
  say('');

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${server.url}/search`);
  await page.locator('.query').waitFor();
  const queries = ['稀土', '发展', '经济', '出口管制', '国际 市场', '企业', '"冶炼分离"', '技术', '政府 -经济', '研究', 'title:稀土', '管理'];
  const times: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (const q of queries) {
      await page.fill('.query', '');
      await page.waitForFunction(() => document.querySelector('.result') === null);
      const before = await page.evaluate(() => performance.getEntriesByName('lodestone:search-to-render').length);
      await page.fill('.query', q);
      await page.waitForFunction(
        (n) => performance.getEntriesByName('lodestone:search-to-render').length > n,
        before,
        { timeout: 30_000 },
      );
      const d = await page.evaluate(() => {
        const e = performance.getEntriesByName('lodestone:search-to-render');
        return e[e.length - 1]!.duration;
      });
      if (round > 0) times.push(d); // round 0 warms the server (hot lists, caches)
    }
  }
  await browser.close();
  times.sort((a, b) => a - b);
  say(`Keystroke to rendered results (${times.length} searches over 100,000 documents, 50 ms input debounce included):`);
  say(`p50 ${percentile(times, 0.5).toFixed(0)} ms, p95 ${percentile(times, 0.95).toFixed(0)} ms, max ${times[times.length - 1]!.toFixed(0)} ms (budget 150 ms).`);
} finally {
  await server.close();
  await ctx.store.close();
}
writeFileSync(join(OUT, `web-${Date.now()}.md`), `${lines.join('\n')}\n`);

declare const document: { querySelector(s: string): unknown };
declare const performance: { getEntriesByName(n: string): { duration: number }[] };
