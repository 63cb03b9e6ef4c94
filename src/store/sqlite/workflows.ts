/**
 * SQLite persistence of workflows (WorkflowRepo). Lives in the documents' database so a
 * run's selection, its delivered-set and the documents it points at share one file and
 * one transaction boundary.
 */
import type Database from 'better-sqlite3';
import { LodestoneError } from '../../core/errors.js';
import type { Delivery, FeedPoll, RunItemRow, Workflow, WorkflowRun, WorkflowSpec } from '../records.js';
import { type DeliveryRow, type ItemRow, type RunRow, specJson, toDelivery, toItem, toRun, toWorkflow, type WorkflowRow } from '../rows.js';
import type { BeginRun, NewRunItem, WorkflowRepo } from '../ports.js';

/** A run's columns plus its number within its workflow (1, 2, 3, … whatever other workflows ran). */
const RUN = 'r.*, (SELECT count(*) FROM workflow_runs x WHERE x.workflow_id = r.workflow_id AND x.id <= r.id) AS number';

export class SqliteWorkflowRepo implements WorkflowRepo {
  /** Statements a run's selection uses once per matching story, prepared once. */
  private readonly st: {
    seen: Database.Statement<[number, string], number>;
    clusterKeys: Database.Statement<[number], string>;
    docKey: Database.Statement<[number], [string, number | null]>;
  };

  constructor(private readonly db: Database.Database) {
    this.st = {
      // A failed run delivered nothing: what it selected does not count.
      seen: db
        .prepare<[number, string], number>(
          `SELECT 1 FROM workflow_seen s JOIN workflow_runs r ON r.id = s.run_id
           WHERE s.workflow_id = ? AND s.doc_key = ? AND r.status <> 'failed'`,
        )
        .pluck(),
      clusterKeys: db.prepare<[number], string>('SELECT key FROM documents WHERE cluster_id = ?').pluck(),
      docKey: db.prepare<[number], [string, number | null]>('SELECT key, cluster_id FROM documents WHERE id = ?').raw(true),
    };
  }

