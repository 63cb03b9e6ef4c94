import { tempDir } from '../../../test/helpers/fixtures.js';
import { runStoreContract } from '../contract/suite.js';
import { SqliteStore } from './store.js';

runStoreContract('sqlite', async () => SqliteStore.open(tempDir('lodestone-store-')));
