/**
 * PostgreSQL persistence of workflows (WorkflowRepo), in the documents' database: a run's
 * selection, its delivered-set and the documents it points at share one transaction
 * boundary, as on SQLite. Two processes triggering one workflow at once get one run: the
 * workflow's row is locked while the running run is looked up and created, and the
 * partial unique index is the backstop.
 */
import type pg from 'pg';
import { LodestoneError } from '../../core/errors.js';
import type { BeginRun, NewRunItem, WorkflowRepo } from '../ports.js';
import type { Delivery, FeedPoll, RunItemRow, Workflow, WorkflowRun, WorkflowSpec } from '../records.js';
import { type DeliveryRow, type ItemRow, type RunRow, specJson, toDelivery, toItem, toRun, toWorkflow, type WorkflowRow } from '../rows.js';
import { LAST_SEQ_SQL, WRITE_LOCK } from './locks.js';

/** A run's columns plus its number within its workflow. */
const RUN = 'r.*, (SELECT count(*) FROM workflow_runs x WHERE x.workflow_id = r.workflow_id AND x.id <= r.id)::int AS number';

function uniqueName(err: unknown, name: string): unknown {
  return (err as { code?: string }).code === '23505' ? new LodestoneError('conflict', `a workflow named "${name}" already exists`) : err;
}

export class PgWorkflowRepo implements WorkflowRepo {
  /** The store's own transaction and query helpers (one pool, one readiness, one error mapping). */
  constructor(
    private readonly db: {
      tx: <T>(fn: (c: pg.PoolClient) => Promise<T>) => Promise<T>;
      q: <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<R[]>;
    },
  ) {}

