/** Engine store factories over the Prisma stores: a fresh, empty store per test. */
import { afterAll } from 'vitest';
import type { EngineStoreFactory } from '@/test/engine/conformance';
import { postgresFixture, sqliteFixture } from './fixtures';
import type { StorageFixture } from './fixtures';

function engineStores(fixture: StorageFixture): EngineStoreFactory {
  afterAll(() => fixture.dispose());
  return async () => {
    const storage = await fixture.open();
    return { storage, close: () => storage.close() };
  };
}

export const sqliteEngineStores = (): EngineStoreFactory => engineStores(sqliteFixture());
export const postgresEngineStores = (): EngineStoreFactory => engineStores(postgresFixture());
