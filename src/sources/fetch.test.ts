import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPrivateAddress, safeFetch } from './fetch.js';

let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/redirect-loop') {
      res.writeHead(302, { location: '/redirect-loop' }).end();
    } else if (req.url === '/slow') {
      setTimeout(() => res.end('late'), 5000);
    } else if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('x'.repeat(200_000));
    } else if (req.url === '/redirect') {
      res.writeHead(301, { location: '/ok' }).end();
    } else if (req.url === '/500') {
      res.writeHead(500).end('no');
    } else {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<p>ok</p>');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('safeFetch', () => {
  it('classifies private and loopback addresses', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '192.168.0.1', '172.16.5.5', '169.254.169.254', '::1', 'fe80::1', '::ffff:127.0.0.1', 'fd00::1', '0.0.0.0'])
      expect(isPrivateAddress(a), a).toBe(true);
    for (const a of ['93.184.216.34', '2606:4700::1111', '8.8.8.8']) expect(isPrivateAddress(a), a).toBe(false);
  });

  it('refuses loopback and localhost by default', async () => {
    await expect(safeFetch(`${base}/ok`)).rejects.toThrow(/private or loopback/);
    await expect(safeFetch(base.replace('127.0.0.1', 'localhost'))).rejects.toThrow(/refused/);
    await expect(safeFetch('file:///etc/passwd')).rejects.toThrow(/only http and https/);
  });

  it('fetches when private addresses are allowed, following redirects', async () => {
    const r = await safeFetch(`${base}/redirect`, { allowPrivate: true });
    expect(r.body.toString()).toBe('<p>ok</p>');
    expect(r.url).toBe(`${base}/ok`);
    expect(r.charset).toBe('utf-8');
  });

  it('caps redirects, time, size, and reports HTTP errors', async () => {
    await expect(safeFetch(`${base}/redirect-loop`, { allowPrivate: true, maxRedirects: 3 })).rejects.toThrow(/too many redirects/);
    await expect(safeFetch(`${base}/slow`, { allowPrivate: true, timeoutMs: 300 })).rejects.toThrow(/timed out/);
    await expect(safeFetch(`${base}/big`, { allowPrivate: true, maxBytes: 1000 })).rejects.toThrow(/cap/);
    await expect(safeFetch(`${base}/500`, { allowPrivate: true })).rejects.toThrow(/HTTP 500/);
  });
});
