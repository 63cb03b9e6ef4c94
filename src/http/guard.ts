/**
 * What stands between the network and the routes before users and sign-in exist:
 *
 * - Host names (DNS rebinding): a page on an attacker's domain that resolves to 127.0.0.1
 *   sends its own name as Host. Only loopback names, IP literals (a rebinding attack needs a
 *   name it controls), the host of LODESTONE_PUBLIC_URL and LODESTONE_ALLOWED_HOSTS are
 *   answered; anything else gets 421. `/healthz` answers any Host (load balancers probe by
 *   address or internal names).
 * - Cross-site requests (CSRF): every state-changing request (POST, PUT, PATCH, DELETE)
 *   must come from this origin — a browser's Origin and Sec-Fetch-Site say so — and every
 *   POST, PUT or PATCH must declare JSON (uploads: application/octet-stream). A cross-site
 *   form or `text/plain` fetch can send neither without a CORS preflight, which this server
 *   never grants. Clients that are not browsers (curl, scripts) send no Origin and pass.
 * - Logging: one line per request (method, path, status, time) and the stack of every
 *   internal error.
 */
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LodestoneError } from '../core/errors.js';
import { cleanText } from '../sources/clean.js';
import { config } from '../core/config.js';

export interface GuardOptions {
  /** Host names (lower case, no port) answered besides loopback names and IP literals. */
  allowedHosts: Set<string>;
  /** Origins (scheme://host:port) allowed to send state-changing requests besides the request's own. */
  trustedOrigins: Set<string>;
  log?: ((line: string) => void) | undefined;
}

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.', '127.0.0.1', '::1']);

/** True when `host` (a bind address) is a loopback address or name. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return LOOPBACK_NAMES.has(h) || h.endsWith('.localhost') || /^127\./.test(h);
}

/** Host names from the environment: LODESTONE_PUBLIC_URL's host and LODESTONE_ALLOWED_HOSTS (comma-separated). */
export function configuredHosts(publicUrl: string | null, bindHost: string): Set<string> {
  const out = new Set<string>();
  if (publicUrl) out.add(new URL(publicUrl).hostname.replace(/^\[|\]$/g, '').toLowerCase());
  for (const h of config().allowedHosts) out.add(h);
  const bind = bindHost.replace(/^\[|\]$/g, '').toLowerCase();
  if (bind !== '0.0.0.0' && bind !== '::' && bind !== '') out.add(bind);
  return out;
}

/** The host name of a Host header (port and IPv6 brackets removed), lower case. */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

function hostAllowed(header: string | undefined, allowed: Set<string>): boolean {
  if (header === undefined) return true; // HTTP/1.0 without Host: nothing to rebind
  const name = hostName(header);
  return LOOPBACK_NAMES.has(name) || name.endsWith('.localhost') || isIP(name) !== 0 || allowed.has(name);
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function checkSameOrigin(req: FastifyRequest, trusted: Set<string>): void {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') {
    throw new LodestoneError('cross_site', `refused: a ${site} request may not change anything here`);
  }
  const origin = req.headers.origin;
  if (typeof origin === 'string') {
    const own = `${req.protocol}://${req.headers.host ?? ''}`.toLowerCase();
    if (origin.toLowerCase() !== own && !trusted.has(origin.toLowerCase())) {
      throw new LodestoneError('cross_site', `refused: requests from ${origin} may not change anything here`);
    }
  }
}

function checkContentType(req: FastifyRequest): void {
  if (req.method === 'DELETE') return;
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const upload = req.url.startsWith('/api/files');
  const want = upload ? 'application/octet-stream' : 'application/json';
  if (type !== want) {
    const got = type ? ` (got ${type})` : '';
    throw new LodestoneError('content_type', `send Content-Type: ${want}${got}`);
  }
}

/** A request line fit for a log: control characters removed, long URLs cut. */
function logUrl(url: string): string {
  const u = cleanText(url).replace(/[\r\n\t]/g, ' ');
  return u.length > 300 ? `${u.slice(0, 300)}…` : u;
}

export function registerGuards(app: FastifyInstance, opts: GuardOptions): void {
  app.addHook('onRequest', async (req) => {
    if (req.url !== '/healthz' && !hostAllowed(req.headers.host, opts.allowedHosts)) {
      throw new LodestoneError(
        'wrong_host',
        `this server does not answer to the host name ${JSON.stringify(hostName(req.headers.host ?? ''))}; add it to LODESTONE_ALLOWED_HOSTS or LODESTONE_PUBLIC_URL`,
      );
    }
    if (STATE_CHANGING.has(req.method)) {
      checkSameOrigin(req, opts.trustedOrigins);
      checkContentType(req);
    }
  });
  const log = opts.log;
  if (!log) return;
  app.addHook('onResponse', async (req, reply) => {
    if (req.url.startsWith('/assets/') || req.url === '/healthz') return;
    log(`${req.method} ${logUrl(req.url)} ${reply.statusCode} ${Math.round(reply.elapsedTime)}ms`);
  });
}
