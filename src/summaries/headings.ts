/**
 * Theme headings for extractive summaries and briefs (`Group 2: 稀土出口管制`).
 *
 * A heading is a meaningful word of the document, never a piece of one:
 *
 *   - Chinese: a whole word of the document's segmentation (jieba with part-of-speech tags,
 *     HMM on, our finance vocabulary loaded; see `headingTokens`) that names something — a
 *     noun, a proper noun, an organization, a place, a person, an abbreviation, a nominal
 *     verb (n nz nt ns nr nrt nrfg j vn) — or a Latin-script name (`OpenAI`, `ASML`). Company
 *     names written with their ticker (`石头科技(688169.SH)`) are joined into one word even
 *     when jieba splits them, so they count as whole words.
 *   - English: a capitalized name (`Federal Reserve`, `Less Common Metals`) or a content
 *     noun of four letters or more that is not a stop word or a common verb of market news.
 *
 * Refused as headings: a word glued to a single character that is not a function word (建平
 * inside 章建平, where jieba cuts 章/建平: a fragment of a name), stop words and generic
 * nouns (新闻, 公司, 情况), units (每吨, 亿元), numbers, ticker suffixes (`SH` after
 * `688169.`), times of day and page furniture (`AM`, `Page`), publishers' names (a byline
 * is not a theme). A theme with no acceptable word gets a plain number (`Group 2`), not a
 * bad heading.
 *
 * Candidates are ranked by how much the document is about them: occurrences across the
 * document's sentences times the word's rarity (jieba's IDF table; names not in it count
 * as rare).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import nlp from 'compromise';
import { BUILTIN_DICT, chineseSegmenter } from '../analysis/segmenters/chinese.js';

const require = createRequire(import.meta.url);

/** Parts of speech that name something (jieba's tag set). */
const NAMING = new Set(['n', 'nz', 'nt', 'ns', 'nr', 'nrt', 'nrfg', 'j', 'vn', 'eng']);

/**
 * Single-character words that may stand next to a heading word without making it a
 * fragment: prepositions, conjunctions, particles, adverbs, pronouns, directions, numerals,
 * verbs, adjectives, time words, interjections. A single character with any other tag
 * (a classifier such as 章, a noun morpheme, an unknown character) is likely part of an
 * out-of-vocabulary word the segmenter split.
 */
const FUNCTION_TAGS = /^(?:p|c|u[a-z]?|d|dg|r|rr|rz|f|m|mq|y|e|o|v|vd|vg|a|ad|ag|t|tg)$/;

const STOP_ZH = new Set(
  [
    // news furniture and generic nouns
    '新闻 记者 报道 消息 来源 编辑 责任编辑 日电 本报 通讯员 快讯 资讯 原标题 摘要 全文 详情 附件 图片 视频 链接 声明 免责声明 风险提示 版权',
    '公司 企业 情况 问题 方面 时间 工作 相关 有关 数据 信息 内容 影响 发展 人士 部分 单位 事项 公告 本公司 行业 市场 领域 方式 措施 水平 规模 结果 过程 期间 目前 近日 日前 此前 今年 去年 明年 当日 今日 昨日 上午 下午 晚间 早间 盘中 午后',
    '同比 环比 预计 预期 旗下 局地 全球 现场 依法 有望 左右 以上 以下 附近 之一 一方面 另一方面 总体 整体 全年 上半年 下半年 一季度 二季度 三季度 四季度',
    '表示 认为 指出 显示 包括 进行 实现 成为 提供 记者会 发布会 会议 文章 报告 分析 研究 观点 专家 机构 投资者 有限公司 股份 集团 控股',
    // units and measures
    '每吨 万吨 千吨 每股 每桶 每盎司 每克 亿元 万元 千元 美元 亿美元 港元 欧元 日元 百分点 个百分点 亿股 万股 千瓦 兆瓦 吉瓦 千瓦时 平方米 公里 公斤 盎司 桶 季度 年度 月份',
    // publishers (a byline is not a theme)
    '新华社 中新社 中新网 财联社 界面新闻 澎湃新闻 证券时报 每日经济新闻 上海证券报 中国证券报 证券日报 第一财经 智通财经 格隆汇 金十数据 华尔街见闻 路透 路透社 彭博 彭博社 央视新闻 人民网 新浪财经 东方财富 同花顺',
  ]
    .join(' ')
    .split(/\s+/),
);

