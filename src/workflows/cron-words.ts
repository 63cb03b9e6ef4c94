/**
 * A workflow's schedule in words ("At 08:30, Monday through Friday · Asia/Shanghai",
 * "在08:30, 星期一至星期五 · Asia/Shanghai"), for the web app and the CLI: a cron line is
 * what the user typed, not what a reader should have to decode. cronstrue does the words
 * (its Chinese locale registered here); the raw cron stays one hover or `--json` away.
 */
import cronstrue from 'cronstrue';
import 'cronstrue/locales/zh_CN.js';

export function scheduleWords(cron: string, tz: string, lang: 'en' | 'zh' = 'en'): string {
  let words: string;
  try {
    words = cronstrue.toString(cron, { use24HourTimeFormat: true, ...(lang === 'zh' ? { locale: 'zh_CN' } : {}) });
  } catch {
    words = cron; // not something cronstrue reads: show it as written
  }
  return `${words} · ${tz}`;
}
