import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChineseSegmenter } from './chinese.js';
import { segmenterContract } from './contract.js';

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
