/**
 * A local server speaking the OpenAI-compatible chat-completions protocol with scripted
 * answers, for testing the LLM path without a model: each request takes the next step of
 * the script (a reply with content, an HTTP error, a delay, or a cut connection).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Step =
  | { content: string; delayMs?: number }
  | { status: number; body?: unknown }
  | { cut: true }
  | { rejectResponseFormat: true };

export interface FakeLlm {
  baseURL: string;
  requests: { messages: { role: string; content: string }[]; response_format?: unknown }[];
  script(steps: Step[]): void;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeLlm(): Promise<FakeLlm> {
  let steps: Step[] = [];
  const requests: FakeLlm['requests'] = [];
  const server: Server = createServer(async (req, res) => {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404).end();
      return;
    }
    const parsed = JSON.parse(await body(req)) as FakeLlm['requests'][number];
    requests.push(parsed);
    const step = steps.shift() ?? { status: 500, body: { error: { message: 'script exhausted' } } };
    if ('cut' in step) {
      req.socket.destroy();
      return;
    }
    if ('rejectResponseFormat' in step) {
      if (parsed.response_format) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'response_format is not supported' } }));
        return;
      }
      res.writeHead(500).end(); // the step expects a request with response_format
      return;
    }
    if ('status' in step) {
      res.writeHead(step.status, { 'content-type': 'application/json' }).end(JSON.stringify(step.body ?? { error: { message: `HTTP ${step.status}` } }));
      return;
    }
    if (step.delayMs) await new Promise((r) => setTimeout(r, step.delayMs));
    if (res.destroyed) return;
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        id: `c${requests.length}`,
        object: 'chat.completion',
        created: 0,
        model: 'fake',
        choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: step.content } }],
        usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    script(s) {
      steps = [...s];
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
