/**
 * Hostile requests (issue 17): one request must not freeze the server, poison a feature,
 * overwrite another source, or reach what it should not. A real server on a real socket;
 * inputs generated here.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { type AppContext, openContext } from '../../src/services/context.js';
import { DB_FILE } from '../../src/store/sqlite/store.js';
import { embeddedIpv4, isPrivateAddress } from '../../src/sources/fetch.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';
import { type FixtureServer, serveFixtures } from '../helpers/fixture-server.js';
import { bigFeed } from '../helpers/hostile.js';
import { join } from 'node:path';

let ctx: AppContext;
let server: RunningServer;
let fixtures: FixtureServer;
let fixturesUrl = '';
const logLines: string[] = [];
let feedBodies: Record<string, string> = {};

beforeAll(async () => {
  ctx = openContext({ dataDir: tempDir(), allowPrivate: true });
  server = await startServer(ctx, { port: 0, host: '127.0.0.1', log: (l) => logLines.push(l) });
  fixtures = await serveFixtures((req, res) => {
    const body = feedBodies[req.url ?? ''];
    if (body) res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(body);
    else res.writeHead(404).end();
  });
  fixturesUrl = fixtures.url;
});

afterAll(async () => {
  await server.close();
  await ctx.store.close();
  fixtures.close();
});

const JSON_TYPE = { 'content-type': 'application/json' };
async function call(method: string, path: string, init: { body?: unknown; headers?: Record<string, string>; raw?: Buffer | string } = {}) {
  const res = await fetch(server.url + path, {
    method,
    headers: { ...(init.body !== undefined ? JSON_TYPE : {}), ...init.headers },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : init.raw !== undefined ? { body: init.raw } : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body: body as Record<string, unknown>, text };
}
const upload = (name: string, bytes: Buffer | string, signal?: AbortSignal) =>
  fetch(`${server.url}/api/files?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: bytes,
    ...(signal ? { signal } : {}),
  });

/** A raw request with a chosen Host header (fetch does not let one set it). */
function withHost(path: string, host: string): Promise<number> {
  const u = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Health-check latency, sampled while `fn` runs: the longest wait of any check. */
async function healthWhile<T>(fn: () => Promise<T>): Promise<{ value: T; worstMs: number }> {
  let worst = 0;
  let running = true;
  const probe = (async () => {
    while (running) {
      const t = performance.now();
      await fetch(`${server.url}/healthz`);
      worst = Math.max(worst, performance.now() - t);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  try {
    return { value: await fn(), worstMs: worst };
  } finally {
    running = false;
    await probe;
  }
}

describe('one request cannot freeze the server', () => {
  it('(2) a heavy upload is parsed off the event loop: health checks keep answering', async () => {
    const html = `<html><body>${'<div>'.repeat(5_000)}${'<p>稀土价格上涨，出口管制加强。</p>'.repeat(50_000)}${'</div>'.repeat(5_000)}</body></html>`;
    const { value: res, worstMs } = await healthWhile(() => upload('deep.html', html));
    expect(res.status).toBe(200);
    // Before: '<div>' x 2,000 blocked every request, health checks included, for 45 s.
    expect(worstMs).toBeLessThan(1_000);
  });

  it('(2) an upload whose client went away is abandoned: the next one does not wait behind it', async () => {
    const heavy = `<html><body>${'<p>稀土价格上涨，出口管制加强。</p>'.repeat(1_500_000)}</body></html>`;
    const ctl = new AbortController();
    const gone = upload('heavy.html', heavy, ctl.signal).catch(() => null);
    await new Promise((r) => setTimeout(r, 1_500));
    ctl.abort();
    await gone;
    const t = performance.now();
    const next = await upload('light.txt', '锂价回落。');
    expect(next.status).toBe(200);
    expect(performance.now() - t).toBeLessThan(3_000);
  });

  it('(3) a feed upload costs time in proportion to its entries, not their square', async () => {
    const time = async (n: number) => {
      const t = performance.now();
      const res = await upload(`feed-${n}.xml`, bigFeed(n, `Feed${n}`));
      const body = (await res.json()) as { inserted: number };
      expect(body.inserted).toBe(n);
      return performance.now() - t;
    };
    const small = await time(1_000);
    const large = await time(8_000);
    // Before: 0.4 s and 6.0 s (15x for 8x the entries).
    expect(large).toBeLessThan(20_000);
    expect(large / small).toBeLessThan(12);
  });

  it('(4) a query past the cost bounds is a 400 with the reason, at once', async () => {
    const chars = '的是在了不和有大这主中人上为们地个用工时要动国产以我到他会作来分生对于学下级就年阶义发成部民可出能方进同行面说种过命度革而多子后自社加小机也经力线本电高量长党得实家定深法表着水理化争现所二起政三好十战无农使性前等反体合斗路图把结第里正新开论之物从当两些还天资事队批如应形想制心样干都向变关点育重其思与间内去因件日利相由压员气业代全组数果期导平各基或月毛然问比展那它最及外没看治提五解系林者米群头意只明四道马认次文通但条较克又公孔领军流入接席位情运器并飞原油放立题质指建区验活众很教决特此常石强极土少已根共直团统式转别造切九你取西持总料连任志观调七么山程百报更见必真保热委手改管处己将修支识病象几先老光专什六型具示复安带每东增则完风回南广劳轮科北打积车计给节做务被整联步类集号列温装即毫知轴研单色坚据速防史拉世设达尔场织历花受求传口断况采精金界品判参层止边清至万确究书术状厂须离再目海交权且儿青才证低越际八试规斯近注办布门铁需走议县兵固除般引齿千胜细影济白格效置推空配刀叶率述今选养德话查差半敌始片施响收华觉备名红续均药标记难存测士身紧液派准斤角降维板许破述技消底床田势端感往神便贺村构照容非搞亚磨族火段算适讲按值美态黄易彪服早班麦削信排台声该击素张密害侯草何树肥继右属市严径螺检左页抗苏显苦英快称坏移约巴材省黑武培著河帝仅针怎植京助升王眼她抓含苗副杂普谈围食射源例致酸旧却充足短划剂宣环落首尺波承粉践府鱼随考刻靠够满夫失包住促枝局菌杆周护岩师举曲春元超负砂封换太模贫减阳扬江析亩木言球朝医校古呢稻宋听唯输滑站另卫字鼓刚写刘微略范供阿块某功套友限项余倒卷创律雨让骨远帮初皮播优占死毒圈伟季训控激找叫云互跟裂粮粒母练塞钢顶策双留误础';
    const single = [...chars].slice(0, 600).join(' ');
    const t = performance.now();
    const r = await call('GET', `/api/search?q=${encodeURIComponent(single)}`);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: 'query_too_costly', message: expect.stringMatching(/one-character terms/) } });
    const neg = await call('GET', `/api/search?q=${encodeURIComponent(`稀土 ${Array.from({ length: 100 }, (_, i) => `-词${chars[i]}`).join(' ')}`)}`);
    expect(neg).toMatchObject({ status: 400, body: { error: { code: 'query_too_costly', message: expect.stringMatching(/at most 32/) } } });
    // Before: 600 single characters blocked the server for 21 s.
    expect(performance.now() - t).toBeLessThan(2_000);
  });
});

describe('one record cannot poison a feature', () => {
  it('(6) a date of 1e20 or ±8.64e15 is refused with a warning; a stored one never breaks a reader', async () => {
    const add = await call('POST', '/api/documents', {
      body: [
        { id: 'd1', title: '日期异常一', body: '稀土日期测试。', published_at: 1e20 },
        { id: 'd2', title: '日期异常二', body: '稀土日期测试。', published_at: 8.64e15 },
        { id: 'd3', title: '日期异常三', body: '稀土日期测试。', published_at: -8.64e15 },
        { id: 'd4', title: '日期异常四', body: '稀土日期测试。', published_at: '-0001-01-01' },
        { id: 'd5', title: '只有日期', body: '稀土日期测试。', published_at: '2023-07-20' },
      ],
    });
    expect(add.body).toMatchObject({ inserted: 5, failed: 0, warnings: 4 });
    const d5 = await call('GET', '/api/documents/d5');
    expect(d5.body.published_at).toBe('2023-07-19T16:00:00.000Z'); // the start of that day in Asia/Shanghai
    expect((await call('GET', '/api/documents/d1')).body.published_at).toBeNull();
    expect((await call('GET', '/api/documents/d4')).body.published_at).toBeNull(); // not 2001
    // A value an older version stored, written straight into the database: every reader copes
    // (the document view reads the row; the CLI below loads the in-memory columns afresh).
    const db = new Database(join(ctx.dataDir, DB_FILE));
    db.prepare("UPDATE documents SET published_at = 1e20 WHERE public_id = 'd2'").run();
    db.close();
    for (const path of ['/api/search?q=&sort=newest', '/api/search?q=', `/api/search?q=${encodeURIComponent('稀土日期')}&sort=newest`, '/api/documents/d2']) {
      expect((await call('GET', path)).status, path).toBe(200);
    }
    await call('POST', '/api/workflows', { body: { name: 'dates', query: '稀土日期', summarize: false, first_run_days: 3650 } });
    expect((await call('POST', '/api/workflows/dates/run', { body: {} })).status).toBe(200);
    expect((await call('GET', '/workflows/dates/feed.atom')).status).toBe(200);
    const cli = await runCli(['search', '', '--sort', 'newest', '--data', ctx.dataDir]);
    expect(cli.code).toBe(0);
  });

  it('(8) a feed cannot overwrite another source\'s documents by mimicking its title, guids and links', async () => {
    const original = bigFeed(2, 'Trusted Wire');
    const impostor = original.replace(/稀土价格/g, 'FAKE NEWS').replace(/news text/g, 'forged text');
    feedBodies = { '/trusted.xml': original, '/impostor.xml': impostor };
    expect((await call('POST', '/api/sources/url', { body: { url: `${fixturesUrl}/trusted.xml` } })).body).toMatchObject({ inserted: 2 });
    expect((await call('POST', '/api/sources/url', { body: { url: `${fixturesUrl}/impostor.xml` } })).body).toMatchObject({ inserted: 2, updated: 0 });
    const total = async (q: string) =>
      (await call('GET', `/api/search?q=${encodeURIComponent(q)}&source=${encodeURIComponent('Trusted Wire')}&collapse=false`)).body.total;
    expect(await total('稀土价格')).toBe(2); // the trusted feed's entries are intact
    expect(await total('FAKE')).toBe(2); // the impostor's are documents of their own
  });

  it('(9) one bad record among 999 good ones is one error, logged; the 999 are stored', async () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 5_000; i++) deep = { a: deep };
    const records: unknown[] = Array.from({ length: 999 }, (_, i) => ({ id: `b${i}`, title: `批量${i}`, body: `第${i}条稀土记录。` }));
    records.splice(500, 0, { id: 'deep', title: '嵌套', body: '正文', meta: deep });
    // JSON.stringify cannot write 5,000 levels: the body is built by hand.
    const body = `[${records.map((r) => (r as { id: string }).id === 'deep' ? `{"id":"deep","title":"嵌套","body":"正文","meta":${'{"a":'.repeat(5000)}"x"${'}'.repeat(5000)}}` : JSON.stringify(r)).join(',')}]`;
    const r = await call('POST', '/api/documents', { raw: body, headers: JSON_TYPE });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ inserted: 999, failed: 1, errors: [{ location: 'documents[500]', reason: expect.stringMatching(/nested more than 16 levels/) }] });
    expect(logLines.some((l) => /rejected record documents\[500\]: record nested/.test(l))).toBe(true);
    expect(logLines.some((l) => /^POST \/api\/documents 200 \d+ms$/.test(l))).toBe(true);
  });
});

