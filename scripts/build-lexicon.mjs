// Writes dist/cedict-index.json: CC-CEDICT indexed for query translation, so a CLI command
// or a server start reads it (~0.3 s) instead of indexing the dictionary (~1.2 s). Run by
// `npm run build` after tsc; the compiled code uses it only when its version matches.
import { writeCedictSnapshot } from '../dist/search/translate/lexicon.js';

writeCedictSnapshot();
