import { describe, expect, it } from 'vitest';
import { clusterConflict, figures, figuresAgree, headlineKey, headlinesOppose } from './policy.js';

describe('dedup policy', () => {
  it('figures carry registered company names; two companies through one template disagree', () => {
    const a = figures('【甲乙智能科技股份有限公司通过港交所上市聆讯】证券机构显示，甲乙智能科技股份有限公司更新聆讯后资料集。');
    const b = figures('证券机构显示，丙丁国际控股有限公司更新聆讯后资料集，7月26日。');
    expect(a.has('@甲乙智能科技')).toBe(true);
    expect(b.has('@丙丁国际控股')).toBe(true);
    expect(figuresAgree(a, b)).toBe(false);
    expect(figuresAgree(a, figures('据证券机构显示，甲乙智能科技股份有限公司更新资料集。'))).toBe(true);
    // Numbers alone still decide when a text names no company.
    expect(figuresAgree(figures('原油收跌1.2%，报69.80美元'), figures('原油收跌0.5%，报70.12美元'))).toBe(false);
  });

  it('headlines: punctuation does not matter; opposite words and an ending make two events', () => {
    expect(headlineKey('伊朗外长：伊美沟通渠道仍畅通')).toBe(headlineKey('伊朗外长 伊美沟通渠道仍畅通'));
    expect(headlinesOppose('富时中国A50指数期货涨1%', '富时中国A50指数期货转跌')).toBe(true);
    expect(headlinesOppose('南向资金净买入额达30亿港元', '南向资金净卖出额达30亿港元')).toBe(true);
    expect(headlinesOppose('习近平将同普京小范围会谈', '习近平将同普京大范围会谈')).toBe(true);
    expect(headlinesOppose('中美元首会谈结束', '中美元首会谈超2小时')).toBe(true);
    // A headline with a detail added is the same flash.
    expect(headlinesOppose('韩国交易所启动熔断机制', '韩国交易所启动熔断机制，程序化交易暂停5分钟')).toBe(false);
    expect(headlinesOppose('博通股价盘前跌超10%', '博通盘前跌超10%')).toBe(false);
  });

  it('a cluster never takes a second headline from one outlet, nor an opposing one', () => {
    const members = [
      { source: '快讯一', title: '深圳规划纲要：金融业增加值突破7000亿元' },
      { source: '快讯二', title: '深圳规划纲要：金融业增加值突破7000亿元' },
    ];
    expect(clusterConflict({ source: '快讯一', title: '深圳规划纲要：培育一流金融机构' }, members)).toBe(true);
    expect(clusterConflict({ source: '快讯一', title: '深圳规划纲要 金融业增加值突破7000亿元' }, members)).toBe(false);
    expect(clusterConflict({ source: '快讯三', title: '深圳规划纲要：培育一流金融机构' }, members)).toBe(false);
    expect(clusterConflict({ source: '快讯三', title: '' }, members)).toBe(false);
  });
});
