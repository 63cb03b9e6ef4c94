/**
 * CJK radicals that stand in for ideographs. PDFs printed by Chromium (and some other
 * producers) map glyphs of common characters to the Kangxi Radicals block (U+2F00-U+2FD5:
 * ⼟ for 土, ⽐ for 比) or the CJK Radicals Supplement (U+2E80-U+2EF3: ⻓ for 长, ⻛ for 风):
 * they look the same but are other code points, so 同⽐增⻓ is not found by 同比增长. The
 * Kangxi block and the CJK Compatibility Ideographs have NFKC mappings; the supplement has
 * almost none, hence the table below (each radical's equivalent unified ideograph, by its
 * Unicode name: "C-SIMPLIFIED LONG" is 长). Radicals without a usable equivalent (REPEAT,
 * the second-stroke forms) stay as they are.
 */
// Pairs: a radical of the supplement, then its unified ideograph.
const PAIRS =
  '⺁厂⺄乙⺅亻⺆冂⺈刀⺉刂⺊卜⺋㔾⺌小⺍小⺎兀⺏尣⺐尢⺒巳⺓幺⺔彑⺕彐⺖忄⺗㣺⺘扌' +
  '⺙攵⺛旡⺜日⺝月⺞歺⺟母⺠民⺡氵⺢氺⺣灬⺤爫⺥爫⺦丬⺧牛⺨犭⺩王⺪疋⺫罒⺬示⺭礻' +
  '⺮竹⺯糸⺰纟⺷羊⺸羊⺹耂⺺肀⺻聿⺼月⺽臼⺾艹⺿艹⻀艹⻁虎⻂衤⻃覀⻄西⻅见⻆角⻇角' +
  '⻈讠⻉贝⻊足⻋车⻌辶⻍辶⻎辶⻏阝⻐钅⻑長⻒镸⻓长⻔门⻕阝⻖阝⻗雨⻘青⻙韦⻚页⻛风' +
  '⻜飞⻝食⻟飠⻠饣⻢马⻣骨⻤鬼⻥鱼⻦鸟⻧卤⻨麦⻩黄⻪黾⻫斉⻬齐⻭歯⻮齿⻯竜⻰龙⻱龜' +
  '⻲亀⻳龟';
const SUPPLEMENT = new Map<string, string>();
for (let i = 0; i + 1 < PAIRS.length; i += 2) SUPPLEMENT.set(PAIRS[i]!, PAIRS[i + 1]!);

/** Radicals of either block and compatibility ideographs. */
export const RADICAL_LOOKALIKE = /[\u2E80-\u2EF3\u2F00-\u2FD5\uF900-\uFAFF]/;
const ALL = /[\u2E80-\u2EF3\u2F00-\u2FD5\uF900-\uFAFF]/g;

/** Text with radical look-alikes replaced by the unified ideographs they stand for. */
export function unifyRadicals(s: string): string {
  if (!RADICAL_LOOKALIKE.test(s)) return s;
  return s.replace(ALL, (c) => {
    const cp = c.codePointAt(0)!;
    if (cp < 0x2f00) return SUPPLEMENT.get(c) ?? c;
    const n = c.normalize('NFKC');
    return n.length === 1 || /^\p{Script=Han}+$/u.test(n) ? n : c;
  });
}
