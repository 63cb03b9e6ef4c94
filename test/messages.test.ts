/**
 * Every message a user can see exists in both languages (issue 18, item 11): the web app's
 * two dictionaries have the same keys, nested ones included, and every message the server
 * can send (errors, refusals, failure reasons, warnings — found by scanning its source) has
 * a Chinese rendering in src/core/messages.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { en, zh } from '../web/src/dictionaries.js';
import { knownMessage, localizeMessage } from '../src/core/messages.js';

const ROOT = join(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const STR = "(`(?:[^`\\\\$]|\\\\.|\\$(?!\\{)|\\$\\{[^}]*\\})*`|'(?:[^'\\\\]|\\\\.)*')";
/** Where a message a user may see is written: errors, item reasons, refusals, warnings. */
const SITES = [
  new RegExp(`new LodestoneError\\(\\s*'\\w+',\\s*${STR}`, 'g'),
  new RegExp(`reason: ${STR}`, 'g'),
  new RegExp(`(?:const reason|error) = (?:[^;?]+\\? )?${STR}`, 'g'),
  new RegExp(`error: ${STR}`, 'g'),
  new RegExp(`warnings\\.push\\(${STR}`, 'g'),
  new RegExp(`(?:syntax|costly|bad)\\(\\s*${STR}`, 'g'),
];

/** The literal as a message: quotes dropped, escapes resolved, each `${…}` replaced by a sample. */
function sample(literal: string): string {
  return literal
    .slice(1, -1)
    .replace(/\$\{([^}]*)\}/g, (_, expr: string) => (/href|url/i.test(expr) ? 'https://example.com/feed.xml' : '123'))
    .replace(/\\(.)/g, '$1');
}

function keysOf(x: unknown, prefix = ''): string[] {
  if (x === null || typeof x !== 'object') return [prefix];
  return Object.entries(x as Record<string, unknown>).flatMap(([k, v]) => keysOf(v, prefix ? `${prefix}.${k}` : k));
}

describe('messages in both languages', () => {
  it('the web dictionaries have the same keys, nested ones included, and no empty string', () => {
    expect(keysOf(zh).sort()).toEqual(keysOf(en).sort());
    for (const [k, v] of Object.entries(zh)) if (typeof v === 'string') expect(v.trim(), k).not.toBe('');
  });

  it('every message the server can send has a Chinese rendering', () => {
    // Not the CLI's own lines, nor the store contracts (test code that lives beside the stores).
    const files = sourceFiles(join(ROOT, 'src')).filter(
      (f) => !relative(ROOT, f).startsWith(join('src', 'cli')) && !relative(ROOT, f).startsWith(join('src', 'store', 'contract')),
    );
    const found: { at: string; text: string }[] = [];
    for (const f of files) {
      const s = readFileSync(f, 'utf8');
      for (const re of SITES) {
        for (const m of s.matchAll(re)) {
          const text = sample(m[1]!);
          // A bare pass-through (`${describeError(err)}`) carries another message, checked where it is made.
          if (/^123$/.test(text) || text === '') continue;
          found.push({ at: `${relative(ROOT, f)}: ${m[1]!.slice(0, 80)}`, text });
        }
      }
    }
    expect(found.length).toBeGreaterThan(100);
    const missing = found.filter((x) => !knownMessage(x.text)).map((x) => x.at);
    expect(missing, `add these to src/core/messages.ts:\n${missing.join('\n')}`).toEqual([]);
    for (const { at, text } of found) {
      const zh = localizeMessage(text, 'zh');
      expect(zh, at).toMatch(/\p{Script=Han}/u);
      expect(localizeMessage(text, 'en')).toBe(text);
    }
  });

  it('renders the run reasons and refusals users saw in English', () => {
    expect(localizeMessage('capped: 46 more matching stories were not included (max_items 50)', 'zh')).toBe('已截断：另有 46 条匹配的报道未收入（每次最多 50 条）');
    expect(localizeMessage('refused: 10.0.0.5 is a private or loopback address (an administrator can allow private addresses with LODESTONE_ALLOW_PRIVATE=1)', 'zh')).toMatch(
      /^已拒绝：10\.0\.0\.5 属于内网或本机地址/,
    );
    expect(localizeMessage('OR needs a term after it (at character 7)', 'zh')).toBe('OR 后面需要词（第 7 个字符处）');
    expect(localizeMessage('something no one wrote', 'zh')).toBe('something no one wrote');
  });
});
