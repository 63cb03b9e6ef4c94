import { describe, expect, it } from 'vitest';
import { detectLanguage } from './detect.js';

describe('detectLanguage', () => {
  it.each([
    ['北方稀土发布公告，上调挂牌价。', 'zh', 'Hans'],
    ['北方稀土發佈公告，上調掛牌價。', 'zh', 'Hant'],
    ['China tightened export controls on rare earth magnets in the second quarter.', 'en', 'Latn'],
    ['Die Firma meldete ein starkes Wachstum im zweiten Quartal des Jahres.', 'und', 'Latn'],
    ['東京の株式市場で日経平均株価が上昇した。', 'ja', 'Jpan'],
    ['', 'und', 'Zyyy'],
  ])('%s -> %s %s', (text, lang, script) => {
    expect(detectLanguage(text)).toEqual({ lang, script });
  });
});
