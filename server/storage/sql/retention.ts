/** Retention: the maintenance lease, and one bounded batch of pruning. */
import { sqltag as sql } from '@prisma/client/runtime/client';
import type { Dialect } from './dialect';
import { bigint } from './fragments';
import { queryRows, type Program } from './program';

/** Takes the lease when free, expired or already `owner`'s; true when `owner` holds it. */
export function* acquireLease(
  d: Dialect,
  { name, owner, now, ttlMs }: { name: string; owner: string; now: number; ttlMs: number },
): Program<boolean> {
  const rows = yield* queryRows<{ owner: string }>(sql`
    INSERT INTO ${d.leases} (name, owner, expires_at)
    VALUES (${name}, ${owner}, ${bigint(now + ttlMs)})
    ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
    WHERE ${d.leases}.owner = excluded.owner OR ${d.leases}.expires_at <= ${bigint(now)}
    RETURNING owner`);
  return rows.length > 0;
}
