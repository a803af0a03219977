import { createHash, randomBytes } from 'node:crypto';

/** `te_` + 24 url-safe random characters (18 random bytes). */
export function newExecutionId(): string {
  return `te_${randomBytes(18).toString('base64url')}`;
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
