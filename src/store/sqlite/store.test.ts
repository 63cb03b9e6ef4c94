import { tempDir } from '../../../test/helpers/fixtures.js';
import { runStoreContract } from '../contract/suite.js';
import { SqliteStore } from './store.js';

runStoreContract('sqlite', async () => SqliteStore.open(tempDir('lodestone-store-')));
// Every term that matches anything becomes hot on first use: the same contract through the
// hot posting lists (phrases from positions, BM25 computed in JavaScript).
runStoreContract('sqlite, hot lists', async () => SqliteStore.open(tempDir('lodestone-store-'), { hotThreshold: 1 }));
