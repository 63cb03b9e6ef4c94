/**
 * English and Simplified Chinese. The choice is remembered in localStorage; dates, relative
 * times and numbers are formatted with Intl in the chosen locale and the browser's time zone.
 */
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { type Dict, en, zh } from './dictionaries.js';

export type Lang = 'en' | 'zh';

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