/** Latin-script words that are never a heading: ticker suffixes, times of day, page furniture, wire names. */
const STOP_LATIN = new Set(
  (
    'sh sz bj ss oq am pm gmt utc cst est edt et bst hkt page pages pdf html http https www com cn net org inc ltd co corp plc llc reuters reuter bloomberg xinhua afp ap newswires vs ' +
    'jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun'
  ).split(' '),
);

const EN_STOP = new Set(
  (
    'the a an and or of to in on for with by at from as is are was were be been being has have had it its this that these those will would could should may might can said says say ' +
    'per cent percent year years month months week weeks day days today yesterday tomorrow company companies also than more less about after before into over under up down out new ' +
    'there their they them he she his her we our you your i not no but if so such which who whom whose what when where while how all any some most many much other others ' +
    'one two three four five six seven eight nine ten first second third last next time times just only even still very well like including include includes according ' +
    'rose fell rise rises rising fall falls falling gained gain gains dropped drop drops climbed climb jumped jump slipped slip slid eased ease added adding added ' +
    'increased increase increases decreased decrease declined decline declines reached reach expects expected expect warned warn reported report reports showed show shows ' +
    'told tell says saying made make makes making took take takes taken came come comes went going goes get gets got see seen set sets put puts ' +
    'around across through between during against among within without since until because though although however therefore meanwhile ' +
    'january february march april june july august september october november december monday tuesday wednesday thursday friday saturday sunday ' +
    'mr mrs ms dr prof people thing things way part parts number numbers level levels lot lots either half total annual public fiscal ' +
    'group groups market markets source sources official officials spokesman statement ' +
    // units and the wires' abbreviations (dlrs, shrs, revs, pct)
    'dlrs dlr mln bln billion million thousand trillion tonnes tonne tons ton pct shrs shr revs rev oper cts avg barrels barrel bpd ounces ounce bushels bushel acres pesos francs yuan euros dollars dollar cents points basis'
  ).split(/\s+/),
);

/**
 * Words of each Chinese text as the heading rules see them: jieba's tagged words, with
 * company names written beside a ticker anywhere in the texts (`石头科技(688169.SH)`) joined
 * into one word wherever they occur.
 */
export function headingTokens(texts: string[]): { word: string; tag: string }[][] {
  const first = texts.map(tickerNames);
  const names = new Set(first.flatMap((x) => x.names));
  if (names.size === 0) return first.map((x) => x.tokens);
  return first.map(({ tokens }) => {
    const out: { word: string; tag: string }[] = [];
    for (let i = 0; i < tokens.length; i++) {
      let joined = '';
      let j = i;
      let hit = -1;
      while (j < tokens.length && j < i + 4 && joined.length < 10) {
        joined += tokens[j]!.word;
        j++;
        if (j - i >= 2 && names.has(joined)) hit = j;
      }
      if (hit > 0) {
        out.push({
          word: tokens
            .slice(i, hit)
            .map((x) => x.word)
            .join(''),
          tag: 'nt',
        });
        i = hit - 1;
      } else out.push(tokens[i]!);
    }
    return out;
  });
}

