/**
 * Fetching user-given URLs safely: http(s) only; every address a name resolves to is
 * checked at connect time (so DNS rebinding cannot slip past) and loopback, private,
 * link-local and other special ranges are refused unless `allowPrivate` is set; redirects
 * are followed by hand (each hop checked, at most `maxRedirects`); the whole exchange has a
 * deadline and the body a size cap (checked while streaming, after decompression).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import zlib from 'node:zlib';
import { LodestoneError } from '../core/errors.js';

export interface FetchOptions {
  allowPrivate: boolean;
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  headers?: Record<string, string>;
  /** Ends the exchange when aborted (the caller went away). */
  signal?: AbortSignal;
}

export const DEFAULT_FETCH_OPTIONS: FetchOptions = {
  allowPrivate: false,
  timeoutMs: 20_000,
  maxBytes: 20 * 1024 * 1024,
  maxRedirects: 5,
};

export interface FetchResult {
  url: string;
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  contentType: string;
  charset: string | null;
}

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
  ['100::', 64],
  ['2001:db8::', 32],
  ['2001:10::', 28],
  ['2001::', 32],
] as const) {
  blocked.addSubnet(net, bits, 'ipv6');
}

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part included), or null. */
export function ipv6Groups(address: string): number[] | null {
  let a = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4) {
    const [b0, b1, b2, b3] = v4.slice(1).map(Number) as [number, number, number, number];
    if ([b0, b1, b2, b3].some((b) => b > 255)) return null;
    a = `${a.slice(0, v4.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const halves = a.split('::');
  if (halves.length > 2) return null;
  const part = (h: string) => (h === '' ? [] : h.split(':').map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? Number.parseInt(g, 16) : -1)));
  const head = part(halves[0]!);
  const tail = halves.length === 2 ? part(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) return null;
  const groups = [...head, ...new Array<number>(fill).fill(0), ...tail];
  return groups.every((g) => g >= 0) ? groups : null;
}

/**
 * The IPv4 address an IPv6 address carries, for the forms that reach an IPv4 host:
 * IPv4-compatible (::/96) and IPv4-mapped (::ffff:0:0/96), SIIT (::ffff:0:0:0/96), NAT64
 * (64:ff9b::/96 and the local-use 64:ff9b:1::/48, address in the last 32 bits) and 6to4
 * (2002::/16). Each is judged by the IPv4 address inside it: [::127.0.0.1] is loopback.
 */
export function embeddedIpv4(address: string): string | null {
  const g = ipv6Groups(address);
  if (!g) return null;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && (g[5] === 0 || g[5] === 0xffff)) return v4(g[6]!, g[7]!); // ::a.b.c.d, ::ffff:a.b.c.d
  if (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) return v4(g[6]!, g[7]!); // ::ffff:0:a.b.c.d
  if (g[0] === 0x64 && g[1] === 0xff9b && (zeros(2, 6) || g[2] === 1)) return v4(g[6]!, g[7]!); // NAT64
  if (g[0] === 0x2002) return v4(g[1]!, g[2]!); // 6to4
  return null;
}

/** True for loopback, private, link-local, multicast and other non-public addresses. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    const inner = embeddedIpv4(address);
    if (inner !== null) return blocked.check(inner, 'ipv4');
    return blocked.check(address, 'ipv6');
  }
  return true; // not an IP at all: refuse
}

function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      if (!allowPrivate) {
        const bad = list.find((a) => isPrivateAddress(a.address));
        if (bad) {
          const e = new LodestoneError(
            'fetch_blocked',
            `refused: ${hostname} resolves to ${bad.address}, a private or loopback address (an administrator can allow private addresses with LODESTONE_ALLOW_PRIVATE=1)`,
          );
          return callback(e as unknown as NodeJS.ErrnoException, '', 0);
        }
      }
      if ((options as { all?: boolean }).all) return callback(null, list as unknown as string, 0);
      const first = list[0];
      if (!first) return callback(new Error(`no address for ${hostname}`), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

function checkUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new LodestoneError('invalid_input', `not a valid URL: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LodestoneError('fetch_blocked', `refused: only http and https URLs are fetched (got ${url.protocol})`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && isIP(host) !== 0 && isPrivateAddress(host)) {
    throw new LodestoneError(
      'fetch_blocked',
      `refused: ${host} is a private or loopback address (an administrator can allow private addresses with LODESTONE_ALLOW_PRIVATE=1)`,
    );
  }
  if (!allowPrivate && /^localhost\.?$/i.test(host)) {
    throw new LodestoneError('fetch_blocked', 'refused: localhost (an administrator can allow private addresses with LODESTONE_ALLOW_PRIVATE=1)');
  }
  return url;
}

