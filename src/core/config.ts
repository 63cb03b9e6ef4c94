/**
 * The configuration: every `LODESTONE_*` setting, read from the environment once, checked
 * with zod, and handed to whoever needs it through `config()`. A bad value is an error at
 * start that names the variable and says what it should be — never a silent default.
 * `lodestone config` prints the effective configuration, secrets masked.
 *
 * Tests that change the environment call `resetConfig()` so the next `config()` reads it again.
 */
import { z } from 'zod';
import { LodestoneError } from './errors.js';

/** A whole number from `min` to `max`, said so by name when it is not. */
const wholeNumber = (name: string, min = 0, max = Number.MAX_SAFE_INTEGER, what = 'a whole number') =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${name} must be ${what}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, max === Number.MAX_SAFE_INTEGER ? `${name} must be at least ${min}` : `${name} must be from ${min} to ${max}`);

const positiveInt = (name: string) => wholeNumber(name, 1);

const flag = (name: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => ['', '0', '1', 'true', 'false', 'yes', 'no'].includes(v), `${name} must be 1 or 0 (or true/false)`)
    .transform((v) => v === '1' || v === 'true' || v === 'yes');

function validZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const Env = z.object({
  LODESTONE_DATA: z.string().trim().min(1).default('./data'),
  LODESTONE_DATABASE_URL: z
    .string()
    .trim()
    .optional()
    .refine((v) => v === undefined || /^postgres(ql)?:\/\/./.test(v), 'LODESTONE_DATABASE_URL must be a PostgreSQL URL, e.g. postgres://lodestone@db.internal/lodestone'),
  LODESTONE_TZ: z
    .string()
    .trim()
    .default('Asia/Shanghai')
    .refine(validZone, 'LODESTONE_TZ must be an IANA time zone name such as Asia/Shanghai'),
  LODESTONE_PUBLIC_URL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v.replace(/\/+$/, '') : null))
    .refine((v) => v === null || /^https?:\/\/[^/]+/.test(v), 'LODESTONE_PUBLIC_URL must be an http(s) URL, e.g. https://desk.example.com'),
  LODESTONE_ALLOWED_HOSTS: z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean)),
  LODESTONE_ALLOW_PRIVATE: flag('LODESTONE_ALLOW_PRIVATE').default(false),
  LODESTONE_HOST: z.string().trim().min(1).default('127.0.0.1'),
  PORT: wholeNumber('PORT', 0, 65535, 'a port number').default(8787),
  LODESTONE_EXTRACT_TIMEOUT_MS: positiveInt('LODESTONE_EXTRACT_TIMEOUT_MS').default(60_000),
  LODESTONE_QUERY_TIMEOUT_MS: positiveInt('LODESTONE_QUERY_TIMEOUT_MS').default(2_000),
  LODESTONE_BULK_NICE: wholeNumber('LODESTONE_BULK_NICE', 0, 19).default(19),
  LODESTONE_WEBHOOK_BACKOFF_MS: z
    .string()
    .optional()
    .transform((v) => (v && v.trim() !== '' ? v.split(',').map((x) => Number(x.trim())) : null))
    .refine((l) => l === null || (l.length > 0 && l.every((x) => Number.isInteger(x) && x >= 0)), 'LODESTONE_WEBHOOK_BACKOFF_MS must be a comma-separated list of milliseconds'),
  LODESTONE_LOG_LEVEL: z.enum(LOG_LEVELS, { message: `LODESTONE_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  LODESTONE_LLM_BASE_URL: z.string().trim().optional(),
  LODESTONE_LLM_API_KEY: z.string().optional(),
  LODESTONE_LLM_MODEL: z.string().trim().optional(),
  LODESTONE_LLM_TIMEOUT_MS: positiveInt('LODESTONE_LLM_TIMEOUT_MS').default(60_000),
  LODESTONE_LLM_MAX_RETRIES: wholeNumber('LODESTONE_LLM_MAX_RETRIES').default(2),
  LODESTONE_LLM_MAX_CONCURRENCY: positiveInt('LODESTONE_LLM_MAX_CONCURRENCY').default(2),
  LODESTONE_LLM_RPM: positiveInt('LODESTONE_LLM_RPM').optional(),
  LODESTONE_LLM_PRICE_INPUT: z.string().trim().regex(/^\d+(\.\d+)?$/, 'LODESTONE_LLM_PRICE_INPUT must be a price per million tokens, e.g. 0.5').transform(Number).optional(),
  LODESTONE_LLM_PRICE_OUTPUT: z.string().trim().regex(/^\d+(\.\d+)?$/, 'LODESTONE_LLM_PRICE_OUTPUT must be a price per million tokens, e.g. 1.5').transform(Number).optional(),
});

export interface Config {
  dataDir: string;
  /** PostgreSQL URL: the store lives there instead of in dataDir's SQLite file. */
  databaseUrl: string | null;
  tz: string;
  publicUrl: string | null;
  allowedHosts: string[];
  allowPrivate: boolean;
  host: string;
  port: number;
  extractTimeoutMs: number;
  queryTimeoutMs: number;
  bulkNice: number;
  webhookBackoffMs: number[] | null;
  logLevel: LogLevel;
  llm: {
    baseURL: string | null;
    apiKey: string | null;
    model: string | null;
    timeoutMs: number;
    maxRetries: number;
    maxConcurrency: number;
    rpm: number | null;
    priceInput: number | null;
    priceOutput: number | null;
  };
}

/** Read and check the configuration from `env`; every problem is reported at once. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable counts as unset (`LODESTONE_TZ= lodestone …`).
  const given = Object.fromEntries(Object.entries(env).filter(([k, v]) => (k.startsWith('LODESTONE_') || k === 'PORT') && v !== undefined && v.trim() !== ''));
  const r = Env.safeParse(given);
  if (!r.success) {
    const problems = r.error.issues.map((i) => {
      const name = String(i.path[0] ?? '');
      return i.message.includes(name) ? i.message : `${name}: ${i.message}`;
    });
    throw new LodestoneError('invalid_input', `bad configuration: ${problems.join('; ')}`);
  }
  const e = r.data;
  if (Boolean(e.LODESTONE_LLM_MODEL) !== Boolean(e.LODESTONE_LLM_BASE_URL)) {
    throw new LodestoneError(
      'invalid_input',
      'bad configuration: LODESTONE_LLM_MODEL and LODESTONE_LLM_BASE_URL go together (set both to use a model, neither for extractive summaries)',
    );
  }
  return {
    dataDir: e.LODESTONE_DATA,
    databaseUrl: e.LODESTONE_DATABASE_URL ?? null,
    tz: e.LODESTONE_TZ,
    publicUrl: e.LODESTONE_PUBLIC_URL,
    allowedHosts: e.LODESTONE_ALLOWED_HOSTS,
    allowPrivate: e.LODESTONE_ALLOW_PRIVATE,
    host: e.LODESTONE_HOST,
    port: e.PORT,
    extractTimeoutMs: e.LODESTONE_EXTRACT_TIMEOUT_MS,
    queryTimeoutMs: e.LODESTONE_QUERY_TIMEOUT_MS,
    bulkNice: e.LODESTONE_BULK_NICE,
    webhookBackoffMs: e.LODESTONE_WEBHOOK_BACKOFF_MS,
    logLevel: e.LODESTONE_LOG_LEVEL,
    llm: {
      baseURL: e.LODESTONE_LLM_BASE_URL || null,
      apiKey: e.LODESTONE_LLM_API_KEY ?? null,
      model: e.LODESTONE_LLM_MODEL || null,
      timeoutMs: e.LODESTONE_LLM_TIMEOUT_MS,
      maxRetries: e.LODESTONE_LLM_MAX_RETRIES,
      maxConcurrency: e.LODESTONE_LLM_MAX_CONCURRENCY,
      rpm: e.LODESTONE_LLM_RPM ?? null,
      priceInput: e.LODESTONE_LLM_PRICE_INPUT ?? null,
      priceOutput: e.LODESTONE_LLM_PRICE_OUTPUT ?? null,
    },
  };
}

let current: Config | null = null;

/** The configuration of this process (read on first use). */
export function config(): Config {
  current ??= readConfig();
  return current;
}

/** Forget the configuration read so far (tests that change the environment). */
export function resetConfig(): void {
  current = null;
}

/** The configuration as `lodestone config` prints it: variable names, effective values, secrets masked. */
export function describeConfig(c: Config): [string, string][] {
  const mask = (v: string | null) => (v ? `${v.slice(0, 3)}…(${v.length} characters)` : '(unset)');
  const show = (v: unknown) => (v === null || v === undefined ? '(unset)' : Array.isArray(v) ? v.join(',') || '(none)' : String(v));
  return [
    ['LODESTONE_DATA', c.dataDir],
    ['LODESTONE_DATABASE_URL', c.databaseUrl ? c.databaseUrl.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@') : '(unset: SQLite in LODESTONE_DATA)'],
    ['LODESTONE_TZ', c.tz],
    ['LODESTONE_PUBLIC_URL', show(c.publicUrl)],
    ['LODESTONE_ALLOWED_HOSTS', show(c.allowedHosts)],
    ['LODESTONE_ALLOW_PRIVATE', c.allowPrivate ? '1' : '0'],
    ['LODESTONE_HOST', c.host],
    ['PORT', String(c.port)],
    ['LODESTONE_EXTRACT_TIMEOUT_MS', String(c.extractTimeoutMs)],
    ['LODESTONE_QUERY_TIMEOUT_MS', String(c.queryTimeoutMs)],
    ['LODESTONE_BULK_NICE', String(c.bulkNice)],
    ['LODESTONE_WEBHOOK_BACKOFF_MS', show(c.webhookBackoffMs)],
    ['LODESTONE_LOG_LEVEL', c.logLevel],
    ['LODESTONE_LLM_BASE_URL', show(c.llm.baseURL)],
    ['LODESTONE_LLM_API_KEY', mask(c.llm.apiKey)],
    ['LODESTONE_LLM_MODEL', show(c.llm.model)],
    ['LODESTONE_LLM_TIMEOUT_MS', String(c.llm.timeoutMs)],
    ['LODESTONE_LLM_MAX_RETRIES', String(c.llm.maxRetries)],
    ['LODESTONE_LLM_MAX_CONCURRENCY', String(c.llm.maxConcurrency)],
    ['LODESTONE_LLM_RPM', show(c.llm.rpm)],
    ['LODESTONE_LLM_PRICE_INPUT', show(c.llm.priceInput)],
    ['LODESTONE_LLM_PRICE_OUTPUT', show(c.llm.priceOutput)],
  ];
}
