/** A real Durably on a fresh SQLite file, and tRPC callers over it, for router tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiContext, createCaller } from '@/server/api';
import type { Logger } from '@/server/engine';
import { createDurably, type Durably } from '@/server/executor';

export const quietLogger: Logger = {
  debug: () => {},
  info: () => {},
  error: (message, error) => console.error(message, error),
};

export interface ApiHarness {
  durably: Durably;
  /** A caller as a same-site browser request with the given extra headers. */
  caller(options?: {
    headers?: Record<string, string>;
    adminToken?: string;
  }): ReturnType<typeof createCaller>;
  close(): Promise<void>;
}

export async function createApiHarness(): Promise<ApiHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'durably-api-'));
  const durably = await createDurably({
    url: `file:${join(dir, 'api.db')}`,
    logger: quietLogger,
    start: true,
    executorOptions: { backgroundProcessIntraBatchSleepMs: 100 },
  });
  return {
    durably,
    caller: ({ headers = {}, adminToken } = {}) =>
      createCaller(
        createApiContext({
          headers: new Headers({ host: 'localhost:3000', ...headers }),
          resHeaders: new Headers(),
          getDurably: () => Promise.resolve(durably),
          ...(adminToken === undefined ? { adminToken: undefined } : { adminToken }),
        }),
      ),
    async close() {
      await durably.executor.shutdown({ timeoutMs: 1_000 });
      await durably.storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
