/**
 * The error catalog: every error the product reports on purpose has a code here,
 * and the HTTP status for a code is decided here and nowhere else.
 */
export const ERROR_CODES = {
  bad_request: 400,
  query_syntax: 400,
  invalid_input: 422,
  not_found: 404,
  ambiguous_id: 409,
  conflict: 409,
  fetch_blocked: 403,
  /** A state-changing request from another site (CSRF), or without the JSON content type. */
  cross_site: 403,
  /** A Host header this server does not answer to (DNS rebinding). */
  wrong_host: 421,
  content_type: 415,
  /** A query that would cost more than a query may (terms, expansions, time). */
  query_too_costly: 400,
  /** The client went away before the work finished. */
  aborted: 499,
  fetch_failed: 502,
  llm_failed: 502,
  too_large: 413,
  /** The database cannot be reached (PostgreSQL down, wrong URL). */
  unavailable: 503,
  unsupported_format: 415,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class LodestoneError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'LodestoneError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }
}

/** A short, user-facing description of any thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
