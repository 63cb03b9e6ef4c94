/**
 * English and Simplified Chinese. The choice is remembered in localStorage; dates, relative
 * times and numbers are formatted with Intl in the chosen locale and the browser's time zone.
 */
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';

export type Lang = 'en' | 'zh';

const en = {
  appName: 'Lodestone',
  timeZoneLabel: 'Times shown in',
  navSearch: 'Search',
  navSources: 'Sources',
  navWorkflows: 'Workflows',
  workflowsTitle: 'Workflows',
  workflowsIntro: 'Tracked topics: each run collects what was added since the last one, summarized, newest first.',
  newWorkflow: 'New workflow',
  noWorkflows: 'No workflows yet. Create one: a name, a query, and when it should run.',
  wfName: 'Name',
  wfQuery: 'Query',
  wfSchedule: 'Schedule (cron)',
  wfSchedulePresets: [
    ['', 'Manual only'],
    ['30 8 * * 1-5', 'Weekdays 08:30'],
    ['0 8 * * *', 'Every day 08:00'],
    ['0 * * * *', 'Every hour'],
  ] as [string, string][],
  wfTz: 'Time zone',
  wfSources: 'Only these sources (optional)',
  wfSourcesHint: '财联社, 中信证券',
  wfLang: 'Summary language',
  wfLangAuto: "Each document's own",
  wfSummarize: 'Summarize new items',
  wfBrief: 'Write a topic brief',
  wfWebhook: 'Webhook URL (optional)',
  wfMaxItems: 'Most items per run',
  wfSave: 'Save',
  wfSaving: 'Saving…',
  wfCancel: 'Cancel',
  wfEdit: 'Edit',
  wfPause: 'Pause',
  wfResume: 'Resume',
  wfPaused: 'paused',
  wfDelete: 'Delete',
  wfConfirmDelete: (name: string) => `Delete the workflow “${name}” and its run history?`,
  wfRunNow: 'Run now',
  wfRunning: 'Running…',
  wfPreview: (n: string) => `Matches now: ${n} documents`,
  wfPreviewEmpty: 'Type a query to see what it matches.',
  wfNextRun: 'Next run',
  wfLastRun: 'Last run',
  wfNever: 'never run',
  wfManual: 'manual',
  wfHistory: 'Runs',
  wfDeliveries: 'Webhook deliveries',
  wfNoDeliveries: 'No deliveries yet.',
  wfAtom: 'Atom feed',
  wfMarkdown: 'Markdown',
  wfHtml: 'HTML',
  wfItems: (n: number) => `${n} new`,
  wfRepeats: (n: number) => `${n} repeated elsewhere`,
  wfCapped: (n: number) => `${n} more matching stories were left out (most items per run).`,
  wfNoItems: 'Nothing new in this run.',
  wfNoRuns: 'No runs yet. Run it now, or wait for its schedule.',
  wfOutcome: { done: 'done', failed: 'failed', running: 'running', skipped: 'skipped' } as Record<string, string>,
  wfTrigger: { manual: 'manual', schedule: 'scheduled', 'catch-up': 'catch-up', api: 'run now' } as Record<string, string>,
  wfBriefTitle: 'Brief',
  wfRetry: 'Send again',
  wfSecret: 'Signing secret (shown once — copy it now; receivers check X-Lodestone-Signature with it):',
  wfRotate: 'New signing secret',
  wfRotateConfirm: 'Make a new signing secret? The receiver must be given the new one; signatures with the old one stop verifying.',
  exposedWarning:
    'This server listens on every network interface and has no sign-in: anyone who can reach it can read, add and delete everything. Bind it to 127.0.0.1 unless this network is yours alone.',
  wfDelivery: { pending: 'retrying', delivered: 'delivered', failed: 'failed' } as Record<string, string>,
  wfAlsoIn: 'Also in',
  wfRun: (n: number) => `Run ${n}`,
  wfAttempts: (n: number) => `${n} attempts`,
  wfRepeatedTitle: 'Already delivered, now also in',
  language: '中文',
  languageLabel: 'Switch the interface to Chinese',
  searchPlaceholder: 'Search documents: 稀土 出口管制, "rare earth", title:锂 …',
  searchLabel: 'Search documents',
  help: 'Query help',
  helpTitle: 'How to search',
  helpRows: [
    ['稀土 出口管制', 'both words (AND)'],
    ['"北方稀土"', 'the exact phrase'],
    ['稀土 OR 永磁', 'either word'],
    ['稀土 -澳大利亚', 'without a word (also NOT)'],
    ['(锂 OR 钴) 价格', 'parentheses group'],
    ['title:光伏', 'in the title only'],
    ['source:财联社 type:report lang:en ticker:600111', 'fields'],
    ['rare earths', 'English words match their stems (earth, earths)'],
  ] as [string, string][],
  helpKeys: 'Keys: / search · j / k move · Enter open · Esc clear',
  sortNewest: 'Newest',
  sortRelevance: 'Relevance',
  sortLabel: 'Sort',
  dateAny: 'Any time',
  date1d: 'Past 24 hours',
  date7d: 'Past week',
  date30d: 'Past month',
  date365d: 'Past year',
  dateCustom: 'Custom',
  from: 'From',
  to: 'To',
  filterType: 'Type',
  filterSource: 'Source',
  filterLang: 'Language',
  filterMonth: 'Month',
  clearFilters: 'Clear filters',
  results: (n: string, ms: string) => `${n} results · ${ms} ms`,
  noResults: 'No documents match.',
  noResultsHint: 'Check the spelling, remove a filter, or try fewer words.',
  emptyTitle: 'Search your documents',
  emptyHint: 'Type a query above, or add sources first.',
  emptyDb: 'No documents yet. Add a feed, a web page or files on the Sources page.',
  loadMore: 'Load more',
  loading: 'Loading…',
  alsoIn: (n: number) => `also in ${n} ${n === 1 ? 'source' : 'sources'}`,
  hideOthers: 'hide',
  error: 'Something went wrong',
  open: 'Open original',
  back: 'Back to results',
  paragraphs: 'Paragraphs',
  page: (n: number) => `p. ${n}`,
  published: 'Published',
  fetched: 'Fetched',
  tickers: 'Tickers',
  alsoPublishedBy: 'Also published by',
  notFound: 'This document does not exist (any more).',
  summary: 'Summary',
  showSummary: 'Summary',
  hideSummary: 'Hide summary',
  summaryFailed: 'No summary',
  extractive: 'Extractive summary: sentences from the document itself, each cited.',
  unverified: 'not verified',
  citation: (n: number) => `paragraph ${n}`,
  heading: (h: string) => h,
  type: {
    news: 'News',
    report: 'Report',
    transcript: 'Transcript',
    interview: 'Interview',
    announcement: 'Announcement',
    note: 'Note',
  } as Record<string, string>,
  sourcesTitle: 'Sources',
  addUrl: 'Add a feed or web page',
  urlPlaceholder: 'https://example.com/feed.xml',
  sourceName: 'Source name (optional)',
  pollSchedule: 'Poll feed on (cron, optional)',
  pollScheduleHint: 'Feeds are polled every 15 minutes unless a cron schedule is given, e.g. */5 * * * * for every five minutes.',
  add: 'Add',
  adding: 'Adding…',
  addedReport: (ins: number, upd: number, unch: number, failed: number) =>
    `${ins} new, ${upd} updated, ${unch} unchanged, ${failed} failed`,
  uploadTitle: 'Upload files',
  dropHint: 'Drop files here (.txt .md .html .pdf .docx .json .ndjson, feeds), or',
  chooseFiles: 'choose files',
  pasteTitle: 'Paste text',
  pasteTitlePlaceholder: 'Title',
  pasteBodyPlaceholder: 'Text (paragraphs separated by blank lines)',
  pasteSource: 'Source',
  save: 'Save',
  sourcesList: 'Sources in the library',
  colName: 'Name',
  colDocs: 'Documents',
  colLast: 'Last added',
  colFetch: 'Last fetch',
  colError: 'Error',
  retryAt: (when: string, n: number) => `failed ${n}× in a row; next attempt ${when}`,
  delete: 'Delete',
  confirmDelete: (name: string, n: string) => `Delete the source “${name}” and its ${n} documents? This cannot be undone.`,
  deleted: (n: number) => `Deleted ${n} documents.`,
  none: '—',
};