  private q<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    return this.db.q<R>(sql, params);
  }

  private tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.db.tx(fn);
  }

  async create(spec: WorkflowSpec, startAfter: number, now: number): Promise<Workflow> {
    try {
      await this.q('INSERT INTO workflows (name, spec, paused, created_at, updated_at, start_after) VALUES ($1, $2, false, $3, $3, $4)', [
        spec.name,
        specJson(spec),
        now,
        startAfter,
      ]);
    } catch (err) {
      throw uniqueName(err, spec.name);
    }
    return (await this.get(spec.name))!;
  }

  async update(id: number, spec: WorkflowSpec, now: number): Promise<Workflow> {
    try {
      await this.q('UPDATE workflows SET name = $1, spec = $2, updated_at = $3 WHERE id = $4', [spec.name, specJson(spec), now, id]);
    } catch (err) {
      throw uniqueName(err, spec.name);
    }
    return (await this.get(spec.name))!;
  }

  async setPaused(id: number, paused: boolean, now: number): Promise<void> {
    await this.q('UPDATE workflows SET paused = $1, updated_at = $2 WHERE id = $3', [paused, now, id]);
  }

  async remove(id: number): Promise<void> {
    await this.tx(async (c) => {
      await c.query('DELETE FROM workflow_items WHERE run_id IN (SELECT id FROM workflow_runs WHERE workflow_id = $1)', [id]);
      await c.query('DELETE FROM workflow_runs WHERE workflow_id = $1', [id]);
      await c.query('DELETE FROM workflow_seen WHERE workflow_id = $1', [id]);
      await c.query('DELETE FROM deliveries WHERE workflow_id = $1', [id]);
      await c.query('DELETE FROM workflows WHERE id = $1', [id]);
    });
  }

  async get(name: string): Promise<Workflow | null> {
    const r = await this.q<WorkflowRow>('SELECT * FROM workflows WHERE name = $1', [name]);
    return r[0] ? toWorkflow(r[0]) : null;
  }

  async list(): Promise<Workflow[]> {
    return (await this.q<WorkflowRow>('SELECT * FROM workflows ORDER BY name COLLATE "C"')).map(toWorkflow);
  }

  async maxDocId(): Promise<number> {
    return this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
      return Number((await c.query<{ seq: number }>(LAST_SEQ_SQL)).rows[0]?.seq ?? 0);
    });
  }

  async lastDocIdBefore(at: number): Promise<number> {
    const r = await this.q<{ m: number | null }>('SELECT max(seq) AS m FROM documents WHERE ingested_at < $1', [at]);
    return Number(r[0]?.m ?? 0);
  }

  async beginRun(
    wf: Workflow,
    opts: { trigger: WorkflowRun['trigger']; scheduledFor: number | null; owner: string; now: number; abandoned: (run: WorkflowRun) => boolean },
  ): Promise<BeginRun> {
    return this.tx(async (c): Promise<BeginRun> => {
      // One caller at a time per workflow; no document writer in flight while the window is read.
      await c.query('SELECT id FROM workflows WHERE id = $1 FOR UPDATE', [wf.id]);
      const running = (await c.query<RunRow>(`SELECT ${RUN} FROM workflow_runs r WHERE workflow_id = $1 AND status = 'running'`, [wf.id])).rows[0];
      if (running) {
        const run = toRun(running);
        if (!opts.abandoned(run)) return { busy: run };
        await c.query('UPDATE workflow_runs SET owner = $1, heartbeat_at = $2 WHERE id = $3', [opts.owner, opts.now, run.id]);
        return { run: { ...run, owner: opts.owner, heartbeatAt: opts.now }, resumed: true };
      }
      const last = (
        await c.query<{ to_doc: number }>("SELECT to_doc FROM workflow_runs WHERE workflow_id = $1 AND status = 'done' ORDER BY id DESC LIMIT 1", [wf.id])
      ).rows[0]?.to_doc;
      await c.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
      const seq = Number((await c.query<{ seq: number }>(LAST_SEQ_SQL)).rows[0]?.seq ?? 0);
      const from = last ?? wf.startAfter;
      const ins = await c.query<{ id: number }>(
        `INSERT INTO workflow_runs (workflow_id, trigger, scheduled_for, status, from_doc, to_doc, owner, started_at, heartbeat_at)
         VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, $7) RETURNING id`,
        [wf.id, opts.trigger, opts.scheduledFor, from, Math.max(from, seq), opts.owner, opts.now],
      );
      const row = (await c.query<RunRow>(`SELECT ${RUN} FROM workflow_runs r WHERE id = $1`, [ins.rows[0]!.id])).rows[0]!;
      return { run: toRun(row), resumed: false };
    });
  }

  async recordSkipped(workflowId: number, trigger: WorkflowRun['trigger'], scheduledFor: number | null, reason: string, now: number): Promise<number> {
    const r = await this.q<{ id: number }>(
      `INSERT INTO workflow_runs (workflow_id, trigger, scheduled_for, status, reason, from_doc, to_doc, selected, owner, started_at, heartbeat_at, finished_at)
       VALUES ($1, $2, $3, 'skipped', $4, 0, 0, true, '', $5, $5, $5) RETURNING id`,
      [workflowId, trigger, scheduledFor, reason, now],
    );
    return r[0]!.id;
  }

  async recordSelection(run: WorkflowRun, items: NewRunItem[], seenKeys: string[], matched: number, capped: number): Promise<void> {
    await this.tx(async (c) => {
      if (items.length > 0) {
        await c.query(
          `INSERT INTO workflow_items (run_id, pos, kind, doc_id, doc_key, cluster_id, repeat_of_run, summary_state, summary_error)
           SELECT $1, x.pos, x.kind, x.doc_id, x.doc_key, x.cluster_id, x.repeat_of_run, 'none', NULL
           FROM unnest($2::int[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::bigint[]) AS x(pos, kind, doc_id, doc_key, cluster_id, repeat_of_run)
           ON CONFLICT (run_id, pos) DO UPDATE SET kind = excluded.kind, doc_id = excluded.doc_id, doc_key = excluded.doc_key,
             cluster_id = excluded.cluster_id, repeat_of_run = excluded.repeat_of_run, summary_state = 'none', summary_error = NULL`,
          [
            run.id,
            items.map((_, i) => i + 1),
            items.map((it) => it.kind),
            items.map((it) => it.docId),
            items.map((it) => it.docKey),
            items.map((it) => it.clusterId),
            items.map((it) => it.repeatOfRun),
          ],
        );
      }
      if (seenKeys.length > 0) {
        // A key last claimed by a failed run is claimed again by this one.
        await c.query(
          `INSERT INTO workflow_seen (workflow_id, doc_key, run_id) SELECT $1, k, $2 FROM unnest($3::text[]) AS k
           ON CONFLICT (workflow_id, doc_key) DO UPDATE SET run_id = excluded.run_id
           WHERE (SELECT status FROM workflow_runs WHERE id = workflow_seen.run_id) = 'failed'`,
          [run.workflowId, run.id, [...new Set(seenKeys)]],
        );
      }
      await c.query('UPDATE workflow_runs SET selected = true, matched = $1, capped = $2 WHERE id = $3', [matched, capped, run.id]);
    });
  }

  async items(runId: number): Promise<RunItemRow[]> {
    return (await this.q<ItemRow>('SELECT * FROM workflow_items WHERE run_id = $1 ORDER BY pos', [runId])).map(toItem);
  }

  async setItemSummary(runId: number, pos: number, state: RunItemRow['summaryState'], error: string | null): Promise<void> {
    await this.q('UPDATE workflow_items SET summary_state = $1, summary_error = $2 WHERE run_id = $3 AND pos = $4', [state, error, runId, pos]);
  }

  async heartbeat(runId: number, now: number): Promise<void> {
    await this.q('UPDATE workflow_runs SET heartbeat_at = $1 WHERE id = $2', [now, runId]);
  }

  async finishRun(runId: number, status: 'done' | 'failed', reason: string | null, brief: string | null, now: number, targets: string[]): Promise<void> {
    await this.tx(async (c) => {
      await c.query('UPDATE workflow_runs SET status = $1, reason = $2, brief = $3, finished_at = $4, heartbeat_at = $4 WHERE id = $5', [
        status,
        reason,
        brief,
        now,
        runId,
      ]);
      if (status !== 'done' || targets.length === 0) return;
      await c.query(
        `INSERT INTO deliveries (workflow_id, run_id, target, status, attempts, next_attempt_at, created_at, updated_at)
         SELECT r.workflow_id, r.id, t, 'pending', 0, $2, $2, $2 FROM workflow_runs r, unnest($3::text[]) WITH ORDINALITY AS x(t, o)
         WHERE r.id = $1 ORDER BY o`,
        [runId, now, targets],
      );
    });
  }

  async runs(workflowId: number, limit: number): Promise<WorkflowRun[]> {
    return (await this.q<RunRow>(`SELECT ${RUN} FROM workflow_runs r WHERE workflow_id = $1 ORDER BY id DESC LIMIT $2`, [workflowId, limit])).map(toRun);
  }

  async run(runId: number): Promise<WorkflowRun | null> {
    const r = await this.q<RunRow>(`SELECT ${RUN} FROM workflow_runs r WHERE id = $1`, [runId]);
    return r[0] ? toRun(r[0]) : null;
  }

  async lastDone(workflowId: number): Promise<WorkflowRun | null> {
    const r = await this.q<RunRow>(`SELECT ${RUN} FROM workflow_runs r WHERE workflow_id = $1 AND status = 'done' ORDER BY id DESC LIMIT 1`, [workflowId]);
    return r[0] ? toRun(r[0]) : null;
  }

  async seen(workflowId: number, keys: string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    // A failed run delivered nothing: what it selected does not count.
    const r = await this.q<{ doc_key: string }>(
      `SELECT s.doc_key FROM workflow_seen s JOIN workflow_runs r ON r.id = s.run_id
       WHERE s.workflow_id = $1 AND s.doc_key = ANY($2::text[]) AND r.status <> 'failed'`,
      [workflowId, keys],
    );
    return new Set(r.map((x) => x.doc_key));
  }

  async docKeys(seqs: number[]): Promise<Map<number, { key: string; clusterId: number | null }>> {
    const out = new Map<number, { key: string; clusterId: number | null }>();
    if (seqs.length === 0) return out;
    const rows = await this.q<{ seq: number; key: string; cluster_id: number | null }>('SELECT seq, key, cluster_id FROM documents WHERE seq = ANY($1::bigint[])', [
      seqs,
    ]);
    for (const r of rows) out.set(r.seq, { key: r.key, clusterId: r.cluster_id });
    return out;
  }

  async clusterKeys(clusterId: number): Promise<string[]> {
    return (await this.q<{ key: string }>('SELECT key FROM documents WHERE cluster_id = $1', [clusterId])).map((r) => r.key);
  }

  async recentItems(workflowId: number, limit: number): Promise<(RunItemRow & { runId: number; finishedAt: number })[]> {
    const rows = await this.q<ItemRow & { finished_at: number }>(
      `SELECT i.*, r.finished_at FROM workflow_items i JOIN workflow_runs r ON r.id = i.run_id
       WHERE r.workflow_id = $1 AND r.status = 'done' AND i.kind = 'item'
       ORDER BY r.id DESC, i.pos LIMIT $2`,
      [workflowId, limit],
    );
    return rows.map((r) => ({ ...toItem(r), runId: r.run_id, finishedAt: r.finished_at }));
  }

  async deliveries(workflowId: number, limit: number): Promise<Delivery[]> {
    return (await this.q<DeliveryRow>('SELECT * FROM deliveries WHERE workflow_id = $1 ORDER BY id DESC LIMIT $2', [workflowId, limit])).map(toDelivery);
  }

  async dueDeliveries(now: number, workflowId?: number): Promise<Delivery[]> {
    const rows =
      workflowId === undefined
        ? await this.q<DeliveryRow>("SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id", [now])
        : await this.q<DeliveryRow>(
            "SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1 AND workflow_id = $2 ORDER BY next_attempt_at, id",
            [now, workflowId],
          );
    return rows.map(toDelivery);
  }

  async updateDelivery(d: Delivery): Promise<void> {
    await this.q('UPDATE deliveries SET status = $1, attempts = $2, last_status = $3, last_error = $4, next_attempt_at = $5, updated_at = $6 WHERE id = $7', [
      d.status,
      d.attempts,
      d.lastStatus,
      d.lastError,
      d.nextAttemptAt,
      d.updatedAt,
      d.id,
    ]);
  }

  async feeds(): Promise<FeedPoll[]> {
    const rows = await this.q<{
      url: string;
      source: string;
      schedule: string | null;
      etag: string | null;
      last_modified: string | null;
      failures: number;
      next_poll_at: number | null;
      last_fetch_at: number;
      last_error: string | null;
    }>("SELECT url, source, schedule, etag, last_modified, failures, next_poll_at, last_fetch_at, last_error FROM fetches WHERE kind = 'feed' ORDER BY url");
    return rows.map((r) => ({
      url: r.url,
      source: r.source,
      schedule: r.schedule,
      etag: r.etag,
      lastModified: r.last_modified,
      failures: r.failures,
      nextPollAt: r.next_poll_at,
      lastFetchAt: r.last_fetch_at,
      lastError: r.last_error,
    }));
  }

  async updateFeed(
    url: string,
    patch: Partial<Pick<FeedPoll, 'schedule' | 'etag' | 'lastModified' | 'failures' | 'nextPollAt'>> & { kind?: 'feed' | 'page' },
  ): Promise<void> {
    const cols: Record<string, string> = {
      schedule: 'schedule',
      etag: 'etag',
      lastModified: 'last_modified',
      failures: 'failures',
      nextPollAt: 'next_poll_at',
      kind: 'kind',
    };
    const sets: string[] = [];
    const args: unknown[] = [];
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined || !(k in cols)) continue;
      args.push(v);
      sets.push(`${cols[k]} = $${args.length}`);
    }
    if (sets.length === 0) return;
    args.push(url);
    await this.q(`UPDATE fetches SET ${sets.join(', ')} WHERE url = $${args.length}`, args);
  }
}
