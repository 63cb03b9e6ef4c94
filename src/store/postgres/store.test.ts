import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/fixtures.js';
import { runCrossBackend } from '../contract/cross.js';
import { runRepoContract } from '../contract/repos.js';
import { runStoreContract } from '../contract/suite.js';
import { prepareQuery } from '../../services/translation.js';
import { SqliteStore } from '../sqlite/store.js';
import { PgStore } from './store.js';
import { createTestDatabase, pgUnavailable } from './testing.js';

const unavailable = await pgUnavailable();
// CI insists the PostgreSQL suite runs; a laptop without PostgreSQL skips it with the reason.
if (unavailable && process.env.CI) throw new Error(`CI requires PostgreSQL: ${unavailable}`);

/** A store on a database of its own, dropped when the store closes. */
export async function freshPgStore(): Promise<PgStore> {
  const db = await createTestDatabase();
  const store = await PgStore.open(db.url, { poolSize: 4 }).opened();
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    await db.drop();
  };
  return store;
}

runStoreContract('postgres', freshPgStore, unavailable ?? undefined);
runRepoContract('postgres', freshPgStore, unavailable ?? undefined);

runCrossBackend('sqlite', async () => SqliteStore.open(tempDir('lodestone-cross-')), 'postgres', freshPgStore, unavailable ?? undefined, async (s, q) => (await prepareQuery(s, q)).query);

describe('PostgreSQL unreachable', () => {
  it('says so, naming the server without its password', async () => {
    const s = PgStore.open('postgres://lodestone:secret@127.0.0.1:1/nowhere');
    await expect(s.opened()).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/^cannot connect to PostgreSQL at postgres:\/\/lodestone:\*\*\*@127\.0\.0\.1:1\/nowhere: /) });
    await expect(s.stats()).rejects.toMatchObject({ code: 'unavailable' });
    await s.close();
  });
});
