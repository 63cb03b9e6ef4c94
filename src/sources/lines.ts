/**
 * Line reader for bulk files: splits a byte stream on \n with a per-line cap (a 1 GB line
 * is reported, not loaded), tracks line numbers and bytes consumed, and decodes each line
 * as strict UTF-8 so invalid bytes are reported per line instead of silently replaced.
 * Blank lines are counted but not yielded: a file of two billion newlines costs a tight
 * loop, not two billion events.
 */

export type LineEvent =
  | { kind: 'line'; text: string; lineNo: number; bytes: number }
  | { kind: 'bad'; lineNo: number; reason: string; bytes: number };

export async function* readLines(stream: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<LineEvent> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let skipping = false;
  let lineNo = 0;
  let consumed = 0;
  const finish = (parts: Buffer[]): LineEvent => {
    lineNo++;
    const buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    try {
      let text = decoder.decode(buf);
      if (text.endsWith('\r')) text = text.slice(0, -1);
      return { kind: 'line', text, lineNo, bytes: consumed };
    } catch {
      return { kind: 'bad', lineNo, reason: 'invalid UTF-8', bytes: consumed };
    }
  };
  for await (const chunk of stream) {
    let start = 0;
    for (;;) {
      // Blank lines (\n, \r\n) between lines: counted in a tight loop.
      if (pendingLen === 0 && !skipping) {
        let i = start;
        while (i < chunk.length && (chunk[i] === 10 || (chunk[i] === 13 && chunk[i + 1] === 10))) {
          if (chunk[i] === 10) lineNo++;
          i++;
        }
        consumed += i - start;
        start = i;
      }
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      consumed += nl + 1 - start;
      if (skipping) {
        lineNo++;
        yield { kind: 'bad', lineNo, reason: `line longer than ${maxLineBytes} bytes`, bytes: consumed };
        skipping = false;
      } else {
        pending.push(chunk.subarray(start, nl));
        yield finish(pending);
      }
      pending = [];
      pendingLen = 0;
      start = nl + 1;
    }
    if (start < chunk.length) {
      consumed += chunk.length - start;
      if (!skipping) {
        pending.push(chunk.subarray(start));
        pendingLen += chunk.length - start;
        if (pendingLen > maxLineBytes) {
          skipping = true;
          pending = [];
          pendingLen = 0;
        }
      }
    }
  }
  if (skipping) {
    lineNo++;
    yield { kind: 'bad', lineNo, reason: `line longer than ${maxLineBytes} bytes`, bytes: consumed };
  } else if (pendingLen > 0) {
    yield finish(pending);
  }
}
