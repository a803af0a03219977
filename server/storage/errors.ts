/**
 * Classifies database errors as Prisma reports them: a raw query failure carries the driver's
 * code in `meta.driverAdapterError.cause.originalCode` (SQLSTATE on PostgreSQL, SQLITE_* on
 * SQLite). Only failures that guarantee the whole operation was rolled back are retried.
 */

function driverCause(error: unknown): Record<string, unknown> | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const meta = (error as { meta?: unknown }).meta;
  if (typeof meta !== 'object' || meta === null) return undefined;
  const adapterError = (meta as { driverAdapterError?: unknown }).driverAdapterError;
  if (typeof adapterError !== 'object' || adapterError === null) return undefined;
  const cause = (adapterError as { cause?: unknown }).cause;
  return typeof cause === 'object' && cause !== null
    ? (cause as Record<string, unknown>)
    : undefined;
}

/** The driver's error code (SQLSTATE / SQLITE_*), when Prisma kept it. */
export function driverErrorCode(error: unknown): string | undefined {
  const cause = driverCause(error);
  const code = cause?.originalCode ?? cause?.code;
  if (typeof code === 'string') return code;
  if (typeof error === 'object' && error !== null) {
    const direct = (error as { code?: unknown }).code;
    if (typeof direct === 'string' && !direct.startsWith('P')) return direct;
  }
  return undefined;
}

function prismaCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('P') ? code : undefined;
}

/** PostgreSQL deadlock or serialization failure: the transaction was rolled back. */
export function isTransactionConflict(error: unknown): boolean {
  const code = driverErrorCode(error);
  return code === '40P01' || code === '40001' || prismaCode(error) === 'P2034';
}

/** SQLite could not get its lock within the busy timeout. */
export function isBusyError(error: unknown): boolean {
  const code = driverErrorCode(error);
  if (code?.startsWith('SQLITE_BUSY') || code?.startsWith('SQLITE_LOCKED')) return true;
  const kind = driverCause(error)?.kind;
  if (kind === 'SocketTimeout') return true;
  return error instanceof Error && /database is locked/i.test(error.message);
}

/** A database failure, with the driver's code and a one-line message (Prisma's is verbose). */
export class StorageError extends Error {
  override name = 'StorageError';

  constructor(
    message: string,
    /** SQLSTATE (PostgreSQL) or SQLITE_* code, when known. */
    readonly code: string | undefined,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Rewrites a database error as a StorageError: a driver's own (pg, better-sqlite3: an
 * `Error` with a string `code`), or Prisma's (from the app's client). Anything else is
 * returned as it is.
 */
export function toStorageError(error: unknown, database: 'PostgreSQL' | 'SQLite'): unknown {
  if (error instanceof StorageError || !(error instanceof Error)) return error;
  if (!('clientVersion' in error)) {
    const code = driverErrorCode(error);
    if (code === undefined) return error;
    return new StorageError(`${database} query failed: ${error.message}`, code, { cause: error });
  }
  const cause = driverCause(error);
  let detail = typeof cause?.originalMessage === 'string' ? cause.originalMessage : undefined;
  if (!detail && cause?.kind === 'DatabaseNotReachable') {
    detail = `cannot reach the database server at ${String(cause.host)}:${String(cause.port)}`;
  }
  detail ??= error.message.trim().split('\n').pop() ?? error.message;
  return new StorageError(`${database} query failed: ${detail}`, driverErrorCode(error), {
    cause: error,
  });
}