function tickerNames(text: string): { tokens: { word: string; tag: string }[]; names: string[] } {
  const names: string[] = [];
  const tags = chineseSegmenter().tag(text);
  // `石头科技(688169.SH)`: the words right before a bracketed ticker are one company name.
  const out: { word: string; tag: string }[] = [];
  for (let i = 0; i < tags.length; i++) {
    const t = tags[i]!;
    if ((t.word === '(' || t.word === '（') && tickerAt(tags, i + 1)) {
      let j = out.length;
      let len = 0;
      while (j > 0 && out.length - j < 4) {
        const prev = out[j - 1]!;
        if (
          !/^[\p{Script=Han}A-Za-z]+$/u.test(prev.word) ||
          !/^(?:n|nz|nt|ns|nr|nrt|j|eng|ng|q|x)$/.test(prev.tag)
        )
          break;
        if (len + prev.word.length > 10) break;
        len += prev.word.length;
        j--;
      }
      if (out.length - j >= 2) {
        const name = out
          .splice(j)
          .map((x) => x.word)
          .join('');
        out.push({ word: name, tag: 'nt' });
        names.push(name);
      }
    }
    out.push(t);
  }
  return { tokens: out, names };
}

/** Tokens from `i` spell `688169.SH` / `0700.HK` / `USAR.US` followed by a closing bracket. */
function tickerAt(tags: { word: string }[], i: number): boolean {
  let s = '';
  for (let j = i; j < tags.length && j < i + 5; j++) {
    const w = tags[j]!.word;
    if (w === ')' || w === '）')
      return /^(?:\d{6}\.(?:SH|SZ|BJ)|\d{4,5}\.HK|[A-Z]{1,5}\.(?:US|O|N))$/i.test(s);
    s += w;
  }
  return false;
}

let idfTable: Map<string, number> | null = null;
let idfDefault = 10;

/** jieba's IDF table (loaded once, ~0.1 s); words it lacks count as rare. */
function idf(word: string): number {
  if (idfTable === null) {
    const { idf: raw } = require('@node-rs/jieba/dict.js') as { idf: Uint8Array };
    idfTable = new Map();
    const values: number[] = [];
    for (const line of Buffer.from(raw).toString('utf8').split('\n')) {
      const sp = line.lastIndexOf(' ');
      if (sp <= 0) continue;
      const v = Number(line.slice(sp + 1));
      idfTable.set(line.slice(0, sp), v);
      values.push(v);
    }
    values.sort((a, b) => a - b);
    idfDefault = values[Math.floor(values.length / 2)] ?? 10;
  }
  return idfTable.get(word) ?? idfDefault;
}

const HAN = /\p{Script=Han}/u;

let financeWords: Set<string> | null = null;

/** In jieba's dictionary (its IDF table) or our finance vocabulary: not a word the HMM guessed. */
function known(word: string): boolean {
  if (financeWords === null) {
    financeWords = new Set(
      readFileSync(BUILTIN_DICT, 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[0]!)
        .filter(Boolean),
    );
  }
  idf(word);
  return idfTable!.has(word) || financeWords.has(word);
}

/** Characters that stand free beside any word: particles, prepositions, conjunctions, copulas. */
const PARTICLES = new Set([...'的了在和与及是将对为由从向等也都已被把于以而或并且就还又再更很最']);

/** Is `word` (tagged `tag`) acceptable as a heading on its own, whatever its neighbours? */
export function acceptableZh(word: string, tag: string): boolean {
  if (!NAMING.has(tag)) return false;
  if (/\d/.test(word)) return false;
  if (HAN.test(word)) {
    if ([...word].length < 2 || STOP_ZH.has(word)) return false;
    return /^[\p{Script=Han}·]+$/u.test(word);
  }
  return acceptableLatin(word);
}

function acceptableLatin(word: string): boolean {
  // A Latin word in a Chinese text: a name or an acronym (`ASML`, `OpenAI`, `AI`), not a suffix or furniture.
  return (
    /^[A-Za-z][A-Za-z&-]*[A-Za-z]$/.test(word) && /[A-Z]/.test(word) && !STOP_LATIN.has(word.toLowerCase())
  );
}

