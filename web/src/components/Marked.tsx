/**
 * Text with highlighted ranges. Document text is untrusted: it is only ever rendered as
 * React text children (escaped by React), never as HTML.
 */
import type { ReactNode } from 'react';

export function Marked({ text, ranges }: { text: string; ranges: [number, number][] }) {
  if (ranges.length === 0) return <>{text}</>;
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: ReactNode[] = [];
  let at = 0;
  sorted.forEach(([s, e]) => {
    if (e <= at) return;
    const start = Math.max(s, at);
    if (start > at) out.push(text.slice(at, start));
    out.push(<mark key={start}>{text.slice(start, e)}</mark>);
    at = e;
  });
  if (at < text.length) out.push(text.slice(at));
  return <>{out}</>;
}
