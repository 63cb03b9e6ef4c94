/** npx tsx bench/generate-cli.ts N OUT.ndjson — write the deterministic generated corpus. */
import { generateCorpus } from './generate.js';

const n = Number(process.argv[2] ?? 100_000);
const out = process.argv[3] ?? `bench/out/generated-src/docs-${n}.ndjson`;
const t = performance.now();
await generateCorpus(out, n);
console.log(`generated ${n} documents to ${out} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