type Dict = typeof en;

const zh: Dict = {
  appName: 'Lodestone',
  timeZoneLabel: '时间显示时区',
  navSearch: '搜索',
  navSources: '来源',
  navWorkflows: '工作流',
  workflowsTitle: '工作流',
  workflowsIntro: '跟踪的主题：每次运行收集自上次以来新增的文档，附摘要，按时间倒序。',
  newWorkflow: '新建工作流',
  noWorkflows: '还没有工作流。新建一个：名称、查询和运行时间。',
  wfName: '名称',
  wfQuery: '查询',
  wfSchedule: '计划（cron）',
  wfSchedulePresets: [
    ['', '仅手动'],
    ['30 8 * * 1-5', '工作日 08:30'],
    ['0 8 * * *', '每天 08:00'],
    ['0 * * * *', '每小时'],
  ],
  wfTz: '时区',
  wfSources: '仅限这些来源（可选）',
  wfSourcesHint: '财联社，中信证券',
  wfLang: '摘要语言',
  wfLangAuto: '与文档一致',
  wfSummarize: '为新文档生成摘要',
  wfBrief: '生成主题简报',
  wfWebhook: 'Webhook 地址（可选）',
  wfMaxItems: '每次最多条数',
  wfSave: '保存',
  wfSaving: '保存中…',
  wfCancel: '取消',
  wfEdit: '编辑',
  wfPause: '暂停',
  wfResume: '恢复',
  wfPaused: '已暂停',
  wfDelete: '删除',
  wfConfirmDelete: (name: string) => `删除工作流“${name}”及其运行记录？`,
  wfRunNow: '立即运行',
  wfRunning: '运行中…',
  wfPreview: (n: string) => `当前匹配：${n} 篇文档`,
  wfPreviewEmpty: '输入查询即可预览匹配结果。',
  wfNextRun: '下次运行',
  wfLastRun: '上次运行',
  wfNever: '尚未运行',
  wfManual: '手动',
  wfHistory: '运行记录',
  wfDeliveries: 'Webhook 推送',
  wfNoDeliveries: '暂无推送。',
  wfAtom: 'Atom 订阅',
  wfMarkdown: 'Markdown',
  wfHtml: 'HTML',
  wfItems: (n: number) => `新增 ${n} 条`,
  wfRepeats: (n: number) => `${n} 条为已推送内容的转载`,
  wfCapped: (n: number) => `另有 ${n} 条匹配内容未收录（超过每次最多条数）。`,
  wfNoItems: '本次没有新内容。',
  wfNoRuns: '尚未运行。可立即运行，或等待计划时间。',
  wfOutcome: { done: '完成', failed: '失败', running: '运行中', skipped: '已跳过' },
  wfTrigger: { manual: '手动', schedule: '计划', 'catch-up': '补运行', api: '立即运行' },
  wfBriefTitle: '简报',
  wfRetry: '重新发送',
  wfSecret: '签名密钥（仅显示一次，请立即复制；接收方用它校验 X-Lodestone-Signature）：',
  wfRotate: '生成新的签名密钥',
  wfRotateConfirm: '确定生成新的签名密钥？接收方需要改用新密钥，旧密钥的签名将无法通过校验。',
  exposedWarning: '此服务器监听所有网络接口且没有登录：能访问到它的任何人都可以读取、添加和删除全部内容。除非该网络仅供你使用，请绑定到 127.0.0.1。',
  wfDelivery: { pending: '重试中', delivered: '已送达', failed: '失败' },
  wfAlsoIn: '同时见于',
  wfRun: (n: number) => `第 ${n} 次运行`,
  wfAttempts: (n: number) => `尝试 ${n} 次`,
  wfRepeatedTitle: '已推送过，现又见于',
  language: 'English',
  languageLabel: '将界面切换为英文',
  searchPlaceholder: '搜索文档：稀土 出口管制、"rare earth"、title:锂 …',
  searchLabel: '搜索文档',
  help: '查询帮助',
  helpTitle: '如何搜索',
  helpRows: [
    ['稀土 出口管制', '同时包含两个词（AND）'],
    ['"北方稀土"', '完全一致的短语'],
    ['稀土 OR 永磁', '包含任一词'],
    ['稀土 -澳大利亚', '排除某词（也可用 NOT）'],
    ['(锂 OR 钴) 价格', '用括号分组'],
    ['title:光伏', '只搜标题'],
    ['source:财联社 type:report lang:en ticker:600111', '字段'],
    ['rare earths', '英文按词干匹配（earth、earths）'],
  ],
  helpKeys: '快捷键：/ 搜索 · j / k 上下移动 · Enter 打开 · Esc 清除',
  sortNewest: '最新',
  sortRelevance: '相关度',
  sortLabel: '排序',
  dateAny: '不限时间',
  date1d: '过去 24 小时',
  date7d: '过去一周',
  date30d: '过去一个月',
  date365d: '过去一年',
  dateCustom: '自定义',
  from: '起',
  to: '止',
  filterType: '类型',
  filterSource: '来源',
  filterLang: '语言',
  filterMonth: '月份',
  clearFilters: '清除筛选',
  results: (n: string, ms: string) => `${n} 条结果 · ${ms} 毫秒`,
  noResults: '没有匹配的文档。',
  noResultsHint: '检查拼写、去掉筛选条件，或减少关键词。',
  emptyTitle: '搜索你的文档',
  emptyHint: '在上方输入查询，或先添加来源。',
  emptyDb: '还没有文档。请在“来源”页添加订阅源、网页或文件。',
  loadMore: '加载更多',
  loading: '加载中…',
  alsoIn: (n: number) => `另见 ${n} 个来源`,
  hideOthers: '收起',
  error: '出错了',
  open: '查看原文',
  back: '返回结果',
  paragraphs: '段落',
  page: (n: number) => `第 ${n} 页`,
  published: '发布时间',
  fetched: '抓取时间',
  tickers: '股票代码',
  alsoPublishedBy: '同时发布于',
  notFound: '该文档不存在（或已删除）。',
  summary: '摘要',
  showSummary: '摘要',
  hideSummary: '收起摘要',
  summaryFailed: '暂无摘要',
  extractive: '抽取式摘要：句子均取自原文，并标注出处段落。',
  unverified: '未通过核验',
  citation: (n: number) => `第 ${n} 段`,
  heading: (h: string) =>
    h
      .replace(/^Core Viewpoint$/, '核心观点')
      .replace(/^Investment Rating$/, '投资评级')
      .replace(/^Company Overview$/, '公司概况')
      .replace(/^Future Outlook$/, '未来展望')
      .replace(/^Group (\d+): /, '第$1组：')
      .replace(/^Group (\d+)$/, '第$1组')
      .replace(/^Section (\d+)$/, '第$1部分')
      .replace(/^Key Points (\d+)$/, '要点$1')
      .replace(/^Section (\d+): /, '第$1部分：')
      .replace(/^Key Points (\d+): /, '要点$1：'),
  type: { news: '新闻', report: '研报', transcript: '会议纪要', interview: '访谈', announcement: '公告', note: '笔记' },
  sourcesTitle: '来源',
  addUrl: '添加订阅源或网页',
  urlPlaceholder: 'https://example.com/feed.xml',
  sourceName: '来源名称（可选）',
  pollSchedule: '订阅源抓取计划（cron，可选）',
  pollScheduleHint: '订阅源默认每 15 分钟抓取一次；也可填写 cron 计划，如 */5 * * * * 表示每 5 分钟。',
  add: '添加',
  adding: '添加中…',
  addedReport: (ins: number, upd: number, unch: number, failed: number) =>
    `新增 ${ins}，更新 ${upd}，未变 ${unch}，失败 ${failed}`,
  uploadTitle: '上传文件',
  dropHint: '把文件拖到这里（.txt .md .html .pdf .docx .json .ndjson、订阅源文件），或',
  chooseFiles: '选择文件',
  pasteTitle: '粘贴文本',
  pasteTitlePlaceholder: '标题',
  pasteBodyPlaceholder: '正文（段落之间空一行）',
  pasteSource: '来源',
  save: '保存',
  sourcesList: '资料库中的来源',
  colName: '名称',
  colDocs: '文档数',
  colLast: '最近添加',
  colFetch: '最近抓取',
  colError: '错误',
  retryAt: (when: string, n: number) => `已连续失败 ${n} 次；下次尝试 ${when}`,
  delete: '删除',
  confirmDelete: (name: string, n: string) => `删除来源“${name}”及其 ${n} 篇文档？此操作无法撤销。`,
  deleted: (n: number) => `已删除 ${n} 篇文档。`,
  none: '—',
};

