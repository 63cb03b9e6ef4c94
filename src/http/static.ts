/**
 * The web app's static files (built by Vite into dist/web). Hashed assets are cached for a
 * year (`immutable`); the HTML shell is revalidated on every load so a new build shows at
 * once. Every app route (/, /search, /documents/ID, /sources, /workflows/…) answers with the shell and the
 * app routes in the browser. Compression: gzip or brotli, negotiated (@fastify/compress).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const here = dirname(fileURLToPath(import.meta.url));

/** dist/web, found from src/http (tsx) or dist/http (built). */
export function webDir(): string | null {
  for (const dir of [join(here, '..', 'web'), join(here, '..', '..', 'dist', 'web')]) {
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return null;
}

const APP_ROUTES = ['/', '/search', '/sources', '/documents/*', '/workflows', '/workflows/:name', '/workflows/:name/runs/:run'];

export async function registerWebApp(app: FastifyInstance): Promise<void> {
  const dir = webDir();
  if (dir === null) {
    const missing = async (_req: unknown, reply: import('fastify').FastifyReply) =>
      reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The web app is not built. Run `npm run build` (npm start does it), then reload.');
    for (const route of APP_ROUTES) app.get(route, missing);
    return;
  }
  await app.register(fastifyStatic, {
    root: join(dir, 'assets'),
    prefix: '/assets/',
    immutable: true,
    maxAge: '365d',
    index: false,
  });
  const shell = async (_req: unknown, reply: import('fastify').FastifyReply) => {
    reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8');
    return reply.send(await readFile(join(dir, 'index.html')));
  };
  for (const route of APP_ROUTES) app.get(route, shell);
}
