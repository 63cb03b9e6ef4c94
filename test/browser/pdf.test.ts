/**
 * A Chinese PDF as Chromium prints it (issue 18, item 5): its text layer maps common
 * characters to CJK radical code points (稀⼟, 同⽐增⻓). Printed here by the test's own
 * Chromium, ingested, and searched with the ordinary characters.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingestTargets } from '../../src/services/ingest.js';
import { searchDocuments } from '../../src/services/search.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { browserMissing as missing, openBrowser } from '../helpers/browser.js';
import { tempDir } from '../helpers/fixtures.js';

describe.skipIf(missing)(`a PDF printed by Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('is stored with the unified ideographs, so 同比增长 and 风险提示 find it', async () => {
    const { browser, page } = await openBrowser('zh-CN');
    let pdf: Buffer;
    try {
      await page.setContent(
        '<html lang="zh-CN"><body style="font-family: \'Noto Sans CJK SC\', sans-serif"><h1>稀土行业周报</h1>' +
          '<p>本周稀土价格同比增长百分之十二，出口管制影响有限。</p><p>风险提示：长江流域限电可能影响冶炼分离产能。</p></body></html>',
      );
      pdf = await page.pdf({ format: 'A4' });
    } finally {
      await browser.close();
    }
    const dir = tempDir();
    const file = join(dir, 'weekly.pdf');
    writeFileSync(file, pdf);
    const store = SqliteStore.open(tempDir());
    try {
      const report = await ingestTargets(store, [file], { workers: 0 });
      expect(report.inserted).toBe(1);
      const [doc] = await store.findByPublicId((await searchDocuments(store, { q: '', limit: 1 })).hits[0]!.id);
      const text = doc!.paragraphs.map((p) => p.text).join('\n');
      expect(text).not.toMatch(/[\u2E80-\u2EFF\u2F00-\u2FDF]/u);
      expect(text).toContain('同比增长');
      for (const q of ['同比增长', '风险提示', '长江', '稀土']) expect((await searchDocuments(store, { q })).total, q).toBe(1);
    } finally {
      await store.close();
    }
  });
});
