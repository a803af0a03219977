import { createHash, randomBytes } from 'node:crypto';

const ID_BYTES = 18;
/** Random bytes are drawn in blocks: one system call per 512 ids instead of one per id. */
const POOL_IDS = 512;
let pool = Buffer.alloc(0);
let poolOffset = 0;

/** `te_` + 24 url-safe random characters (18 random bytes). */
export function newExecutionId(): string {
  if (poolOffset + ID_BYTES > pool.length) {
    pool = randomBytes(ID_BYTES * POOL_IDS);
    poolOffset = 0;
  }
  const id = pool.toString('base64url', poolOffset, poolOffset + ID_BYTES);
  poolOffset += ID_BYTES;
  return `te_${id}`;
}

/**
 * A stable id derived from member task ids, so that every process defining the same
 * sequence registers it under the same id and any executor can run it.
 */
export function derivedTaskId(
  prefix: string,
  memberIds: readonly string[],
  maxLength = 240,
): string {
  const joined = `${prefix}_${memberIds.join('_')}`;
  if (joined.length <= maxLength) return joined;
  const digest = createHash('sha256').update(memberIds.join('\n')).digest('hex').slice(0, 32);
  return `${prefix}_${digest}`;
}
