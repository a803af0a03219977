/**
 * Enqueueing inside the app's own Prisma transaction: the checks that turn a wrong argument
 * or a wrong database into a clear error instead of a half-understood driver message.
 */
import { DurableOptionsError, type ExternalTransaction } from '@/server/engine';
import { driverErrorCode, toStorageError } from './errors';

export async function insertIntoAppTransaction<T>(
  tx: ExternalTransaction,
  provider: 'sqlite' | 'postgres',
  insert: () => Promise<T>,
): Promise<T> {
  if (
    typeof tx !== 'object' ||
    tx === null ||
    typeof tx.$queryRawUnsafe !== 'function' ||
    typeof tx.$executeRawUnsafe !== 'function'
  ) {
    throw new DurableOptionsError(
      'Invalid tx: pass the transaction client of prisma.$transaction(async (tx) => ...)',
    );
  }
  if (typeof (tx as { $disconnect?: unknown }).$disconnect === 'function') {
    // A PrismaClient, not a transaction client (which has no $disconnect): the insert would
    // commit on its own.
    throw new DurableOptionsError(
      'Invalid tx: this is a PrismaClient, not a transaction. Pass the client that ' +
        'prisma.$transaction(async (tx) => ...) gives its callback',
    );
  }
  try {
    return await insert();
  } catch (error) {
    const database = provider === 'sqlite' ? 'SQLite' : 'PostgreSQL';
    const failure = toStorageError(error, database);
    const message = failure instanceof Error ? failure.message : String(failure);
    throw new Error(
      `Enqueue in the app's transaction failed: ${message}. The transaction must be on ` +
        `Durably's database (${database}, with Durably's tables migrated).`,
      { cause: error },
    );
  }
}

/** Turns a primary-key violation of an insert into the in-memory store's error. */
export function rethrowDuplicate(error: unknown): never {
  const code = driverErrorCode(error);
  if (code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    throw new Error('Execution already exists', { cause: error });
  }
  throw error;
}