describe('trespass: the server is not reachable by accident', () => {
  it('(11) a Host header that is not ours is a 421 (DNS rebinding); loopback names and addresses pass', async () => {
    expect(await withHost('/api/stats', 'evil.example:80')).toBe(421);
    expect(await withHost('/api/stats', 'localhost')).toBe(200);
    expect(await withHost('/api/stats', new URL(server.url).host)).toBe(200);
    expect(await withHost('/healthz', 'lb.internal')).toBe(200);
  });

  it('(12) a cross-site or non-JSON state change is refused and runs nothing', async () => {
    await call('POST', '/api/workflows', { body: { name: 'csrf', query: '稀土', summarize: false } });
    const runs = async () => ((await call('GET', '/api/workflows/csrf/runs')).body.runs as unknown[]).length;
    const plain = await call('POST', '/api/workflows/csrf/run', { raw: 'x', headers: { 'content-type': 'text/plain' } });
    expect(plain.status).toBe(415);
    const foreign = await call('POST', '/api/workflows/csrf/run', { body: {}, headers: { origin: 'https://evil.example' } });
    expect(foreign).toMatchObject({ status: 403, body: { error: { code: 'cross_site' } } });
    const site = await call('POST', '/api/documents/d5/summary', { body: {}, headers: { 'sec-fetch-site': 'cross-site' } });
    expect(site.status).toBe(403);
    const del = await call('DELETE', '/api/sources/uploads', { headers: { origin: 'https://evil.example' } });
    expect(del.status).toBe(403);
    expect(await runs()).toBe(0);
    // The same request from the page's own origin goes through.
    const own = await call('POST', '/api/workflows/csrf/run', { body: {}, headers: { origin: server.url, 'sec-fetch-site': 'same-origin' } });
    expect(own.status).toBe(200);
    expect(await runs()).toBe(1);
  });

  it('(13) a webhook secret is shown when made and never read back; a new URL gets a new secret', async () => {
    const created = await call('POST', '/api/workflows', { body: { name: 'hook', query: '稀土', webhook: 'https://hooks.example/a' } });
    const first = (created.body.webhook as { secret?: string }).secret;
    expect(first).toMatch(/^[0-9a-f]{48}$/);
    expect((await call('GET', '/api/workflows/hook')).body.webhook).toEqual({ url: 'https://hooks.example/a' });
    expect(JSON.stringify((await call('GET', '/api/workflows')).body)).not.toContain(first!);
    const edited = await call('PATCH', '/api/workflows/hook', { body: { query: '稀土 出口' } });
    expect((edited.body.webhook as { secret?: string }).secret).toBeUndefined();
    const moved = await call('PATCH', '/api/workflows/hook', { body: { webhook: 'https://other.example/b' } });
    const second = (moved.body.webhook as { secret?: string }).secret;
    expect(second).toMatch(/^[0-9a-f]{48}$/);
    expect(second).not.toBe(first);
    const rotated = await call('POST', '/api/workflows/hook/webhook/secret', { body: {} });
    expect((rotated.body.webhook as { secret?: string }).secret).not.toBe(second);
    const cli = await runCli(['workflow', 'show', 'hook', '--data', ctx.dataDir]);
    expect(cli.stdout).not.toMatch(/[0-9a-f]{48}/);
  });

  it('(14) listening on every interface is announced at start and on the page', async () => {
    const lines: string[] = [];
    const c2 = openContext({ dataDir: tempDir() });
    const s2 = await startServer(c2, { port: 0, host: '0.0.0.0', log: (l) => lines.push(l) });
    try {
      expect(lines.join('\n')).toMatch(/WARNING: Lodestone is listening on http:\/\/0\.0\.0\.0:\d+: other machines can reach it/);
      const port = new URL(s2.url).port;
      expect(await (await fetch(`http://127.0.0.1:${port}/api/server`)).json()).toMatchObject({ exposed: true });
    } finally {
      await s2.close();
      await c2.store.close();
    }
    expect(await (await fetch(`${server.url}/api/server`)).json()).toMatchObject({ exposed: false });
  });

  it('(15) IPv6 forms of loopback and private IPv4 addresses are refused, with a 4xx', async () => {
    const forms = ['::127.0.0.1', '::7f00:1', '2002:7f00:1::1', '::ffff:0:7f00:1', '64:ff9b:1::a00:1', '64:ff9b::10.0.0.1', '::ffff:192.168.1.1'];
    for (const a of forms) expect(isPrivateAddress(a), a).toBe(true);
    expect(embeddedIpv4('2002:7f00:1::1')).toBe('127.0.0.1');
    expect(isPrivateAddress('2606:4700:4700::1111')).toBe(false);
    expect(isPrivateAddress('64:ff9b::8.8.8.8')).toBe(false);
    const strict = openContext({ dataDir: tempDir(), allowPrivate: false });
    const s = await startServer(strict, { port: 0, host: '127.0.0.1' });
    try {
      for (const host of ['[::127.0.0.1]', '[2002:7f00:1::1]', '[::ffff:0:7f00:1]', '[64:ff9b:1::a00:1]']) {
        const res = await fetch(`${s.url}/api/sources/url`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ url: `http://${host}/feed.xml` }) });
        expect(res.status, host).toBe(403);
      }
    } finally {
      await s.close();
      await strict.store.close();
    }
  });

  it('(16) file names with NUL or 300 characters are a 400, not a 500', async () => {
    expect((await fetch(`${server.url}/api/files?name=a%00b.txt`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'x' })).status).toBe(400);
    expect((await upload(`${'n'.repeat(300)}.txt`, 'x')).status).toBe(400);
  });

  it('(16) digests escape Markdown, build links from the public URL (never the Host header), and their CSP allows their one style', async () => {
    await call('POST', '/api/documents', {
      body: { id: 'md1', title: '稀土 [click](http://evil.example) ![img](http://evil.example/t.png)', body: '稀土正文\n# heading\n<b>x</b>', published_at: '2025-07-01' },
    });
    await call('POST', '/api/workflows', { body: { name: 'mdwf', query: '稀土正文', summarize: false, first_run_days: 3650 } });
    const run = await call('POST', '/api/workflows/mdwf/run', { body: {} });
    const id = run.body.run_id as number;
    const u = new URL(server.url);
    const md = await new Promise<string>((resolve) => {
      request({ host: u.hostname, port: u.port, path: `/api/workflows/mdwf/runs/${id}/digest.md`, headers: { host: `localhost:${u.port}`, 'x-forwarded-host': 'evil.example' } }, (res) => {
        let s = '';
        res.on('data', (c) => (s += c));
        res.on('end', () => resolve(s));
      }).end();
    });
    expect(md).not.toMatch(/\]\(http:\/\/evil|!\[img\]\(|<b>|\n# heading/);
    expect(md).toContain(`(${server.url}/documents/md1)`);
    const html = await fetch(`${server.url}/api/workflows/mdwf/runs/${id}/digest.html`);
    const csp = html.headers.get('content-security-policy') ?? '';
    const style = /<style>([\s\S]*?)<\/style>/.exec(await html.text())![1]!;
    expect(csp).toContain(`style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    expect(csp).toMatch(/default-src 'none'/);
  });

  it('(16) the CLI never prints terminal escape sequences from document text', async () => {
    const data = tempDir();
    const { writeFileSync } = await import('node:fs');
    const file = join(data, 'esc.ndjson');
    writeFileSync(file, `${JSON.stringify({ id: 'e1', title: '稀土\u001b]52;c;SGVsbG8=\u0007标题\u001b[2J', body: '正文\u009b31m稀土\u001b[1A' })}\n`);
    await runCli(['ingest', file, '--data', data]);
    // And a document stored by an older version, escapes included.
    const db = new Database(join(data, DB_FILE));
    db.prepare(`UPDATE documents SET title = ?, paragraphs = ? WHERE public_id = 'e1'`).run('稀土\u001b]52;c;SGVsbG8=\u0007标题', JSON.stringify(['正文\u001b[2J稀土']));
    db.close();
    for (const args of [['search', '稀土'], ['show', 'e1']]) {
      const r = await runCli([...args, '--data', data]);
      expect(r.code, args.join(' ')).toBe(0);
      for (const bad of ['\u001b]', '\u0007', '\u001b[2J', '\u009b']) expect(r.stdout).not.toContain(bad);
      expect(r.stdout).toContain('稀土');
    }
  });
});
