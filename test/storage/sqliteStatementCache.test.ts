/** SQLite statements compiled once per connection and reused. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createPrismaStorage } from '@/server/storage';
import { StatementCache } from '@/server/storage/sqlite/statementCache';
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
      const cache = new StatementCache(db, 2);
      cache.prepare('CREATE TABLE t (k INTEGER, v TEXT)').run();
      const insert = 'INSERT INTO t (k, v) VALUES (?, ?)';
      const select = 'SELECT v FROM t WHERE k = ?';
      cache.prepare(insert).run(1, 'one');
      cache.prepare(insert).run(2, 'two');
      expect(cache.prepare(select).all(1)).toEqual([{ v: 'one' }]);
      expect(cache.prepare(select).all(2)).toEqual([{ v: 'two' }]);
      expect(compile).toHaveBeenCalledTimes(3); // create, insert, select
      // With room for two, the create text went first, then the insert (least recent).
      cache.prepare('SELECT count(*) FROM t').all();
      cache.prepare(insert).run(3, 'three');
      expect(compile).toHaveBeenCalledTimes(5);
      expect(cache.prepare(select).all(3)).toEqual([{ v: 'three' }]);
    } finally {
      db.close();
    }
  });
});
