/**
 * The scheduler inside `lodestone serve`: one croner job per active scheduled workflow,
 * plus a tick that retries due webhook deliveries, polls due feeds and picks up workflows
 * changed by another process (the CLI).
 *
 * Restarts: on start, a workflow whose latest cron slot passed while the server was down
 * (no run started since that slot) runs once, as `catch-up`; older missed slots are not
 * replayed, since one run already covers every document stored since the last done run.
 */
import { Cron } from 'croner';
import { describeError } from '../core/errors.js';
import { defaultTimeZone } from '../core/time.js';
import { pollFeeds } from '../services/sources.js';
import { runNow, type ServiceContext } from './service.js';
import type { Workflow } from '../store/records.js';
import { backoffFromEnv, deliverDue } from './webhook.js';

export interface SchedulerOptions {
  /** How often deliveries and feeds are checked (ms). */
  tickMs?: number;
  log?: (msg: string) => void;
}

export class Scheduler {
  private jobs = new Map<string, Cron>();
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  private stopped = false;
  private readonly running = new Set<Promise<unknown>>();
  /** What the jobs were made from; a change made elsewhere (the CLI) is picked up on a tick. */
  private signature = '';
  /** Settles when the start-up catch-up finished (names of the workflows it ran). */
  caughtUp: Promise<string[]> = Promise.resolve([]);

  constructor(
    private readonly ctx: ServiceContext,
    private readonly opts: SchedulerOptions = {},
  ) {}

  private log(msg: string): void {
    this.opts.log?.(msg);
  }

  async start(): Promise<void> {
    await this.reload();
    // In the background: the server takes requests while missed runs catch up.
    this.caughtUp = this.catchUp().catch((err) => {
      this.log(`catch-up: ${describeError(err)}`);
      return [];
    });
    const tick = this.opts.tickMs ?? 30_000;
    this.timer = setInterval(() => void this.tick(), tick);
    this.timer.unref();
  }

  /** Re-read the workflows (after one was created, edited, paused or deleted). */
  async reload(): Promise<void> {
    if (this.stopped) return;
    for (const job of this.jobs.values()) job.stop();
    this.jobs.clear();
    const list = await this.ctx.store.workflows.list();
    this.signature = signatureOf(list);
    for (const wf of list) {
      if (!wf.schedule || wf.paused) continue;
      try {
        const job = new Cron(wf.schedule, { timezone: wf.tz, protect: true, name: `workflow:${wf.id}` }, () => this.fire(wf.name, 'schedule', Date.now()));
        this.jobs.set(wf.name, job);
      } catch (err) {
        this.log(`workflow "${wf.name}": schedule not started: ${describeError(err)}`);
      }
    }
  }

  /** Run each workflow whose latest slot passed with no run since, once. */
  async catchUp(now = Date.now()): Promise<string[]> {
    const caught: string[] = [];
    for (const wf of await this.ctx.store.workflows.list()) {
      const slot = lastSlot(wf, now);
      if (slot === null || slot < wf.createdAt) continue;
      const last = (await this.ctx.store.workflows.runs(wf.id, 1))[0];
      if (last && last.startedAt >= slot) continue;
      caught.push(wf.name);
      await this.fire(wf.name, 'catch-up', slot);
    }
    return caught;
  }

  private async fire(name: string, trigger: 'schedule' | 'catch-up', slot: number): Promise<void> {
    if (this.stopped) return;
    const p = runNow(this.ctx, name, { trigger, scheduledFor: slot, deliver: 'background' })
      .then((r) => this.log(`workflow "${name}" (${trigger}): ${r.outcome}${r.reason ? ` (${r.reason})` : ''}, ${r.items.length} items`))
      .catch((err) => this.log(`workflow "${name}" (${trigger}) failed: ${describeError(err)}`));
    this.running.add(p);
    await p;
    this.running.delete(p);
  }

  /** Retry due deliveries and poll due feeds; never two ticks at once. */
  async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      if (signatureOf(await this.ctx.store.workflows.list()) !== this.signature) await this.reload();
      await deliverDue(this.ctx, { allowPrivate: this.ctx.allowPrivate, backoffMs: backoffFromEnv() });
      for (const f of await pollFeeds(this.ctx.store, { allowPrivate: this.ctx.allowPrivate, tz: defaultTimeZone(), workers: this.ctx.workers })) {
        if (f.error) this.log(`feed ${f.url}: ${f.error}`);
      }
    } catch (err) {
      this.log(`scheduler tick: ${describeError(err)}`);
    } finally {
      this.ticking = false;
    }
  }

  nextRuns(): { name: string; next: Date | null }[] {
    return [...this.jobs.entries()].map(([name, job]) => ({ name, next: job.nextRun() }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of this.jobs.values()) job.stop();
    this.jobs.clear();
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([this.caughtUp, ...this.running]);
  }
}

/** The latest cron slot at or before `now`, or null for unscheduled or paused workflows. */
export function lastSlot(wf: Workflow, now: number): number | null {
  if (!wf.schedule || wf.paused) return null;
  try {
    const prev = new Cron(wf.schedule, { timezone: wf.tz, paused: true }).previousRuns(1, new Date(now))[0];
    return prev ? prev.getTime() : null;
  } catch {
    return null;
  }
}

function signatureOf(list: Workflow[]): string {
  return list.map((w) => `${w.id}:${w.updatedAt}:${w.paused ? 1 : 0}`).join(',');
}