function contentTypeOf(headers: http.IncomingHttpHeaders): { type: string; charset: string | null } {
  const raw = headers['content-type'] ?? '';
  const type = raw.split(';')[0]!.trim().toLowerCase();
  const cs = /charset\s*=\s*"?([\w-]+)/i.exec(raw);
  return { type, charset: cs ? cs[1]! : null };
}

interface RequestInit {
  method: 'GET' | 'POST';
  body?: Buffer;
}

function once(url: URL, opts: FetchOptions, deadline: number, init: RequestInit = { method: 'GET' }): Promise<FetchResult> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const remaining = deadline - Date.now();
    if (remaining <= 0) return reject(new LodestoneError('fetch_failed', `timed out fetching ${url.href}`));
    const req = mod.request(
      url,
      {
        method: init.method,
        lookup: guardedLookup(opts.allowPrivate),
        headers: {
          'user-agent': 'Lodestone/0.1 (+self-hosted research desk)',
          accept: 'text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,application/xml;q=0.9,*/*;q=0.5',
          'accept-encoding': 'gzip, deflate, br',
          ...opts.headers,
        },
        timeout: remaining,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const { type, charset } = contentTypeOf(res.headers);
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          resolve({ url: url.href, status, headers: res.headers, body: Buffer.alloc(0), contentType: type, charset });
          return;
        }
        const declared = Number(res.headers['content-length'] ?? '0');
        if (declared > opts.maxBytes) {
          res.destroy();
          reject(new LodestoneError('too_large', `${url.href} is ${declared} bytes, over the ${opts.maxBytes}-byte cap`));
          return;
        }
        const enc = (res.headers['content-encoding'] ?? '').toLowerCase();
        let stream: NodeJS.ReadableStream = res;
        if (enc === 'gzip' || enc === 'x-gzip') stream = res.pipe(zlib.createGunzip());
        else if (enc === 'deflate') stream = res.pipe(zlib.createInflate());
        else if (enc === 'br') stream = res.pipe(zlib.createBrotliDecompress());
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on('data', (c: Buffer) => {
          size += c.length;
          if (size > opts.maxBytes) {
            req.destroy();
            reject(new LodestoneError('too_large', `${url.href} exceeds the ${opts.maxBytes}-byte cap`));
            return;
          }
          chunks.push(c);
        });
        stream.on('end', () =>
          resolve({ url: url.href, status, headers: res.headers, body: Buffer.concat(chunks), contentType: type, charset }),
        );
        stream.on('error', (e: Error) => reject(new LodestoneError('fetch_failed', `${url.href}: ${e.message}`)));
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new LodestoneError('fetch_failed', `timed out after ${opts.timeoutMs} ms fetching ${url.href}`));
    }, remaining);
    req.on('timeout', () => {
      req.destroy(new LodestoneError('fetch_failed', `timed out after ${opts.timeoutMs} ms fetching ${url.href}`));
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e instanceof LodestoneError ? e : new LodestoneError('fetch_failed', `${url.href}: ${e.message}`));
    });
    const onAbort = () => req.destroy(new LodestoneError('fetch_failed', `abandoned fetching ${url.href}: the client went away`));
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('close', () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    });
    req.end(init.body);
  });
}

/** Fetch a URL under the safety rules above; non-2xx answers are errors. */
export async function safeFetch(raw: string, options: Partial<FetchOptions> = {}): Promise<FetchResult> {
  const opts = { ...DEFAULT_FETCH_OPTIONS, ...options };
  const deadline = Date.now() + opts.timeoutMs;
  let url = checkUrl(raw, opts.allowPrivate);
  for (let hop = 0; ; hop++) {
    const res = await once(url, opts, deadline);
    if (res.status >= 300 && res.status < 400 && res.headers.location) {
      if (hop >= opts.maxRedirects) throw new LodestoneError('fetch_failed', `too many redirects (over ${opts.maxRedirects})`);
      url = checkUrl(new URL(res.headers.location, url).href, opts.allowPrivate);
      continue;
    }
    // 304 answers a conditional request (If-None-Match / If-Modified-Since): nothing new.
    if (res.status === 304 && (opts.headers?.['if-none-match'] || opts.headers?.['if-modified-since'])) return res;
    if (res.status < 200 || res.status >= 300) {
      throw new LodestoneError('fetch_failed', `${url.href} answered HTTP ${res.status}`);
    }
    return res;
  }
}

/**
 * POST a body under the same rules (SSRF guard, deadline, answer size cap). Redirects are
 * not followed and any status is returned, so the caller can log what the receiver said.
 */
export async function safePost(raw: string, body: Buffer, options: Partial<FetchOptions> = {}): Promise<FetchResult> {
  const opts = { ...DEFAULT_FETCH_OPTIONS, maxBytes: 1024 * 1024, ...options };
  const url = checkUrl(raw, opts.allowPrivate);
  return once(url, opts, Date.now() + opts.timeoutMs, { method: 'POST', body });
}
