/**
 * Language models behind one interface. The implementation speaks the OpenAI-compatible
 * chat-completions protocol through the official `openai` SDK with a configurable base URL:
 * hosted APIs, vLLM, Ollama, llama.cpp's server and Chinese providers that speak it.
 *
 * Configuration (environment): LODESTONE_LLM_BASE_URL, LODESTONE_LLM_API_KEY,
 * LODESTONE_LLM_MODEL (all three unset = no model: summaries are extractive),
 * LODESTONE_LLM_TIMEOUT_MS (default 60000), LODESTONE_LLM_MAX_RETRIES (default 2; 429 and
 * 5xx are retried with exponential back-off by the SDK), LODESTONE_LLM_MAX_CONCURRENCY
 * (default 2), LODESTONE_LLM_RPM (requests per minute, default unlimited).
 */
import OpenAI from 'openai';
import { LodestoneError } from '../core/errors.js';
import { config, readConfig } from '../core/config.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface Completion {
  content: string;
  promptTokens: number;
  completionTokens: number;
}

export interface LlmProvider {
  readonly model: string;
  /** Requests it runs at once (callers size their work pools by it). */
  readonly maxConcurrency: number;
  /**
   * One chat completion. With `jsonSchema` the endpoint is asked for JSON matching it
   * (`response_format`); an endpoint that rejects that is asked again with instructions only.
   */
  complete(messages: ChatMessage[], opts?: { jsonSchema?: { name: string; schema: Record<string, unknown> } }): Promise<Completion>;
}

export interface LlmConfig {
  baseURL: string;
  apiKey: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  maxConcurrency: number;
  rpm: number | null;
}

/** The configuration from the environment, or null when no model is configured. */
export function llmConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LlmConfig | null {
  // Checked by core/config.ts: a bad number or a model without an endpoint is an error at start.
  const c = env === process.env ? config().llm : readConfig(env).llm;
  if (!c.model || !c.baseURL) return null;
  return {
    baseURL: c.baseURL,
    apiKey: c.apiKey ?? 'none',
    model: c.model,
    timeoutMs: c.timeoutMs,
    maxRetries: c.maxRetries,
    maxConcurrency: c.maxConcurrency,
    rpm: c.rpm,
  };
}

/** At most `n` at once, and at most `rpm` starts per minute. */
class Gate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly starts: number[] = [];

  constructor(
    private readonly n: number,
    private readonly rpm: number | null,
  ) {}

  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.active >= this.n) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      if (this.rpm !== null) {
        for (;;) {
          const now = Date.now();
          while (this.starts.length > 0 && now - this.starts[0]! >= 60_000) this.starts.shift();
          if (this.starts.length < this.rpm) break;
          await new Promise((r) => setTimeout(r, 60_000 - (now - this.starts[0]!) + 5));
        }
        this.starts.push(Date.now());
      }
      return await f();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

export class OpenAiCompatibleProvider implements LlmProvider {
  readonly model: string;
  readonly maxConcurrency: number;
  private readonly client: OpenAI;
  private readonly gate: Gate;
  /** Set once the endpoint refused `response_format`: later calls go without it. */
  private noResponseFormat = false;

  constructor(config: LlmConfig) {
    this.model = config.model;
    this.maxConcurrency = config.maxConcurrency;
    this.client = new OpenAI({
      baseURL: config.baseURL,
      apiKey: config.apiKey,
      timeout: config.timeoutMs,
      maxRetries: config.maxRetries,
    });
    this.gate = new Gate(config.maxConcurrency, config.rpm);
  }

  complete(messages: ChatMessage[], opts: { jsonSchema?: { name: string; schema: Record<string, unknown> } } = {}): Promise<Completion> {
    return this.gate.run(async () => {
      const ask = async (structured: boolean) => {
        const res = await this.client.chat.completions.create({
          model: this.model,
          messages,
          temperature: 0.2,
          ...(structured && opts.jsonSchema
            ? { response_format: { type: 'json_schema' as const, json_schema: { name: opts.jsonSchema.name, schema: opts.jsonSchema.schema } } }
            : {}),
        });
        const content = res.choices[0]?.message?.content;
        if (typeof content !== 'string') throw new LodestoneError('llm_failed', 'The model returned no message content.');
        return { content, promptTokens: res.usage?.prompt_tokens ?? 0, completionTokens: res.usage?.completion_tokens ?? 0 };
      };
      try {
        if (opts.jsonSchema && !this.noResponseFormat) {
          try {
            return await ask(true);
          } catch (err) {
            // Endpoints without structured output answer 400: ask again with instructions only.
            if (err instanceof OpenAI.BadRequestError) {
              this.noResponseFormat = true;
              return await ask(false);
            }
            throw err;
          }
        }
        return await ask(false);
      } catch (err) {
        if (err instanceof LodestoneError) throw err;
        throw new LodestoneError('llm_failed', `The model endpoint failed: ${describe(err)}`);
      }
    });
  }
}

function describe(err: unknown): string {
  if (err instanceof OpenAI.APIConnectionTimeoutError) return 'timed out';
  if (err instanceof OpenAI.APIConnectionError) return 'could not connect';
  if (err instanceof OpenAI.APIError) return `HTTP ${err.status ?? '?'} ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
