/**
 * Evaluation sets for cross-language search (bench/eval-clir.ts), written by us: queries
 * of a few words, no text from the corpora.
 *
 * EN_TO_ZH: English finance and industry concepts with the Chinese forms a reader accepts
 * as the concept (the oracle: documents of the flash corpus containing any of them).
 * `glossary: false` marks concepts our glossary does not hold (CC-CEDICT alone translates them).
 *
 * ZH_TO_EN: Chinese queries for Reuters-21578 topic labels, with the same query in English.
 */
export interface EnConcept {
  en: string;
  zh: string[];
}

export const EN_TO_ZH: EnConcept[] = [
  { en: 'rare earth', zh: ['稀土'] },
  { en: 'export controls', zh: ['出口管制'] },
  { en: 'crude oil', zh: ['原油'] },
  { en: 'natural gas', zh: ['天然气'] },
  { en: 'gold', zh: ['黄金', '金价'] },
  { en: 'copper', zh: ['铜'] },
  { en: 'lithium', zh: ['锂'] },
  { en: 'iron ore', zh: ['铁矿石'] },
  { en: 'steel', zh: ['钢铁', '钢材', '钢'] },
  { en: 'coal', zh: ['煤炭', '煤'] },
  { en: 'soybeans', zh: ['大豆'] },
  { en: 'pork', zh: ['猪肉'] },
  { en: 'semiconductor', zh: ['半导体'] },
  { en: 'chips', zh: ['芯片'] },
  { en: 'artificial intelligence', zh: ['人工智能', 'AI'] },
  { en: 'robots', zh: ['机器人'] },
  { en: 'humanoid robot', zh: ['人形机器人'] },
  { en: 'electric vehicles', zh: ['电动汽车', '电动车'] },
  { en: 'new energy vehicles', zh: ['新能源汽车', '新能源车'] },
  { en: 'solid-state battery', zh: ['固态电池'] },
  { en: 'energy storage', zh: ['储能'] },
  { en: 'photovoltaic', zh: ['光伏'] },
  { en: 'wind power', zh: ['风电'] },
  { en: 'hydrogen', zh: ['氢能', '氢气'] },
  { en: 'data center', zh: ['数据中心'] },
  { en: 'computing power', zh: ['算力'] },
  { en: 'drones', zh: ['无人机'] },
  { en: 'low-altitude economy', zh: ['低空经济'] },
  { en: 'satellite', zh: ['卫星'] },
  { en: 'innovative drugs', zh: ['创新药'] },
  { en: 'vaccine', zh: ['疫苗'] },
  { en: 'medical devices', zh: ['医疗器械'] },
  { en: 'baijiu', zh: ['白酒'] },
  { en: 'real estate', zh: ['房地产', '楼市'] },
  { en: 'interest rates', zh: ['利率'] },
  { en: 'rate cut', zh: ['降息'] },
  { en: 'reserve requirement ratio', zh: ['准备金率'] },
  { en: 'inflation', zh: ['通胀', '通货膨胀'] },
  { en: 'tariffs', zh: ['关税'] },
  { en: 'central bank', zh: ['央行', '中央银行'] },
  { en: 'Federal Reserve', zh: ['美联储'] },
  { en: 'exchange rate', zh: ['汇率'] },
  { en: 'yuan', zh: ['人民币'] },
  { en: 'government bonds', zh: ['国债'] },
  { en: 'convertible bonds', zh: ['可转债', '可转换债券'] },
  { en: 'IPO', zh: ['IPO', '首次公开募股'] },
  { en: 'share buyback', zh: ['回购'] },
  { en: 'dividend', zh: ['分红', '股息', '派息'] },
  { en: 'stake sale', zh: ['减持'] },
  { en: 'acquisition', zh: ['收购', '并购'] },
  { en: 'restructuring', zh: ['重组'] },
  { en: 'bankruptcy', zh: ['破产'] },
  { en: 'penalty', zh: ['罚款', '处罚'] },
  { en: 'delisting', zh: ['退市'] },
  { en: 'trading halt', zh: ['停牌'] },
  { en: 'limit up', zh: ['涨停'] },
  { en: 'net profit', zh: ['净利润', '净利'] },
  { en: 'gross margin', zh: ['毛利率'] },
  { en: 'earnings forecast', zh: ['业绩预告'] },
  { en: 'Hong Kong stocks', zh: ['港股'] },
  { en: 'STAR Market', zh: ['科创板'] },
  { en: 'northbound funds', zh: ['北向资金'] },
  { en: 'brokerage', zh: ['券商', '证券公司'] },
  { en: 'insurance', zh: ['保险'] },
  { en: 'bank', zh: ['银行'] },
  { en: 'supply chain', zh: ['供应链'] },
  { en: 'smartphone', zh: ['智能手机', '手机'] },
  { en: 'shipping', zh: ['航运'] },
  { en: 'e-commerce', zh: ['电商', '电子商务'] },
  { en: 'tourism', zh: ['旅游'] },
  { en: 'cotton', zh: ['棉花', '棉'] },
  { en: 'sugar', zh: ['白糖', '食糖', '糖价'] },
  { en: 'nickel', zh: ['镍'] },
  { en: 'cobalt', zh: ['钴'] },
  { en: 'aluminium', zh: ['铝'] },
  { en: 'silver', zh: ['白银', '银价'] },
  { en: 'gallium', zh: ['镓'] },
  { en: 'unemployment', zh: ['失业'] },
  // Not in our glossary: CC-CEDICT and the corpus's evidence alone.
  { en: 'earthquake', zh: ['地震'] },
  { en: 'typhoon', zh: ['台风'] },
  { en: 'flood', zh: ['洪水', '洪涝', '水灾'] },
  { en: 'drought', zh: ['干旱', '旱灾'] },
  { en: 'epidemic', zh: ['疫情', '流行病'] },
  { en: 'ceasefire', zh: ['停火'] },
  { en: 'election', zh: ['选举', '大选'] },
  { en: 'diabetes', zh: ['糖尿病'] },
  { en: 'tobacco', zh: ['烟草'] },
  { en: 'pesticide', zh: ['农药', '杀虫剂'] },
  { en: 'tanker', zh: ['油轮', '油船'] },
  { en: 'fishing', zh: ['渔业', '捕鱼', '钓鱼'] },
];

