import { describe, expect, it } from 'vitest';
import type { StoredDocument } from '../core/types.js';
import { displayTitle } from './search.js';

const doc = (title: string, first: string) => ({ title, paragraphs: [{ n: 1, text: first }] }) as unknown as StoredDocument;

describe('displayTitle', () => {
  it('uses the title, a duplicate title, a 【headline】, or the first sentence without the dateline', () => {
    expect(displayTitle(doc('稀土', 'x'), [])).toBe('稀土');
    expect(displayTitle(doc('', 'x'), [{ title: '' }, { title: '副本标题' }])).toBe('副本标题');
    expect(displayTitle(doc('', '【中国7月稀土出口下降】财联社8月18日电，……'), [])).toBe('中国7月稀土出口下降');
    expect(displayTitle(doc('', '财联社8月18日电，中国7月份稀土出口10,314吨。同比下降。'), [])).toBe('中国7月份稀土出口10,314吨');
  });
});
