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

  it('never starts a generated title with a byline or a reprint note (issue 18, item 6)', () => {
    expect(displayTitle(doc('', '（原标题：新能源车出口增长）据统计，上半年出口增长。'), [])).toBe('新能源车出口增长');
    expect(displayTitle(doc('', '（记者张三）近日，某市发布稀土产业规划。'), [])).toBe('近日，某市发布稀土产业规划');
    expect(displayTitle(doc('', '示例网北京7月28日电 （记者李四、王五）7月27日晚，某活动举行。'), [])).toBe('7月27日晚，某活动举行');
    expect(displayTitle(doc('', '  (王六)某项赛事4日举行，选手夺冠。'), [])).toBe('某项赛事4日举行，选手夺冠');
    expect(displayTitle(doc('', '本报讯（记者 赵七）8月2日，某厅发布通知。'), [])).toBe('8月2日，某厅发布通知');
    expect(displayTitle(doc('', '记者 钱八 孙九8月8日，某条例发布会召开。'), [])).toBe('8月8日，某条例发布会召开');
    expect(displayTitle(doc('', '记者21日从某集团了解到，客流高峰来临。'), [])).toBe('记者21日从某集团了解到，客流高峰来临');
  });
});
