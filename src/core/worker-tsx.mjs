// Development only: runs a TypeScript worker under tsx (tests and benchmarks run from src/).
// The built product starts the compiled .js worker directly and never loads this file.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