interface I18n {
  lang: Lang;
  t: Dict;
  setLang(l: Lang): void;
  /** The time zone every date is shown in (the user's choice; default Asia/Shanghai, the zone of most sources). */
  tz: string;
  setTz(tz: string): void;
  num(n: number): string;
  dateTime(iso: string): string;
  relative(iso: string, now?: number): string;
}

const STORAGE_KEY = 'lodestone.lang';

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'zh') return saved;
  } catch {
    // storage unavailable: fall through
  }
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

const TZ_KEY = 'lodestone.tz';

/** Zones offered in the header; the browser's own is added when it is another. */
export const TIME_ZONES = ['Asia/Shanghai', 'Asia/Hong_Kong', 'Asia/Tokyo', 'Europe/London', 'America/New_York', 'UTC'];

function initialTz(): string {
  try {
    const saved = localStorage.getItem(TZ_KEY);
    if (saved) {
      new Intl.DateTimeFormat('en', { timeZone: saved });
      return saved;
    }
  } catch {
    // unknown zone or no storage: the default
  }
  return 'Asia/Shanghai';
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const [tz, setTzState] = useState<string>(initialTz);
  const setTz = useCallback((z: string) => {
    setTzState(z);
    try {
      localStorage.setItem(TZ_KEY, z);
    } catch {
      // not remembered, still switched
    }
  }, []);
  const setLang = useCallback((l: Lang) => {
    setLangState(l);
    try {
      localStorage.setItem(STORAGE_KEY, l);
    } catch {
      // not remembered, still switched
    }
  }, []);
  const value = useMemo<I18n>(() => {
    const locale = lang === 'zh' ? 'zh-CN' : 'en-US';
    const numFmt = new Intl.NumberFormat(locale);
    const dtFmt = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: tz });
    const rel = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    return {
      lang,
      t: lang === 'zh' ? zh : en,
      setLang,
      tz,
      setTz,
      num: (n) => numFmt.format(n),
      dateTime: (iso) => dtFmt.format(new Date(iso)),
      relative: (iso, now = Date.now()) => {
        const s = (new Date(iso).getTime() - now) / 1000;
        const abs = Math.abs(s);
        if (abs < 60) return rel.format(Math.round(s), 'second');
        if (abs < 3600) return rel.format(Math.round(s / 60), 'minute');
        if (abs < 86400) return rel.format(Math.round(s / 3600), 'hour');
        if (abs < 86400 * 30) return rel.format(Math.round(s / 86400), 'day');
        if (abs < 86400 * 365) return rel.format(Math.round(s / (86400 * 30)), 'month');
        return rel.format(Math.round(s / (86400 * 365)), 'year');
      },
    };
  }, [lang, setLang, tz, setTz]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(I18nContext);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}