/**
 * Heading candidates of each sentence, best first (by the document-wide weight of each
 * word), for a Chinese or an English text. `sentences` are all the document's sentences
 * (the weights come from all of them).
 */
export function headingCandidates(sentences: { text: string }[], zh: boolean, want?: number[]): string[][] {
  const texts = sentences.map((s) => s.text);
  let perSentence = zh ? headingTokens(texts).map(zhCandidates) : enCandidates(texts);
  if (!zh) {
    // Lower-case words must be nouns where they are used (`excludes`, `pays`, `significant` are not).
    const nouns = englishNouns((want ?? texts.map((_, i) => i).slice(0, 300)).map((i) => texts[i]!));
    perSentence = perSentence.map((list) =>
      list.filter((c) => c.word !== c.word.toLowerCase() || nouns.has(c.word)),
    );
  }
  const count = new Map<string, number>();
  const glued = new Map<string, number>();
  for (const list of perSentence) {
    for (const c of list) {
      if (c.glued) glued.set(c.word, (glued.get(c.word) ?? 0) + 1);
      else count.set(c.word, (count.get(c.word) ?? 0) + 1);
    }
  }
  const weight = new Map<string, number>();
  for (const [w, n] of count) {
    // A word more often glued to a stray character than free is a fragment (建平 of 章建平).
    if ((glued.get(w) ?? 0) >= n) continue;
    const rarity = zh && HAN.test(w) ? idf(w) : 10 + Math.min(4, w.split(' ').length - 1) * 2;
    weight.set(w, (1 + Math.log(n)) * rarity);
  }
  return perSentence.map((list) => {
    const words = [...new Set(list.filter((c) => !c.glued && weight.has(c.word)).map((c) => c.word))];
    return words.sort((a, b) => weight.get(b)! - weight.get(a)! || b.length - a.length || a.localeCompare(b));
  });
}

function zhCandidates(toks: { word: string; tag: string }[]): { word: string; glued: boolean }[] {
  const out: { word: string; glued: boolean }[] = [];
  toks.forEach((t, i) => {
    if (!acceptableZh(t.word, t.tag)) return;
    const prev = toks[i - 1];
    const next = toks[i + 1];
    // `688169.SH`: a suffix after a dot is never a word of its own.
    if (prev && /^[.．]$/.test(prev.word)) return;
    // A guessed word (not in a dictionary: 米哈 of 米哈游) is a fragment beside any single
    // character but a particle; a dictionary word only beside a character that is no function word.
    const guessed = HAN.test(t.word) && t.tag !== 'nt' && !known(t.word);
    const stray = (x: { word: string; tag: string } | undefined) =>
      x !== undefined &&
      [...x.word].length === 1 &&
      HAN.test(x.word) &&
      (guessed ? !PARTICLES.has(x.word) : !FUNCTION_TAGS.test(x.tag));
    out.push({ word: t.word, glued: stray(prev) || stray(next) });
  });
  return out;
}

/** Lower-case words compromise tags as nouns (and never as a verb, adjective, adverb, date or value) in these texts. */
function englishNouns(texts: string[]): Set<string> {
  const yes = new Set<string>();
  const no = new Set<string>();
  for (const text of texts) {
    for (const sentence of nlp(text).json({ terms: { normal: true } }) as {
      terms: { normal: string; tags: string[] }[];
    }[]) {
      for (const t of sentence.terms) {
        const w = t.normal.toLowerCase();
        if (t.tags.includes('Noun') && !t.tags.some((x) => NOT_NOUN.has(x))) yes.add(w);
        else no.add(w);
      }
    }
  }
  for (const w of no) yes.delete(w);
  return yes;
}

const NOT_NOUN = new Set([
  'Verb',
  'Adjective',
  'Adverb',
  'Date',
  'Value',
  'Pronoun',
  'Determiner',
  'Preposition',
  'Conjunction',
  'Possessive',
]);

