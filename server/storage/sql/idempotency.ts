/**
 * Idempotency keys, taken in the same statement or transaction as the insert they guard.
 *
 * A key is unique per task while remembered. The upsert takes a free or expired key and, for a
 * key another execution holds, returns that holder: ON CONFLICT DO UPDATE waits for and locks
 * the key's latest version, so the answer is exact under concurrent enqueues, where a read in
 * the same statement could miss a holder that committed after the statement's snapshot.
 * A root whose key is held is not inserted (the enqueue returns the holder); a child whose key
 * is held is inserted linked to the holder, and finishes with its outcome.
 */
import { sqltag as sql } from '@prisma/client/runtime/client';
import type { Sql } from '@prisma/client/runtime/client';
import type { InsertedExecution } from '@/server/engine/storage';
import type { NewRowJson } from '../rows';
import type { Dialect, Fields } from './dialect';
import { bigint } from './fragments';

/** A key to take, for the row `execution_id` (one per task and key of a batch). */
export interface KeyJson {
  task_id: string;
  idempotency_key: string;
  execution_id: string;
  expires_at: number;
  /** For children: the parent whose guarded update must apply for the key to be taken. */
  owner_execution_id: string | null;
}

const KEY_FIELDS: Fields = [
  ['task_id', 'text'],
  ['idempotency_key', 'text'],
  ['execution_id', 'text'],
  ['expires_at', 'bigint'],
  ['owner_execution_id', 'text'],
];

/** The key holders an upsert returned. */
export interface KeyHolder {
  task_id: string;
  idempotency_key: string;
  execution_id: string;
}

/** The keys a batch takes: the first row of each task and key (later ones are its duplicates). */
export function keysOf(rows: readonly NewRowJson[]): KeyJson[] {
  const seen = new Set<string>();
  const keys: KeyJson[] = [];
  for (const row of rows) {
    if (row.idempotency_key === null) continue;
    const id = keyId(row.task_id, row.idempotency_key);
    if (seen.has(id)) continue;
    seen.add(id);
    keys.push({
      task_id: row.task_id,
      idempotency_key: row.idempotency_key,
      execution_id: row.execution_id,
      expires_at: row.idempotency_expires_at ?? 0,
      owner_execution_id: row.owner_execution_id,
    });
  }
  return keys;
}

/**
 * Takes each key that is free or expired for its row, and returns every key's holder (that
 * row, or the execution that held it). `where` filters the keys (over the batch alias `k`).
 */
export function upsertKeysSql(
  d: Dialect,
  keys: KeyJson[],
  now: number,
  where: Sql = sql`1 = 1`,
): Sql {
  const expired = sql`${d.idempotencyKeys}.expires_at <= ${bigint(now)}`;
  return sql`
    INSERT INTO ${d.idempotencyKeys} (task_id, idempotency_key, execution_id, expires_at)
    SELECT k.task_id, k.idempotency_key, k.execution_id, k.expires_at
    FROM ${d.jsonRecords(JSON.stringify(keys), 'k', KEY_FIELDS)}
    WHERE ${where}
    ON CONFLICT (task_id, idempotency_key) DO UPDATE SET
      execution_id = CASE WHEN ${expired} THEN excluded.execution_id
        ELSE ${d.idempotencyKeys}.execution_id END,
      expires_at = CASE WHEN ${expired} THEN excluded.expires_at
        ELSE ${d.idempotencyKeys}.expires_at END
    RETURNING task_id, idempotency_key, execution_id`;
}

/** Roots: which rows to insert, and what each row of the batch became. */
export function resolveRoots(
  rows: readonly NewRowJson[],
  holders: readonly KeyHolder[],
): { toInsert: NewRowJson[]; results: InsertedExecution[] } {
  const holderOf = holdersByKey(holders);
  const toInsert: NewRowJson[] = [];
  const results = rows.map((row): InsertedExecution => {
    const holder =
      row.idempotency_key === null ? null : holderOf.get(keyId(row.task_id, row.idempotency_key));
    if (!holder || holder === row.execution_id) {
      toInsert.push(row);
      return { executionId: row.execution_id, created: true };
    }
    return { executionId: holder, created: false };
  });
  return { toInsert, results };
}

/** Children: every row is inserted; one whose key another execution holds is linked to it. */
export function linkChildren(
  rows: readonly NewRowJson[],
  holders: readonly KeyHolder[],
): NewRowJson[] {
  const holderOf = holdersByKey(holders);
  return rows.map((row) => {
    if (row.idempotency_key === null) return row;
    const holder = holderOf.get(keyId(row.task_id, row.idempotency_key));
    return holder && holder !== row.execution_id ? { ...row, linked_execution_id: holder } : row;
  });
}

function holdersByKey(holders: readonly KeyHolder[]): Map<string, string> {
  return new Map(holders.map((h) => [keyId(h.task_id, h.idempotency_key), h.execution_id]));
}

function keyId(taskId: string, key: string): string {
  return `${taskId}\u0000${key}`;
}
