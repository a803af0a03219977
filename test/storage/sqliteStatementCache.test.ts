/** SQLite statements compiled once per connection, under Prisma's better-sqlite3 adapter. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createPrismaStorage } from '@/server/storage';
import { cachePreparedStatements } from '@/server/storage/sqlite/statementCache';
import { newRow, silentLogger, T0 } from './fixtures';

const dir = mkdtempSync(join(tmpdir(), 'durably-statements-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite prepared statements', () => {
  it('are compiled once per text however often the hot path runs', async () => {
    const compile = vi.spyOn(Database.prototype, 'prepare');
    const storage = await createPrismaStorage({
      url: `file:${join(dir, 'hot.db')}`,
      logger: silentLogger,
    });
    try {
      const compilesBefore = compile.mock.calls.length;
      for (let i = 0; i < 20; i++) {
        await storage.insertExecutions([newRow(`e${i}`, 'a')]);
        const [claimed] = await storage.claimReadyExecutions({
          taskIds: ['a'],
          limit: 1,
          now: T0,
          expireMs: 1000,
        });
        expect(claimed?.executionId).toBe(`e${i}`);
        const applied = await storage.applyRunResults(
          [
            {
              executionId: `e${i}`,
              leaseToken: claimed!.leaseToken,
              outcome: { kind: 'completed', runOutput: '1', output: String(i) },
            },
          ],
          T0 + 1,
        );
        expect(applied[0]?.status).toBe('completed');
        const [row] = await storage.getExecutions([`e${i}`]);
        expect(row?.output).toBe(String(i));
      }
      // 80 statements ran (plus any transaction control): only the first round compiled.
      expect(compile.mock.calls.length - compilesBefore).toBeLessThanOrEqual(8);
    } finally {
      compile.mockRestore();
      await storage.close();
    }
  });

  it('runs a reused statement with each call’s own arguments, evicting the least recent', () => {
    const db = new Database(join(dir, 'lru.db'));
    try {
      const compile = vi.spyOn(db, 'prepare');
      cachePreparedStatements(db, 2);
      type Cached = { bind(args: unknown[]): { raw(): { all(): unknown[] }; run(): unknown } };
      // The replaced prepare is an arrow function: calling it detached is safe.
      const cached = (sql: string) => (db.prepare as unknown as (text: string) => Cached)(sql);
      cached('CREATE TABLE t (k INTEGER, v TEXT)').bind([]).run();
      const insert = 'INSERT INTO t (k, v) VALUES (?, ?)';
      const select = 'SELECT v FROM t WHERE k = ?';
      cached(insert).bind([1, 'one']).run();
      cached(insert).bind([2, 'two']).run();
      expect(cached(select).bind([1]).raw().all()).toEqual([['one']]);
      expect(cached(select).bind([2]).raw().all()).toEqual([['two']]);
      expect(compile).toHaveBeenCalledTimes(3); // create, insert, select
      // With room for two, the create text went first, then the insert (least recent).
      cached('SELECT count(*) FROM t').bind([]).raw().all();
      cached(insert).bind([3, 'three']).run();
      expect(compile).toHaveBeenCalledTimes(5);
      expect(cached(select).bind([3]).raw().all()).toEqual([['three']]);
    } finally {
      db.close();
    }
  });
});
