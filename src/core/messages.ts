/**
 * Messages the server reports, in the reader's language. The server and the CLI speak
 * English (logs, scripts and the JSON API keep one stable text); the web app shows every
 * reason, error and warning it receives through `localizeMessage`, which recognises each
 * message the server can produce by its English shape and renders it in Chinese.
 *
 * `test/messages.test.ts` scans the server's source for every message literal (errors,
 * refusal and failure reasons, warnings) and fails when one has no entry here, so a new
 * message cannot reach the 中文 interface untranslated. Parts that come from elsewhere (a
 * library's error text, a URL, a file name) are kept as they are.
 */

type Render = string | ((m: RegExpExecArray, loc: (s: string) => string) => string);

/** English shape -> Chinese. Order matters only where shapes overlap (the more specific first). */
const ZH: [RegExp, Render][] = [
  // Workflow runs and deliveries
  [/^capped: (\d+) more matching stories were not included \(max_items (\d+)\)$/, '已截断：另有 $1 条匹配的报道未收入（每次最多 $2 条）'],
  [/^"(.+)" is already running in this process$/, '“$1”已在本进程中运行'],
  [/^run (\d+) of "(.+)" is already in progress \(started (.+)\)$/, '“$2”的第 $1 号运行仍在进行（开始于 $3）'],
  [/^the workflow no longer has this webhook$/, '该工作流已不再配置此 Webhook'],
  [/^the run no longer exists$/, '该次运行已不存在'],
  [/^HTTP (\d{3}): ([\s\S]*)$/, '接收方返回 HTTP $1：$2'],
  [/^HTTP (\d{3})$/, '接收方返回 HTTP $1'],
  [/^a workflow named "(.+)" already exists$/, '已存在名为“$1”的工作流'],
  [/^no workflow named "(.+)" \(see: lodestone workflow list\)$/, '没有名为“$1”的工作流'],
  [/^workflow "(.+)" has no webhook$/, '工作流“$1”没有配置 Webhook'],
  [/^workflow "(.+)" has no run (.+)$/, '工作流“$1”没有第 $2 号运行'],
  [/^workflow "(.+)" has no delivery (.+)$/, '工作流“$1”没有第 $2 号投递'],
  [/^delivery (.+) was delivered already$/, '第 $1 号投递已经送达'],
  // Workflow definitions (the editor shows these beside the field)
  [/^(.+) must be a list of strings$/, '$1 必须是字符串列表'],
  [/^unknown time zone "(.+)" \(use an IANA name such as Asia\/Shanghai\)$/, '未知时区“$1”（请使用 IANA 名称，例如 Asia/Shanghai）'],
  [/^invalid cron expression "(.*)": ([\s\S]+)$/, '无效的 cron 表达式“$1”：$2'],
  [/^a workflow needs a name$/, '工作流需要名称'],
  [/^a workflow name has at most 80 characters$/, '工作流名称最多 80 个字符'],
  [/^a workflow name cannot contain \/ \\ \? # % or control characters$/, '工作流名称不能包含 / \\ ? # % 或控制字符'],
  [/^a workflow needs a query$/, '工作流需要查询条件'],
  [/^the query has no terms or fields$/, '查询中没有词或字段'],
  [/^invalid query: ([\s\S]+)$/, (m, loc) => `无效的查询：${loc(m[1]!)}`],
  [/^unknown document type "(.+)"$/, '未知的文档类型“$1”'],
  [/^tz must be a time zone name$/, 'tz 必须是时区名称'],
  [/^schedule must be a cron expression$/, 'schedule 必须是 cron 表达式'],
  [/^(.+) must be true or false$/, '$1 必须是 true 或 false'],
  [/^webhook must be a URL$/, 'webhook 必须是网址'],
  [/^webhook is not a URL: (.*)$/, 'webhook 不是网址：$1'],
  [/^webhook must be an http\(s\) URL$/, 'webhook 必须是 http(s) 网址'],
  [/^webhook_secret needs at least 8 characters$/, 'webhook_secret 至少需要 8 个字符'],
  [/^max_items must be an integer from 1 to (\d+)$/, 'max_items 必须是 1 到 $1 之间的整数'],
  [/^first_run_days must be an integer from 0 to (\d+)$/, 'first_run_days 必须是 0 到 $1 之间的整数'],
  // Inside a DOCX (after "not a readable DOCX (ZIP): ")
  [/^no central directory$/, '缺少中央目录'],
  [/^ZIP64 archives are not read$/, '不读取 ZIP64 压缩包'],
  [/^broken central directory$/, '中央目录已损坏'],
  [/^broken entry (.+)$/, '条目 $1 已损坏'],
  [/^entry (.+) uses compression method (\d+)$/, '条目 $1 使用了压缩方法 $2'],
  [/^entry (.+) does not inflate: ([\s\S]+)$/, '条目 $1 无法解压：$2'],
  // Fetching URLs and feeds
  [
    /^refused: (.+) resolves to (.+), a private or loopback address \(an administrator can allow private addresses with LODESTONE_ALLOW_PRIVATE=1\)$/,
    '已拒绝：$1 解析为 $2，属于内网或本机地址（管理员可设置 LODESTONE_ALLOW_PRIVATE=1 允许内网地址）',
  ],
  [
    /^refused: (.+) is a private or loopback address \(an administrator can allow private addresses with LODESTONE_ALLOW_PRIVATE=1\)$/,
    '已拒绝：$1 属于内网或本机地址（管理员可设置 LODESTONE_ALLOW_PRIVATE=1 允许内网地址）',
  ],
  [
    /^refused: localhost \(an administrator can allow private addresses with LODESTONE_ALLOW_PRIVATE=1\)$/,
    '已拒绝：localhost（管理员可设置 LODESTONE_ALLOW_PRIVATE=1 允许内网地址）',
  ],
  [/^refused: only http and https URLs are fetched \(got (.+)\)$/, '已拒绝：只抓取 http 和 https 网址（收到的是 $1）'],
  [/^not a valid URL: (.*)$/, '不是有效的网址：$1'],
  [/^timed out after (\d+) ms fetching (.+)$/, '抓取 $2 超时（$1 毫秒）'],
  [/^timed out fetching (.+)$/, '抓取 $1 超时'],
  [/^abandoned fetching (.+): the client went away$/, '已放弃抓取 $1：请求方已断开'],
  [/^too many redirects \(over (\d+)\)$/, '重定向次数过多（超过 $1 次）'],
  [/^(\S+) answered HTTP (\d{3})$/, '$1 返回 HTTP $2'],
  [/^(\S+) is (\d+) bytes, over the (\d+)-byte cap$/, '$1 大小为 $2 字节，超过 $3 字节的上限'],
  [/^(\S+) exceeds the (\d+)-byte cap$/, '$1 超过 $2 字节的上限'],
  [/^no address for (.+)$/, '无法解析 $1 的地址'],
  [/^(https?:\/\/\S+): ([\s\S]+)$/, '抓取 $1 失败：$2'],
  [/^not an RSS, Atom or JSON feed \(got something else, e\.g\. an HTML page\)$/, '不是 RSS、Atom 或 JSON 订阅源（收到的是其他内容，例如网页）'],
  [/^malformed feed: ([\s\S]+)$/, '订阅源格式错误：$1'],
  [/^feed has no entries$/, '订阅源没有条目'],
  [/^empty entry: no title and no content$/, '空条目：没有标题也没有内容'],
  [/^invalid date (.+)$/, '无效日期 $1'],
  [/^not a feed$/, '不是订阅源'],
  [/^expected a document, found a feed$/, '应为文档，实际是订阅源'],
  // Reading files (extraction)
  [/^binary content, not text$/, '二进制内容，不是文本'],
  [/^not a readable DOCX: it has no word\/document\.xml$/, '无法读取的 DOCX：缺少 word/document.xml'],
  [/^not a readable DOCX \(ZIP\): ([\s\S]+)$/, (m, loc) => `无法读取的 DOCX（ZIP）：${loc(m[1]!)}`],
  [/^not a readable DOCX: ([\s\S]+)$/, '无法读取的 DOCX：$1'],
  [/^the DOCX holds (\d+)\+ paragraphs \(at most (\d+) are read\); split the document$/, '该 DOCX 含 $1 段以上（最多读取 $2 段）；请拆分文档'],
  [/^(.+) inflates to more than (\d+) MB \(a ZIP bomb, or a document too large to read\)$/, '$1 解压后超过 $2 MB（压缩炸弹，或文档过大无法读取）'],
  [/^the PDF's streams inflate past (\d+) MB \(a compression bomb, or a PDF too large to read\)$/, '该 PDF 的数据流解压后超过 $1 MB（压缩炸弹，或 PDF 过大无法读取）'],
  [/^not a readable PDF: ([\s\S]+)$/, '无法读取的 PDF：$1'],
  [/^PDF has no extractable text \(scanned images need OCR first\)$/, 'PDF 中没有可提取的文字（扫描图片需先做 OCR）'],
  [/^unsupported content type (.+)$/, '不支持的内容类型 $1'],
  [/^unsupported file type: (.+)$/, '不支持的文件类型：$1'],
  [/^unsupported file type (.+)$/, '不支持的文件类型 $1'],
  [/^skipped: not a supported file type$/, '已跳过：不支持的文件类型'],
  [/^skipped: deleted by a user$/, '已跳过：已被用户删除'],
  [/^more than (\d+) paragraphs; split the document$/, '超过 $1 段；请拆分文档'],
  [/^the extraction sandbox is closed$/, '文件解析进程已关闭'],
  [/^reading it needed more than (\d+) MB of memory; not read$/, '读取需要超过 $1 MB 内存；未读取'],
  [/^reading it took longer than (.+); not read \(too large or too complex\)$/, '读取耗时超过 $1；未读取（文件过大或过于复杂）'],
  [/^could not read it: the reader stopped$/, '无法读取：解析进程已停止'],
  [/^could not read it: ([\s\S]+)$/, '无法读取：$1'],
  [/^abandoned: the client went away$/, '已放弃：请求方已断开'],
  [/^it inflates to more than (\d+) times its size \(a gzip bomb\?\); not read further$/, '解压后超过原大小的 $1 倍（疑似 gzip 炸弹）；不再继续读取'],
  [/^file is (\d+) bytes, over the (\d+)-byte cap$/, '文件大小为 $1 字节，超过 $2 字节的上限'],
  [/^file is (\d+) bytes, over the cap$/, '文件大小为 $1 字节，超过上限'],
  [/^no text found$/, '没有找到文字'],
  [/^empty file$/, '空文件'],
  [/^read failed: ([\s\S]+)$/, '读取失败：$1'],
  [/^no such file or folder, and not an http\(s\) URL$/, '没有这个文件或文件夹，也不是 http(s) 网址'],
  [/^analysis failed: ([\s\S]+)$/, '分析失败：$1'],
  // Records (NDJSON, JSON, the API)
  [/^malformed JSON: ([\s\S]+)$/, 'JSON 格式错误：$1'],
  [/^invalid UTF-8$/, '无效的 UTF-8 编码'],
  [/^line longer than (\d+) bytes$/, '单行超过 $1 字节'],
  [/^element longer than (\d+) bytes$/, '单个元素超过 $1 字节'],
  [/^not a JSON array: it does not start with "\["$/, '不是 JSON 数组：没有以“[”开头'],
  [/^not a JSON array: element (\d+) starts with byte (0x[0-9a-f]+)$/, '不是 JSON 数组：第 $1 个元素以字节 $2 开头'],
  [/^unexpected text after the end of the JSON array$/, 'JSON 数组结束后还有多余内容'],
  [/^the JSON array is not closed with "\]" \(truncated file\?\)$/, 'JSON 数组没有以“]”结束（文件被截断？）'],
  [/^not a JSON object$/, '不是 JSON 对象'],
  [/^empty document: no title and no (?:body|text)$/, '空文档：没有标题也没有正文'],
  [/^invalid published_at (.+); stored without a date$/, '无效的 published_at $1；已按无日期保存'],
  [/^unknown type (.+); using news$/, '未知类型 $1；按新闻处理'],
  [/^too many paragraphs: (\d+) \(at most (\d+)\); split the document$/, '段落过多：$1 段（最多 $2 段）；请拆分文档'],
  [/^document too large: (\d+) characters \(at most (\d+)\); split the document$/, '文档过大：$1 个字符（最多 $2 个）；请拆分文档'],
  [/^metadata nested more than (\d+) levels deep$/, '元数据嵌套超过 $1 层'],
  [/^metadata too large: (\d+) characters as JSON \(at most (\d+)\)$/, '元数据过大：JSON 共 $1 个字符（最多 $2 个）'],
  [/^title of (\d+) characters cut to (\d+)$/, '标题长 $1 个字符，已截为 $2 个'],
  [/^publication date (.+) is outside 1900-2199; stored without a date$/, '发布日期 $1 不在 1900-2199 年之间；已按无日期保存'],
  [/^Invalid date (.+): use YYYY-MM-DD or an ISO 8601 timestamp$/, '无效日期 $1：请使用 YYYY-MM-DD 或 ISO 8601 时间'],
  [/^send a JSON object \(one record\), an array of records, or \{"documents": \[\.\.\.\]\}$/, '请发送一个 JSON 对象（一条记录）、记录数组，或 {"documents": [...]}'],
  [/^(\d+) records in one request \(at most 10,000\)$/, '一次请求含 $1 条记录（最多 10,000 条）'],
  // HTTP requests
  [/^refused: a (.+) request may not change anything here$/, '已拒绝：$1 请求不能修改这里的任何内容'],
  [/^refused: requests from (.+) may not change anything here$/, '已拒绝：来自 $1 的请求不能修改这里的任何内容'],
  [/^send Content-Type: (\S+) \(got (.+)\)$/, '请发送 Content-Type: $1（收到的是 $2）'],
  [/^send Content-Type: (\S+)$/, '请发送 Content-Type: $1'],
  [
    /^this server does not answer to the host name (.+); add it to LODESTONE_ALLOWED_HOSTS or LODESTONE_PUBLIC_URL$/,
    '本服务器不响应主机名 $1；请将其加入 LODESTONE_ALLOWED_HOSTS 或 LODESTONE_PUBLIC_URL',
  ],
  [/^name= \(the file name, with its extension\) is required$/, '需要提供 name=（文件名，含扩展名）'],
  [/^the file name is (\d+) characters long \(at most (\d+)\)$/, '文件名长 $1 个字符（最多 $2 个）'],
  [/^the file name may not contain control characters, \/ or \\$/, '文件名不能包含控制字符、/ 或 \\'],
  [/^the file name may not start with "\."$/, '文件名不能以“.”开头'],
  [/^the body is not valid JSON: ([\s\S]+)$/, '请求体不是有效的 JSON：$1'],
  [/^lang must be en or zh$/, 'lang 必须是 en 或 zh'],
  [/^send the file as the raw body \(application\/octet-stream\)$/, '请以原始请求体发送文件（application/octet-stream）'],
  [/^an id must be a positive integer, not (.+)$/, 'id 必须是正整数，而不是 $1'],
  [/^No document with internal id (.+)$/, '没有内部编号为 $1 的文档'],
  [/^No document with id (.+)$/, '没有编号为 $1 的文档'],
  [/^Id (.+) is used by (\d+) sources; pick one: (.+)$/, '编号 $1 被 $2 个来源使用；请选择其一：$3'],
  [/^--from (.+) is not before --to (.+)$/, '起始日期 $1 不早于结束日期 $2'],
  [/^limit must be an integer from 0 to (\d+)$/, 'limit 必须是 0 到 $1 之间的整数'],
  [/^offset must be an integer from 0 to 100000$/, 'offset 必须是 0 到 100000 之间的整数'],
  // Queries
  [
    /^the query has (\d+) one-character terms \(at most (\d+)\): a single character matches every word that starts with it; search for words of two or more characters$/,
    '查询包含 $1 个单字词（最多 $2 个）：单个字会匹配所有以它开头的词；请搜索两个字及以上的词',
  ],
  [/^the query has (\d+) terms \(at most (\d+)\); narrow it down$/, '查询包含 $1 个词（最多 $2 个）；请缩小范围'],
  [/^the query is too long to search \((\d+) index terms, at most (\d+)\); quote a shorter phrase$/, '查询过长（$1 个索引词，最多 $2 个）；请使用更短的短语'],
  [/^the query was stopped after (\d+) ms \(its time budget\): use words of two or more characters$/, '查询在 $1 毫秒后被终止（超出时间预算）：请使用两个字及以上的词'],
  [
    /^the query was stopped after (\d+) ms \(its time budget\): use fewer terms, or words of two or more characters$/,
    '查询在 $1 毫秒后被终止（超出时间预算）：请减少词数，或使用两个字及以上的词',
  ],
  [/^The full-text index rejected the query: ([\s\S]+)$/, '全文索引拒绝了该查询：$1'],
  [/^Query too long \((\d+) characters; at most (\d+)\)$/, '查询过长（$1 个字符；最多 $2 个）'],
  [/^([\s\S]+) \(at character (\d+)\)$/, (m, loc) => `${loc(m[1]!)}（第 ${m[2]} 个字符处）`],
  [/^Unterminated quote: add the closing "$/, '引号未闭合：请补上结尾的 "'],
  [/^Unmatched "\)"$/, '多余的“)”'],
  [/^Unexpected input$/, '无法识别的输入'],
  [/^OR needs a term on both sides$/, 'OR 两侧都需要词'],
  [/^OR needs a term after it$/, 'OR 后面需要词'],
  [/^OR needs a term before it$/, 'OR 前面需要词'],
  [/^AND needs a term before it$/, 'AND 前面需要词'],
  [/^AND needs a term after it$/, 'AND 后面需要词'],
  [/^(.+) needs a term after it$/, '$1 后面需要词'],
  [/^Too many nested parentheses$/, '括号嵌套过深'],
  [/^Missing "\)" for this "\("$/, '这个“(”缺少对应的“)”'],
  [/^Unexpected operator$/, '意外的运算符'],
  [/^(\w+): takes one value, not a group$/, '$1: 只能取一个值，不能是一组'],
  [/^title: cannot be nested inside title:$/, 'title: 不能嵌套在 title: 内'],
  [/^(\w+): needs a value, e\.g\. (.+)$/, '$1: 需要一个值，例如 $2'],
  [/^(\w+): needs a value$/, '$1: 需要一个值'],
  // Models
  [/^The model returned no message content\.$/, '模型没有返回内容。'],
  [/^The model endpoint failed: ([\s\S]+)$/, '模型接口调用失败：$1'],
  [/^The model did not return a valid summary twice: ([\s\S]+)$/, '模型两次都没有返回有效摘要：$1'],
  // Configuration (shown when a server would not start; the web app sees it only in a log)
  [/^bad configuration: LODESTONE_LLM_MODEL and LODESTONE_LLM_BASE_URL go together \(set both to use a model, neither for extractive summaries\)$/, '配置有误：LODESTONE_LLM_MODEL 与 LODESTONE_LLM_BASE_URL 须同时设置（都设置才使用模型，都不设置则使用抽取式摘要）'],
  [/^bad configuration: ([\s\S]+)$/, '配置有误：$1'],
  // The store
  [/^This database has schema version (\d+), newer than this Lodestone \((\d+)\)\. Upgrade Lodestone\.$/, '该数据库的结构版本为 $1，比当前 Lodestone（$2）更新。请升级 Lodestone。'],
  [
    /^This database has schema version (\d+) and needs an upgrade to (\d+); open it once without read-only mode\.$/,
    '该数据库的结构版本为 $1，需要升级到 $2；请以非只读模式打开一次。',
  ],
  [/^no columns$/, '内部错误：列数据尚不可用'],
  [/^The index was built with analyzer (.+); this version uses (.+)\. Re-ingest into a new --data directory\.$/, '索引由分析器 $1 构建；当前版本使用 $2。请重新导入到新的数据目录。'],
  [/^The index was built with analyzer (.+); this version uses (.+)\. Re-ingest into a new database\.$/, '索引由分析器 $1 构建；当前版本使用 $2。请重新导入到新的数据库。'],
  [/^cannot connect to PostgreSQL at (\S+): ([\s\S]+)$/, '无法连接到 PostgreSQL（$1）：$2'],
  // Query translation (why a candidate translation was left out; explain) and the user glossary
  [/^switched off$/, '已关闭'],
  [/^covered by (.+)$/, '已被“$1”涵盖'],
  [/^the query would cost too much with it$/, '加上它查询代价过高'],
  [/^the (.+) entry takes precedence$/, '以$1中的条目为准'],
  [/^more than (\d+) targets$/, '译词超过 $1 个'],
  [/^one character with many senses \(it would match inside other words\)$/, '单字且义项多（会匹配到其他词内部）'],
  [/^a stop word$/, '停用词'],
  [/^a later sense \(only the first twelve are weighed\)$/, '靠后的义项（只比较前十二个）'],
  [/^one character, and a longer word translates it$/, '单字，且已有更长的词可译'],
  [/^ambiguous word: no sense holds half of the evidence$/, '歧义词：没有哪个义项占到证据的一半'],
  [/^three translations kept already$/, '已保留三个译词'],
  [/^weaker evidence \((\d+) documents, sense (\d+)\) than (.+)$/, '证据弱于“$3”（$1 篇文档，第 $2 个义项）'],
  [/^in no document$/, '没有文档包含'],
  [/^in fewer than (\d+) documents$/, '少于 $1 篇文档包含'],
  [/^"(.+)" is not an English phrase \(letters, no tabs or "\|"\)$/, '“$1”不是英文短语（须为字母，不含制表符或“|”）'],
  [/^"(.+)" is not a Chinese word$/, '“$1”不是中文词'],
  [/^"(.+)" has no searchable words$/, '“$1”中没有可检索的词'],
  [/^give the Chinese form\(s\) after the English phrase$/, '请在英文短语后给出中文形式'],
  [/^no glossary pair for "(.+)"$/, '术语表中没有“$1”的词对'],
  [/^no glossary pair for "(.+)" and (.+)$/, '术语表中没有“$1”与 $2 的词对'],
  [/^cannot read (.+?): ([\s\S]+)$/, '无法读取 $1：$2'],
  [/^expected "english<TAB>中文" \(several forms separated by "\|"\)$/, '格式应为“english<TAB>中文”（多个形式用“|”分隔）'],
];

/** `text` (a message the server produced) in `lang`; unknown text is returned as it is. */
export function localizeMessage(text: string, lang: 'en' | 'zh'): string {
  if (lang === 'en') return text;
  const loc = (s: string) => localizeMessage(s, lang);
  for (const [re, render] of ZH) {
    const m = re.exec(text);
    if (!m) continue;
    return typeof render === 'string' ? text.replace(re, render) : render(m, loc);
  }
  return text;
}

/** Does the catalog know this message (used by the test that keeps it complete)? */
export function knownMessage(text: string): boolean {
  return ZH.some(([re]) => re.test(text));
}
