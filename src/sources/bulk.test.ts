import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonArrayItems } from './bulk.js';

async function* chunksOf(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function items(text: string, chunk: number): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const it of jsonArrayItems(chunksOf(Buffer.from(text), chunk), 1 << 20)) {
    if (it.kind === 'item') out.push(JSON.parse(it.text));
    else throw new Error(it.reason);
  }
  return out;
}

describe('streamed JSON arrays', () => {
  it('property: the elements read in chunks of any size are the array JSON.parse reads', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.jsonValue(), { maxLength: 12 }), fc.integer({ min: 1, max: 64 }), fc.boolean(), async (arr, chunk, pretty) => {
        const text = JSON.stringify(arr, null, pretty ? 2 : undefined);
        expect(await items(text, chunk)).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses what is not an array, or not closed, with a reason', async () => {
    await expect(items('{"a": 1}', 4)).rejects.toThrow(/does not start with "\["/);
    await expect(items('[1, 2', 4)).rejects.toThrow(/not closed/);
    await expect(items('[\0\0\0', 4)).rejects.toThrow(/starts with byte 0x00/);
    await expect(items('[1] x', 4)).rejects.toThrow(/after the end/);
  });
});
