/**
 * Recall and precision of Chinese term search against a brute-force substring oracle on
 * cn_finance_flash_news. The oracle scans every stored document's title and paragraphs,
 * folded the way index terms are (NFKC, lower case, traditional -> simplified), for the term
 * as a contiguous string. Search runs through the store with cluster collapse off and no
 * limit on the hit list, so both sides are sets of documents.
 */
import { foldText } from '../src/analysis/normalize.js';
import { parseQuery } from '../src/search/query/parse.js';
import type { SqliteStore } from '../src/store/sqlite/store.js';

/** Terms we chose: industry words, words that live inside compounds, one-character terms. */
export const CJK_TERMS = [
  '稀土', '永磁', '钕铁硼', '农业', '锂', '铜', '光伏', '储能', '半导体', '芯片', '算力', '人工智能', '机器人',
  '新能源', '电池', '固态电池', '出口管制', '关税', '美联储', '降息', '国债', '黄金', '白银', '原油', '天然气',
  '煤炭', '钢铁', '稀有金属', '磁材', '北方稀土', '宁德时代', '比亚迪', '中芯国际', '银行', '券商', '保险',
  '医药', '创新药', '疫苗', '房地产', '地产', '消费', '白酒', '汽车', '低空经济', '无人机', '卫星', '航天',
  '军工', '量子', '数据中心', '液冷', '光模块', '铁矿石', '碳酸锂', '港股', '美股', '科创板', '涨停', '跌停',
  '回购', '减持', '增持', '分红', '并购', '重组', '退市', '监管', '证监会', '央行', '财政部', '商务部', '外汇',
  '人民币', '美元', '欧元', '日元', '通胀', '就业', '出口', '进口', '贸易', '订单', '产能', '价格', '利润',
];

export interface RecallRow {
  term: string;
  oracle: number;
  found: number;
  truePositives: number;
}

export function measureRecall(store: SqliteStore, terms = CJK_TERMS): { rows: RecallRow[]; recall: number; precision: number } {
  // Load every document's searchable text once.
  const rows = store.db.prepare('SELECT id, title, paragraphs FROM documents').raw(true).all() as [number, string, string][];
  const texts = rows.map(([id, title, paras]) => [id, foldText(`${title}\n${(JSON.parse(paras) as string[]).join('\n')}`)] as const);
  const out: RecallRow[] = [];
  let tp = 0;
  let oracleTotal = 0;
  let foundTotal = 0;
  for (const term of terms) {
    const needle = foldText(term);
    const oracle = new Set<number>();
    for (const [id, text] of texts) if (text.includes(needle)) oracle.add(id);
    const res = store.searchSync({
      query: parseQuery(`"${term}"`),
      filters: {},
      sort: 'newest',
      collapse: false,
      limit: rows.length,
      offset: 0,
      facets: false,
    });
    let hit = 0;
    for (const h of res.hits) if (oracle.has(h.seq)) hit++;
    out.push({ term, oracle: oracle.size, found: res.total, truePositives: hit });
    tp += hit;
    oracleTotal += oracle.size;
    foundTotal += res.total;
  }
  return { rows: out, recall: tp / oracleTotal, precision: tp / foundTotal };
}
