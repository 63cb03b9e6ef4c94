/**
 * Language and script detection. CJK is decided by character counts (fast and exact for
 * our purposes); zh-Hant vs zh-Hans by how many Han characters the t->s fold changes.
 * Latin-script text is English when English function words make up a normal share of its
 * words, otherwise 'und'. Why not an n-gram detector such as eld: its smallest database
 * adds ~85 MB to every process (measured), and Lodestone's sources are Chinese and English;
 * an input's own `lang` field always wins over detection.
 */
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
  if (latin > 0) return { lang: looksEnglish(sample) ? 'en' : 'und', script: 'Latn' };
  return { lang: 'und', script: 'Zyyy' };
}

const EN_FUNCTION_WORDS = new Set(
  'the of and to in a is for on that with as by at from it be was are this an or has have its will said not but which were'.split(' '),
);

/** Share of English function words among the first 300 words (English prose: ~40%). */
function looksEnglish(text: string): boolean {
  const words = text.toLowerCase().match(/[a-z]+/g)?.slice(0, 300) ?? [];
  if (words.length === 0) return false;
  if (words.length < 4) return true; // a headline or a name: nothing to contradict English
  let hits = 0;
  for (const w of words) if (EN_FUNCTION_WORDS.has(w)) hits++;
  return hits / words.length >= 0.12;
}