  async create(spec: WorkflowSpec, startAfter: number, now: number): Promise<Workflow> {
    try {
      this.db
        .prepare('INSERT INTO workflows (name, spec, paused, created_at, updated_at, start_after) VALUES (?, ?, 0, ?, ?, ?)')
        .run(spec.name, specJson(spec), now, now, startAfter);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new LodestoneError('conflict', `a workflow named "${spec.name}" already exists`);
      }
      throw err;
    }
    return (await this.get(spec.name))!;
  }

  async update(id: number, spec: WorkflowSpec, now: number): Promise<Workflow> {
    try {
      this.db.prepare('UPDATE workflows SET name = ?, spec = ?, updated_at = ? WHERE id = ?').run(spec.name, specJson(spec), now, id);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new LodestoneError('conflict', `a workflow named "${spec.name}" already exists`);
      }
      throw err;
    }
    return (await this.get(spec.name))!;
  }

  async setPaused(id: number, paused: boolean, now: number): Promise<void> {
    this.db.prepare('UPDATE workflows SET paused = ?, updated_at = ? WHERE id = ?').run(paused ? 1 : 0, now, id);
  }

  async remove(id: number): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM workflow_items WHERE run_id IN (SELECT id FROM workflow_runs WHERE workflow_id = ?)').run(id);
      this.db.prepare('DELETE FROM workflow_runs WHERE workflow_id = ?').run(id);
      this.db.prepare('DELETE FROM workflow_seen WHERE workflow_id = ?').run(id);
      this.db.prepare('DELETE FROM deliveries WHERE workflow_id = ?').run(id);
      this.db.prepare('DELETE FROM workflows WHERE id = ?').run(id);
    })();
  }

  async get(name: string): Promise<Workflow | null> {
    const r = this.db.prepare('SELECT * FROM workflows WHERE name = ?').get(name) as WorkflowRow | undefined;
    return r ? toWorkflow(r) : null;
  }

  async list(): Promise<Workflow[]> {
    return (this.db.prepare('SELECT * FROM workflows ORDER BY name').all() as WorkflowRow[]).map(toWorkflow);
  }

  async maxDocId(): Promise<number> {
    // AUTOINCREMENT keeps the highest id ever handed out in sqlite_sequence, even after deletes.
    const seq = this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'documents'").pluck().get() as number | undefined;
    return seq ?? 0;
  }

  async lastDocIdBefore(at: number): Promise<number> {
    return (this.db.prepare('SELECT max(id) FROM documents WHERE ingested_at < ?').pluck().get(at) as number | null) ?? 0;
  }

  async beginRun(
    wf: Workflow,
    opts: { trigger: WorkflowRun['trigger']; scheduledFor: number | null; owner: string; now: number; abandoned: (run: WorkflowRun) => boolean },
  ): Promise<BeginRun> {
    // IMMEDIATE: the read of the running run and the insert happen under the write lock, so
    // another process cannot slip a second run in between; the partial unique index is the
    // backstop.
    const begin = this.db.transaction((): BeginRun => {
      const running = this.db.prepare(`SELECT ${RUN} FROM workflow_runs r WHERE workflow_id = ? AND status = 'running'`).get(wf.id) as
        | RunRow
        | undefined;
      if (running) {
        const run = toRun(running);
        if (!opts.abandoned(run)) return { busy: run };
        this.db.prepare('UPDATE workflow_runs SET owner = ?, heartbeat_at = ? WHERE id = ?').run(opts.owner, opts.now, run.id);
        return { run: { ...run, owner: opts.owner, heartbeatAt: opts.now }, resumed: true };
      }
      const last = this.db
        .prepare("SELECT to_doc FROM workflow_runs WHERE workflow_id = ? AND status = 'done' ORDER BY id DESC LIMIT 1")
        .pluck()
        .get(wf.id) as number | undefined;
      const seq = (this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'documents'").pluck().get() as number | undefined) ?? 0;
      const from = last ?? wf.startAfter;
      const info = this.db
        .prepare(
          `INSERT INTO workflow_runs (workflow_id, trigger, scheduled_for, status, from_doc, to_doc, owner, started_at, heartbeat_at)
           VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?)`,
        )
        .run(wf.id, opts.trigger, opts.scheduledFor, from, Math.max(from, seq), opts.owner, opts.now, opts.now);
      const row = this.db.prepare(`SELECT ${RUN} FROM workflow_runs r WHERE id = ?`).get(info.lastInsertRowid) as RunRow;
      return { run: toRun(row), resumed: false };
    });
    return begin.immediate();
  }

  async recordSkipped(workflowId: number, trigger: WorkflowRun['trigger'], scheduledFor: number | null, reason: string, now: number): Promise<number> {
    // Its window is empty (from = to = 0): a skipped run selects nothing and moves nothing on.
    const info = this.db
      .prepare(
        `INSERT INTO workflow_runs (workflow_id, trigger, scheduled_for, status, reason, from_doc, to_doc, selected, owner, started_at, heartbeat_at, finished_at)
         VALUES (?, ?, ?, 'skipped', ?, 0, 0, 1, '', ?, ?, ?)`,
      )
      .run(workflowId, trigger, scheduledFor, reason, now, now, now);
    return Number(info.lastInsertRowid);
  }

  async recordSelection(run: WorkflowRun, items: NewRunItem[], seenKeys: string[], matched: number, capped: number): Promise<void> {
    this.db.transaction(() => {
      const ins = this.db.prepare(
        `INSERT OR REPLACE INTO workflow_items (run_id, pos, kind, doc_id, doc_key, cluster_id, repeat_of_run, summary_state, summary_error)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'none', NULL)`,
      );
      items.forEach((it, i) => {
        ins.run(run.id, i + 1, it.kind, it.docId, it.docKey, it.clusterId, it.repeatOfRun);
      });
      // A key last claimed by a failed run is claimed again by this one.
      const seen = this.db.prepare(
        `INSERT INTO workflow_seen (workflow_id, doc_key, run_id) VALUES (?, ?, ?)
         ON CONFLICT DO UPDATE SET run_id = excluded.run_id
         WHERE (SELECT status FROM workflow_runs WHERE id = workflow_seen.run_id) = 'failed'`,
      );
      for (const k of seenKeys) seen.run(run.workflowId, k, run.id);
      this.db.prepare('UPDATE workflow_runs SET selected = 1, matched = ?, capped = ? WHERE id = ?').run(matched, capped, run.id);
    })();
  }

  async items(runId: number): Promise<RunItemRow[]> {
    return (this.db.prepare('SELECT * FROM workflow_items WHERE run_id = ? ORDER BY pos').all(runId) as ItemRow[]).map(toItem);
  }

  async setItemSummary(runId: number, pos: number, state: RunItemRow['summaryState'], error: string | null): Promise<void> {
    this.db.prepare('UPDATE workflow_items SET summary_state = ?, summary_error = ? WHERE run_id = ? AND pos = ?').run(state, error, runId, pos);
  }

  async heartbeat(runId: number, now: number): Promise<void> {
    this.db.prepare('UPDATE workflow_runs SET heartbeat_at = ? WHERE id = ?').run(now, runId);
  }

  async finishRun(runId: number, status: 'done' | 'failed', reason: string | null, brief: string | null, now: number, targets: string[]): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare('UPDATE workflow_runs SET status = ?, reason = ?, brief = ?, finished_at = ?, heartbeat_at = ? WHERE id = ?')
        .run(status, reason, brief, now, now, runId);
      if (status !== 'done') return;
      const wf = this.db.prepare('SELECT workflow_id FROM workflow_runs WHERE id = ?').pluck().get(runId) as number;
      const ins = this.db.prepare(
        `INSERT INTO deliveries (workflow_id, run_id, target, status, attempts, next_attempt_at, created_at, updated_at)
         VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)`,
      );
      for (const t of targets) ins.run(wf, runId, t, now, now, now);
    })();
  }

  async runs(workflowId: number, limit: number): Promise<WorkflowRun[]> {
    return (this.db.prepare(`SELECT ${RUN} FROM workflow_runs r WHERE workflow_id = ? ORDER BY id DESC LIMIT ?`).all(workflowId, limit) as RunRow[]).map(
      toRun,
    );
  }

  async run(runId: number): Promise<WorkflowRun | null> {
    const r = this.db.prepare(`SELECT ${RUN} FROM workflow_runs r WHERE id = ?`).get(runId) as RunRow | undefined;
    return r ? toRun(r) : null;
  }

  async lastDone(workflowId: number): Promise<WorkflowRun | null> {
    const r = this.db
      .prepare(`SELECT ${RUN} FROM workflow_runs r WHERE workflow_id = ? AND status = 'done' ORDER BY id DESC LIMIT 1`)
      .get(workflowId) as RunRow | undefined;
    return r ? toRun(r) : null;
  }

  async seen(workflowId: number, keys: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const k of keys) if (this.st.seen.get(workflowId, k) !== undefined) out.add(k);
    return out;
  }

  async docKeys(rowids: number[]): Promise<Map<number, { key: string; clusterId: number | null }>> {
    const out = new Map<number, { key: string; clusterId: number | null }>();
    for (const id of rowids) {
      const r = this.st.docKey.get(id);
      if (r) out.set(id, { key: r[0], clusterId: r[1] });
    }
    return out;
  }

  async clusterKeys(clusterId: number): Promise<string[]> {
    return this.st.clusterKeys.all(clusterId);
  }

  async recentItems(workflowId: number, limit: number): Promise<(RunItemRow & { runId: number; finishedAt: number })[]> {
    const rows = this.db
      .prepare(
        `SELECT i.*, r.finished_at FROM workflow_items i JOIN workflow_runs r ON r.id = i.run_id
         WHERE r.workflow_id = ? AND r.status = 'done' AND i.kind = 'item'
         ORDER BY r.id DESC, i.pos LIMIT ?`,
      )
      .all(workflowId, limit) as (ItemRow & { finished_at: number })[];
    return rows.map((r) => ({ ...toItem(r), runId: r.run_id, finishedAt: r.finished_at }));
  }

  async deliveries(workflowId: number, limit: number): Promise<Delivery[]> {
    return (this.db.prepare('SELECT * FROM deliveries WHERE workflow_id = ? ORDER BY id DESC LIMIT ?').all(workflowId, limit) as DeliveryRow[]).map(
      toDelivery,
    );
  }

  async dueDeliveries(now: number, workflowId?: number): Promise<Delivery[]> {
    const rows =
      workflowId === undefined
        ? this.db.prepare("SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at").all(now)
        : this.db
            .prepare("SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? AND workflow_id = ? ORDER BY next_attempt_at")
            .all(now, workflowId);
    return (rows as DeliveryRow[]).map(toDelivery);
  }

  async updateDelivery(d: Delivery): Promise<void> {
    this.db
      .prepare(
        'UPDATE deliveries SET status = ?, attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?',
      )
      .run(d.status, d.attempts, d.lastStatus, d.lastError, d.nextAttemptAt, d.updatedAt, d.id);
  }

  async feeds(): Promise<FeedPoll[]> {
    const rows = this.db
      .prepare("SELECT url, source, schedule, etag, last_modified, failures, next_poll_at, last_fetch_at, last_error FROM fetches WHERE kind = 'feed'")
      .all() as {
      url: string;
      source: string;
      schedule: string | null;
      etag: string | null;
      last_modified: string | null;
      failures: number;
      next_poll_at: number | null;
      last_fetch_at: number;
      last_error: string | null;
    }[];
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
      sets.push(`${cols[k]} = ?`);
      args.push(v);
    }
    if (sets.length === 0) return;
    this.db.prepare(`UPDATE fetches SET ${sets.join(', ')} WHERE url = ?`).run(...args, url);
  }
}