export interface ZhQuery {
  zh: string;
  en: string;
  /** Reuters-21578 topic label (the human judgement). */
  topic: string;
}

export const ZH_TO_EN: ZhQuery[] = [
  { zh: '原油', en: 'crude oil', topic: 'crude' },
  { zh: '天然气', en: 'natural gas', topic: 'nat-gas' },
  { zh: '黄金', en: 'gold', topic: 'gold' },
  { zh: '铜', en: 'copper', topic: 'copper' },
  { zh: '咖啡', en: 'coffee', topic: 'coffee' },
  { zh: '可可', en: 'cocoa', topic: 'cocoa' },
  { zh: '白糖', en: 'sugar', topic: 'sugar' },
  { zh: '小麦', en: 'wheat', topic: 'wheat' },
  { zh: '玉米', en: 'corn', topic: 'corn' },
  { zh: '大豆', en: 'soybean', topic: 'soybean' },
  { zh: '棉花', en: 'cotton', topic: 'cotton' },
  { zh: '橡胶', en: 'rubber', topic: 'rubber' },
  { zh: '锌', en: 'zinc', topic: 'zinc' },
  { zh: '铝', en: 'aluminium', topic: 'alum' },
  { zh: '白银', en: 'silver', topic: 'silver' },
  { zh: '大米', en: 'rice', topic: 'rice' },
  { zh: '利率', en: 'interest rates', topic: 'interest' },
  { zh: '外汇', en: 'foreign exchange', topic: 'money-fx' },
  { zh: '贸易', en: 'trade', topic: 'trade' },
  { zh: '航运', en: 'shipping', topic: 'ship' },
  { zh: '失业', en: 'unemployment', topic: 'jobs' },
  { zh: '收购', en: 'acquisition', topic: 'acq' },
  { zh: '业绩', en: 'earnings', topic: 'earn' },
  { zh: '牲畜', en: 'livestock', topic: 'livestock' },
  { zh: '外汇储备', en: 'foreign exchange reserves', topic: 'reserves' },
  { zh: '钢铁', en: 'steel', topic: 'iron-steel' },
  { zh: '棕榈油', en: 'palm oil', topic: 'palm-oil' },
  { zh: '锡', en: 'tin', topic: 'tin' },
  { zh: '植物油', en: 'vegetable oil', topic: 'veg-oil' },
  { zh: '通货膨胀', en: 'inflation', topic: 'cpi' },
];

/** Chinese queries on the Chinese corpus (translation on): must stay at 100% substring recall and precision. */
export const ZH_ON_ZH = ['稀土', '出口管制', '黄金', '原油', '半导体', '芯片', '回购', '减持', '人形机器人', '美联储', '锂', '关税', '港股', '利率', '白酒'];