const WORD = /[A-Za-z][A-Za-z'&-]*[A-Za-z]|[A-Za-z]/g;
const JOINERS = new Set(['of', 'and', '&', 'de', 'for']);
/** Words a capitalized run may start with that are not part of the name (`The Federal Reserve`). */
const LEADING = new Set('the a an this that these those its their our his her shares share'.split(' '));

/** English candidates: capitalized names (not a sentence's first word alone, unless the document capitalizes it elsewhere) and content nouns. */
function enCandidates(texts: string[]): { word: string; glued: boolean }[][] {
  const midCapital = new Set<string>();
  const tokenized = texts.map((t) => [...t.matchAll(WORD)].map((m) => ({ w: m[0], at: m.index!, t })));
  for (const toks of tokenized) {
    toks.forEach((x, i) => {
      if (i > 0 && /^[A-Z]/.test(x.w)) midCapital.add(x.w);
    });
  }
  return tokenized.map((toks) => {
    const out: { word: string; glued: boolean }[] = [];
    let i = 0;
    while (i < toks.length) {
      const x = toks[i]!;
      const prevChar = x.t[x.at - 1] ?? '';
      if (prevChar === '.' && /\S/.test(x.t[x.at - 2] ?? '')) {
        i++; // `USAR.US`, `www.example`: a suffix
        continue;
      }
      if (/^[A-Z]/.test(x.w) && (i > 0 || midCapital.has(x.w) || /^[A-Z]{2,}$/.test(x.w))) {
        // A run of capitalized words, joined by `of`/`and` (`Bank of China`).
        let j = i + 1;
        while (j < toks.length) {
          const y = toks[j]!;
          const gap = x.t.slice(toks[j - 1]!.at + toks[j - 1]!.w.length, y.at);
          if (!/^ $/.test(gap)) break;
          if (/^[A-Z]/.test(y.w)) j++;
          else if (JOINERS.has(y.w) && toks[j + 1] && /^[A-Z]/.test(toks[j + 1]!.w)) j += 2;
          else break;
        }
        let words = toks.slice(i, j).map((t) => t.w);
        // `NAR's John Tuccillo`: a possessive ends the name.
        const poss = words.findIndex((w) => /'s$/i.test(w));
        if (poss >= 0) words = [...words.slice(0, poss), words[poss]!.replace(/'s$/i, '')];
        if (words.length > 4) words = words.slice(0, 4);
        while (
          words.length > 0 &&
          (LEADING.has(words[0]!.toLowerCase()) || STOP_LATIN.has(words[0]!.toLowerCase()))
        )
          words = words.slice(1);
        while (
          words.length > 0 &&
          (STOP_LATIN.has(words.at(-1)!.toLowerCase()) ||
            JOINERS.has(words.at(-1)!) ||
            /^[A-Z]$/.test(words.at(-1)!))
        )
          words = words.slice(0, -1);
        // A run of dates or stop words only (`June and September`) is no name.
        if (
          words.every(
            (w) => JOINERS.has(w) || EN_STOP.has(w.toLowerCase()) || STOP_LATIN.has(w.toLowerCase()),
          )
        )
          words = [];
        const name = words.join(' ');
        if (
          name.length >= 2 &&
          !/^[A-Z]$/.test(name) &&
          (words.length > 1 || !EN_STOP.has(name.toLowerCase()))
        )
          out.push({ word: name, glued: false });
        i = Math.max(j, i + 1);
        continue;
      }
      const lower = x.w.toLowerCase();
      if (
        (x.w === lower || (i === 0 && /^[A-Z][a-z]+$/.test(x.w))) &&
        lower.length >= 4 &&
        !EN_STOP.has(lower) &&
        !/(?:ly|ed)$/.test(lower) &&
        !STOP_LATIN.has(lower)
      )
        out.push({ word: lower, glued: false });
      i++;
    }
    return out;
  });
}
