/**
 * Language and script detection. CJK is decided by character counts (fast and exact for
 * our purposes); zh-Hant vs zh-Hans by how many Han characters the t->s fold changes;
 * alphabetic text goes to eld (n-gram detector, small database).
 */
import { eld } from 'eld/small';
import { foldCodePoint, foldsToItself } from './normalize.js';

export interface Detection {
  /** ISO 639-1 code, 'mixed' when Chinese and English both carry the text, or 'und'. */
  lang: string;
  /** Hans | Hant | Latn | Jpan | Kore | Zyyy (unknown) */
  script: string;
}

const isHan = (c: number) =>
  (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0x20000 && c <= 0x323af);
const isKana = (c: number) => c >= 0x3040 && c <= 0x30ff;
const isHangul = (c: number) => (c >= 0xac00 && c <= 0xd7af) || (c >= 0x1100 && c <= 0x11ff);
const isLatin = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7);

/** Detect over at most the first 4,000 characters (enough and bounded). */
export function detectLanguage(text: string): Detection {
  const sample = text.length > 4000 ? text.slice(0, 4000) : text;
  let han = 0;
  let hant = 0;
  let kana = 0;
  let hangul = 0;
  let latin = 0;
  for (let i = 0; i < sample.length; i++) {
    let c = sample.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      c = sample.codePointAt(i)!;
      i++;
    }
    if (c < 128) {
      if (isLatin(c)) latin++;
    } else if (isHan(c)) {
      han++;
      if (c > 0xffff ? foldCodePoint(c).s !== String.fromCodePoint(c) : !foldsToItself(c)) hant++;
    } else if (isKana(c)) kana++;
    else if (isHangul(c)) hangul++;
    else if (isLatin(c)) latin++;
  }
  // Latin letters come in words of ~5; compare per "word-equivalent".
  const latinWords = latin / 5;
  if (kana > 0 && kana + han > latinWords) return { lang: 'ja', script: 'Jpan' };
  if (hangul > 0 && hangul > han && hangul > latinWords) return { lang: 'ko', script: 'Kore' };
  if (han > 0) {
    const script = hant / han > 0.05 ? 'Hant' : 'Hans';
    if (latinWords > han * 0.8) return { lang: 'mixed', script };
    return { lang: 'zh', script };
  }
  if (latin > 0) {
    const r = eld.detect(sample);
    const lang = r.language && r.language.length > 0 ? r.language : 'und';
    return { lang, script: 'Latn' };
  }
  return { lang: 'und', script: 'Zyyy' };
}
