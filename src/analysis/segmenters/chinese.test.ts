import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChineseSegmenter } from './chinese.js';

/** The contract every Segmenter passes: lossless, offsets into the input. */
export function segmenterContract(make: () => { segment(text: string): { text: string; start: number; end: number }[] }) {
  it('is lossless and keeps offsets', () => {
    const seg = make();
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'中国农业发展银行稀土 永磁，Hello world。\n\t3.5%'.split('')), maxLength: 60 }), (s) => {
        const parts = seg.segment(s);
        expect(parts.map((p) => p.text).join('')).toBe(s);
        for (const p of parts) expect(s.slice(p.start, p.end)).toBe(p.text);
      }),
      { numRuns: 300 },
    );
  });
}

describe('ChineseSegmenter', () => {
  segmenterContract(() => new ChineseSegmenter());

  it('knows finance vocabulary from the built-in dictionary', () => {
    const words = new ChineseSegmenter().segment('高性能钕铁硼磁体出口管制').map((s) => s.text);
    expect(words).toContain('钕铁硼');
    expect(words).toContain('出口管制');
  });

  it('picks up words added to the user dictionary without a restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-dict-'));
    const path = join(dir, 'userdict.txt');
    const seg = new ChineseSegmenter({ userDictPath: path });
    expect(seg.segment('稀土独立').map((s) => s.text)).not.toContain('镨钕氧化物');
    writeFileSync(path, '镨钕氧化物 100000 n\n');
    seg.refreshUserDict(true);
    expect(seg.segment('镨钕氧化物价格').map((s) => s.text)).toContain('镨钕氧化物');
  });
});
