/**
 * The contract of the stores' other repositories — summaries and their runs, sources,
 * fetches and feed polls, deleted keys, workflows, runs, items, delivered-sets and
 * deliveries — run by every backend beside the documents-and-search contract (suite.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { analyzeDocument } from '../../analysis/analyzer.js';
import type { DocumentStore } from '../ports.js';
import type { WorkflowRun, WorkflowSpec } from '../records.js';
import { doc, type StoreFactory, T0 } from './suite.js';

const SPEC: WorkflowSpec = {
  name: 'rare-earths',
  query: '稀土',
  filters: {},
  lang: null,
  schedule: '0 8 * * *',
  tz: 'Asia/Shanghai',
  summarize: false,
  brief: false,
  webhook: null,
  maxItems: 50,
  refreshFeeds: false,
  firstRunDays: 0,
  translate: true,
};

const OWNER = 'test:1';

export function runRepoContract(name: string, factory: StoreFactory, skip?: string): void {
  const d = skip ? describe.skip : describe;
  d(`Store repositories contract: ${name}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let store: DocumentStore | null = null;
    const open = async () => {
      store = await factory();
      return store;
    };
    afterEach(async () => {
      await store?.close();
      store = null;
    });

    it('summaries: cached by content, template, model and language; status; runs', async () => {
      const s = await open();
      const k = { contentHash: 'h1', template: 'default', model: 'extractive', lang: 'en' };
      expect(await s.getSummary(k)).toBeNull();
      await s.putSummary(k, '{"a":1}');
      await s.putSummary(k, '{"a":2}');
      expect(await s.getSummary(k)).toBe('{"a":2}');
      expect(await s.getSummary({ ...k, lang: 'zh' })).toBeNull();
      expect(await s.getSummaryStatus(k)).toBeNull();
      await s.setSummaryStatus(k, { status: 'pending', reason: null, updatedAt: 5 });
      await s.setSummaryStatus(k, { status: 'failed', reason: 'timeout', updatedAt: 6 });
      expect(await s.getSummaryStatus(k)).toEqual({ status: 'failed', reason: 'timeout', updatedAt: 6 });
      await s.recordSummaryRun({
        startedAt: 1,
        finishedAt: 2,
        scope: 'all',
        model: 'm',
        documents: 3,
        failed: 0,
        requests: 3,
        promptTokens: 10,
        completionTokens: 5,
        cost: null,
      });
    });

    it('sources: documents per source, fetched URLs with their outcome and polling state, deletion', async () => {
      const s = await open();
      await s.upsert([
        analyzeDocument(doc('a', '稀土', '稀土价格', { source: 'wire' })),
        analyzeDocument(doc('b', '锂', '锂价', { source: 'wire' })),
        analyzeDocument(doc('c', '铜', '铜价', { source: 'desk' })),
      ]);
      await s.recordFetch({ url: 'https://example.com/feed.xml', source: 'wire', at: T0, items: 2, error: null });
      await s.recordFetch({ url: 'https://example.com/broken.xml', source: '', at: T0 + 1, items: 0, error: 'HTTP 500' });
      await s.workflows.updateFeed('https://example.com/feed.xml', { kind: 'feed', schedule: '*/30 * * * *', etag: '"e1"', failures: 0 });
      await s.workflows.updateFeed('https://example.com/broken.xml', { kind: 'feed', failures: 3, nextPollAt: T0 + 3600_000 });
      const sources = await s.listSources();
      const wire = sources.find((x) => x.name === 'wire')!;
      expect(wire).toMatchObject({ documents: 2, url: 'https://example.com/feed.xml', feed: true, lastError: null });
      expect(sources.find((x) => x.name === 'desk')).toMatchObject({ documents: 1, url: null, feed: false });
      expect(sources.find((x) => x.name === 'https://example.com/broken.xml')).toMatchObject({ documents: 0, lastError: 'HTTP 500', failures: 3 });
      const feeds = await s.workflows.feeds();
      expect(feeds.map((f) => f.url).sort()).toEqual(['https://example.com/broken.xml', 'https://example.com/feed.xml']);
      expect(feeds.find((f) => f.url.endsWith('feed.xml'))).toMatchObject({ schedule: '*/30 * * * *', etag: '"e1"', lastModified: null });
      expect(await s.deleteSource('wire')).toBe(2);
      expect((await s.stats()).documents).toBe(1);
      expect((await s.listSources()).map((x) => x.name).sort()).toEqual(['desk', 'https://example.com/broken.xml']);
    });

    it('deleted keys: remembered until the key is stored again', async () => {
      const s = await open();
      await s.rememberDeleted(['k1', 'k2'], T0);
      expect([...(await s.deletedKeys(['k1', 'k2', 'k3']))].sort()).toEqual(['k1', 'k2']);
      await s.upsert([analyzeDocument(doc('k1', '稀土', '稀土价格', { key: 'k1' }))]);
      expect([...(await s.deletedKeys(['k1', 'k2']))]).toEqual(['k2']);
    });

    it('workflows: create, unique names, update, pause, list, remove', async () => {
      const s = await open();
      const w = await s.workflows.create(SPEC, 0, T0);
      expect(w).toMatchObject({ ...SPEC, paused: false, createdAt: T0, startAfter: 0 });
      await expect(s.workflows.create(SPEC, 0, T0)).rejects.toMatchObject({ code: 'conflict' });
      const u = await s.workflows.update(w.id, { ...SPEC, query: '稀土 OR 永磁', translate: false }, T0 + 1);
      expect(u).toMatchObject({ id: w.id, query: '稀土 OR 永磁', translate: false, updatedAt: T0 + 1 });
      await s.workflows.create({ ...SPEC, name: 'another' }, 0, T0);
      await expect(s.workflows.update(w.id, { ...SPEC, name: 'another' }, T0 + 2)).rejects.toMatchObject({ code: 'conflict' });
      await s.workflows.setPaused(w.id, true, T0 + 3);
      expect((await s.workflows.get(SPEC.name))!.paused).toBe(true);
      expect((await s.workflows.list()).map((x) => x.name)).toEqual(['another', 'rare-earths']);
      await s.workflows.remove(w.id);
      expect(await s.workflows.get(SPEC.name)).toBeNull();
    });

    it('runs: one running run per workflow, windows in ingest order, selection, seen keys, items, deliveries', async () => {
      const s = await open();
      const repo = s.workflows;
      const w = await repo.create({ ...SPEC, webhook: { url: 'https://example.com/hook', secret: 'x' } }, 0, T0);
      const r1 = await s.upsert([analyzeDocument(doc('a', '稀土', '稀土价格')), analyzeDocument(doc('b', '稀土', '稀土出口'))]);
      expect(await repo.maxDocId()).toBe(r1[1]!.seq);
      const opts = { trigger: 'manual' as const, scheduledFor: null, owner: OWNER, now: T0, abandoned: () => false };
      const [x, y] = await Promise.all([repo.beginRun(w, opts), repo.beginRun(w, opts)]);
      const started = [x, y].filter((b): b is { run: WorkflowRun; resumed: boolean } => 'run' in b);
      expect(started).toHaveLength(1);
      expect([x, y].filter((b) => 'busy' in b)).toHaveLength(1);
      const run = started[0]!.run;
      expect(run).toMatchObject({ number: 1, fromDoc: 0, toDoc: r1[1]!.seq, status: 'running', owner: OWNER });
      // An abandoned run is taken over, not started twice.
      const taken = await repo.beginRun(w, { ...opts, owner: 'other:2', abandoned: () => true });
      expect(taken).toMatchObject({ resumed: true, run: { id: run.id, owner: 'other:2' } });
      const keys = await repo.docKeys(r1.map((r) => r.seq));
      expect([...keys.values()].map((k) => k.key).sort()).toEqual(r1.map((r) => r.key).sort());
      await repo.recordSelection(
        run,
        r1.map((r) => ({ kind: 'item', docId: r.seq, docKey: r.key, clusterId: null, repeatOfRun: null })),
        r1.map((r) => r.key),
        2,
        0,
      );
      expect((await repo.items(run.id)).map((i) => [i.pos, i.docId, i.summaryState])).toEqual([
        [1, r1[0]!.seq, 'none'],
        [2, r1[1]!.seq, 'none'],
      ]);
      await repo.setItemSummary(run.id, 2, 'failed', 'model down');
      expect((await repo.items(run.id))[1]).toMatchObject({ summaryState: 'failed', summaryError: 'model down' });
      expect([...(await repo.seen(w.id, [...r1.map((r) => r.key), 'other']))].sort()).toEqual(r1.map((r) => r.key).sort());
      await repo.heartbeat(run.id, T0 + 5);
      await repo.finishRun(run.id, 'done', null, '{"brief":1}', T0 + 10, ['https://example.com/hook']);
      expect(await repo.lastDone(w.id)).toMatchObject({ id: run.id, status: 'done', brief: '{"brief":1}', finishedAt: T0 + 10, selected: true, matched: 2 });
      expect((await repo.recentItems(w.id, 10)).map((i) => [i.runId, i.docId])).toEqual(r1.map((r) => [run.id, r.seq]));
      // The next run starts where the last done run ended.
      const r2 = await s.upsert([analyzeDocument(doc('c', '稀土', '稀土永磁'))]);
      const next = await repo.beginRun(w, opts);
      expect(next).toMatchObject({ resumed: false, run: { number: 2, fromDoc: r1[1]!.seq, toDoc: r2[0]!.seq } });
      await repo.finishRun((next as { run: WorkflowRun }).run.id, 'failed', 'boom', null, T0 + 20, ['https://example.com/hook']);
      expect((await repo.runs(w.id, 10)).map((r) => [r.number, r.status])).toEqual([
        [2, 'failed'],
        [1, 'done'],
      ]);
      const skipped = await repo.recordSkipped(w.id, 'schedule', T0 + 30, 'another run in progress', T0 + 30);
      expect(await repo.run(skipped)).toMatchObject({ status: 'skipped', reason: 'another run in progress', fromDoc: 0, toDoc: 0 });
      // Only a done run queues deliveries.
      const due = await repo.dueDeliveries(T0 + 100);
      expect(due).toHaveLength(1);
      expect(due[0]).toMatchObject({ workflowId: w.id, runId: run.id, target: 'https://example.com/hook', status: 'pending', attempts: 0 });
      await repo.updateDelivery({ ...due[0]!, status: 'delivered', attempts: 1, lastStatus: 200, nextAttemptAt: null, updatedAt: T0 + 101 });
      expect(await repo.dueDeliveries(T0 + 200, w.id)).toEqual([]);
      expect((await repo.deliveries(w.id, 10))[0]).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 200 });
      expect(await repo.clusterKeys(12345)).toEqual([]);
      expect(await repo.lastDocIdBefore(Number.MAX_SAFE_INTEGER)).toBe(r2[0]!.seq);
      await repo.remove(w.id);
      expect(await repo.deliveries(w.id, 10)).toEqual([]);
      expect(await repo.runs(w.id, 10)).toEqual([]);
    });
  });
}
