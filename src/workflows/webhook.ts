/**
 * Webhook delivery. A done run queues one pending delivery per target (in the run's final
 * commit); delivering POSTs the digest JSON with an HMAC signature, and on a failure (no
 * answer, timeout, non-2xx) schedules the next attempt with back-off, until the attempts
 * run out and the delivery is marked failed. Every attempt's outcome is kept and shown.
 *
 * Signature: X-Lodestone-Signature: sha256=HEX(HMAC-SHA256(secret, `${timestamp}.${body}`))
 * with X-Lodestone-Timestamp (epoch seconds), so a receiver can reject replays.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { describeError, LodestoneError } from '../core/errors.js';
import { safePost } from '../sources/fetch.js';
import { loadDigest } from './digest.js';
import type { RunContext } from './run.js';
import type { Delivery, Workflow } from '../store/records.js';
import { config } from '../core/config.js';

/** Waits before attempts 2, 3, …; one more attempt than entries. */
export const DEFAULT_BACKOFF_MS = [30_000, 120_000, 600_000, 3_600_000];
export const WEBHOOK_TIMEOUT_MS = 10_000;

export interface DeliveryOptions {
  allowPrivate: boolean;
  backoffMs?: number[];
  timeoutMs?: number;
  now?: () => number;
}

export function sign(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** For receivers (and tests): does the signature match? Constant-time. */
export function verifySignature(secret: string, timestamp: string, body: string, signature: string): boolean {
  const want = Buffer.from(sign(secret, Number(timestamp), body));
  const got = Buffer.from(signature);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Backoff from LODESTONE_WEBHOOK_BACKOFF_MS ("30000,120000"), else the default. */
export function backoffFromEnv(): number[] {
  return config().webhookBackoffMs ?? DEFAULT_BACKOFF_MS;
}

const inFlight = new Set<number>();

/** Attempt every delivery that is due (optionally of one workflow); attempts run concurrently. */
export async function deliverDue(ctx: RunContext, opts: DeliveryOptions, workflowId?: number): Promise<Delivery[]> {
  const now = opts.now ?? Date.now;
  const due = (await ctx.store.workflows.dueDeliveries(now(), workflowId)).filter((d) => !inFlight.has(d.id));
  const byId = new Map((await ctx.store.workflows.list()).map((w) => [w.id, w]));
  const results = await Promise.allSettled(
    due.map(async (d) => {
      const wf = byId.get(d.workflowId);
      if (!wf) return d;
      inFlight.add(d.id);
      try {
        return await attempt(ctx, wf, d, opts);
      } finally {
        inFlight.delete(d.id);
      }
    }),
  );
  return results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
}

async function attempt(ctx: RunContext, wf: Workflow, d: Delivery, opts: DeliveryOptions): Promise<Delivery> {
  const now = opts.now ?? Date.now;
  const backoff = opts.backoffMs ?? DEFAULT_BACKOFF_MS;
  const timeoutMs = opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const repo = ctx.store.workflows;
  // Lease: another process polling deliveries skips this one while the attempt runs.
  await repo.updateDelivery({ ...d, nextAttemptAt: now() + timeoutMs + 5_000, updatedAt: now() });
  const run = await repo.run(d.runId);
  let status: number | null = null;
  let error: string | null = null;
  let permanent = false;
  if (!wf.webhook || wf.webhook.url !== d.target) {
    error = 'the workflow no longer has this webhook';
  } else if (!run) {
    error = 'the run no longer exists';
  } else {
    const digest = await loadDigest(ctx, wf, run);
    const body = JSON.stringify({ event: 'workflow.run', delivery_id: d.id, ...digest });
    const ts = Math.floor(now() / 1000);
    try {
      const res = await safePost(d.target, Buffer.from(body), {
        allowPrivate: opts.allowPrivate,
        timeoutMs,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'content-length': String(Buffer.byteLength(body)),
          'x-lodestone-event': 'workflow.run',
          'x-lodestone-delivery': String(d.id),
          'x-lodestone-timestamp': String(ts),
          'x-lodestone-signature': sign(wf.webhook.secret, ts, body),
        },
      });
      status = res.status;
      const said = res.body.subarray(0, 200).toString('utf8');
      if (res.status < 200 || res.status >= 300) error = said ? `HTTP ${res.status}: ${said}` : `HTTP ${res.status}`;
    } catch (err) {
      error = describeError(err);
      // A refused address (SSRF guard) or a bad URL will not change by waiting.
      if (err instanceof LodestoneError && (err.code === 'fetch_blocked' || err.code === 'bad_request')) permanent = true;
    }
  }
  const attempts = d.attempts + 1;
  const final: Delivery =
    error === null
      ? { ...d, status: 'delivered', attempts, lastStatus: status, lastError: null, nextAttemptAt: null, updatedAt: now() }
      : permanent || attempts > backoff.length || error === 'the workflow no longer has this webhook' || error === 'the run no longer exists'
        ? { ...d, status: 'failed', attempts, lastStatus: status, lastError: error, nextAttemptAt: null, updatedAt: now() }
        : { ...d, status: 'pending', attempts, lastStatus: status, lastError: error, nextAttemptAt: now() + backoff[attempts - 1]!, updatedAt: now() };
  await repo.updateDelivery(final);
  return final;
}
