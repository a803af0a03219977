import { expect, test } from '@playwright/test';
import type { NewExecutionRow } from '@/server/engine';
import { createPrismaStorage } from '@/server/storage';
import { e2eDatabaseUrl } from './env';
import { detailsSection, snap, treeItem } from './helpers';

const CORRUPTED_OUTPUT = '{"json": {"total": 3';

/**
 * A completed execution of a task this server does not know, written straight to its SQLite
 * file with an output no serializer can read (as a serializer change or a damaged row leaves).
 */
async function storeUnreadableOutput(): Promise<string> {
  const storage = await createPrismaStorage({ url: e2eDatabaseUrl('open'), listen: false });
  try {
    const now = Date.now();
    const row: NewExecutionRow = {
      executionId: `te_unreadable${String(now).padStart(14, '0')}`,
      taskId: 'retired_task',
      runInput: '{"json":{"n":3}}',
      retryOptions: { maxAttempts: 0, baseDelayMs: 0, delayMultiplier: 1, maxDelayMs: null },
      sleepMsBeforeRun: 0,
      timeoutMs: 1000,
      startAt: now,
      createdAt: now,
      rootTaskId: null,
      rootExecutionId: null,
      parentTaskId: null,
      parentExecutionId: null,
      indexInParent: 0,
      isFinalizeTask: false,
      onChildFailure: 'failParent',
      priority: 0,
      concurrencyKey: null,
      rateKey: null,
      idempotencyKey: null,
      idempotencyExpiresAt: null,
      owner: null,
    };
    await storage.insertExecutions([row]);
    const [claimed] = await storage.claimReadyExecutions({
      taskIds: [row.taskId],
      limit: 1,
      now,
      expireMs: 60_000,
    });
    if (!claimed) throw new Error('The stored execution was not claimed');
    await storage.applyRunResults(
      [
        {
          executionId: row.executionId,
          leaseToken: claimed.leaseToken,
          outcome: { kind: 'completed', output: CORRUPTED_OUTPUT, runOutput: null },
        },
      ],
      Date.now(),
    );
    return row.executionId;
  } finally {
    await storage.close();
  }
}

test('an execution whose output cannot be read opens, with a note and the stored text', async ({
  page,
}) => {
  const executionId = await storeUnreadableOutput();
  await page.goto(`/executions/${executionId}`);

  await expect(treeItem(page, 'retired_task root')).toHaveAccessibleName(/, Completed,/);
  await expect(detailsSection(page, 'Input')).toContainText('"n": 3');
  const output = detailsSection(page, 'Output');
  await expect(output.getByRole('note')).toHaveText(
    /^Could not be read: Error deserializing value: .+/,
  );
  await expect(output.getByLabel('Output as stored')).toHaveText(CORRUPTED_OUTPUT);
  await snap(page, 'execution-unreadable-output');
});
