import { describe, expect, it } from 'vitest';
import { cleanDocument, cleanText, jsonDepth, terminalSafe } from './clean.js';

const doc = (over: Record<string, unknown> = {}) => ({
  key: 'k',
  externalId: null,
  title: '标题',
  source: 's',
  url: null,
  publishedAt: null,
  fetchedAt: 0,
  type: 'news' as const,
  lang: null,
  paragraphs: [{ n: 1, text: '正文' }],
  metadata: {},
  ...over,
});

describe('the ingest edge', () => {
  it('makes text well-formed and drops control characters, keeping line breaks and tabs', () => {
    expect(cleanText('a\ud800b\udc00c')).toBe('a\uFFFDb\uFFFDc');
    expect(cleanText('😀')).toBe('😀');
    expect(cleanText('x\u0000y\u001b]52;c;QQ==\u0007z\u009b\n\t')).toBe('xy]52;c;QQ==z\n\t');
  });

  it('terminal output keeps colour codes and loses every other escape', () => {
    expect(terminalSafe('\u001b[1;33m稀土\u001b[0m')).toBe('\u001b[1;33m稀土\u001b[0m');
    expect(terminalSafe('a\u001b]52;c;QQ==\u0007b\u001b[2Jc\u009b31m')).toBe('a]52;c;QQ==b[2Jc31m');
  });

  it('measures depth without recursion, stopping past the limit', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonDepth(deep, 16)).toBe(17);
    expect(jsonDepth({ a: [1, { b: 2 }] }, 16)).toBe(3);
  });

  it('refuses oversized or deeply nested documents, drops insane dates with a warning', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { a: deep };
    expect(cleanDocument(doc({ metadata: { x: deep } }))).toMatchObject({ ok: false, error: expect.stringMatching(/nested/) });
    expect(cleanDocument(doc({ paragraphs: Array.from({ length: 20_001 }, (_, i) => ({ n: i + 1, text: 'x' })) }))).toMatchObject({ ok: false });
    expect(cleanDocument(doc({ paragraphs: [{ n: 1, text: 'x'.repeat(2_000_001) }] }))).toMatchObject({ ok: false, error: expect.stringMatching(/too large/) });
    const r = cleanDocument(doc({ publishedAt: 1e20 }));
    expect(r).toMatchObject({ ok: true, doc: { publishedAt: null }, warnings: [expect.stringMatching(/outside 1900-2199/)] });
    const t = cleanDocument(doc({ title: 'x'.repeat(5_000) }));
    expect(t.ok && t.doc.title.length).toBe(1_000);
  });
});
