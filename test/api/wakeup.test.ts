/** `executions.wakeup`: completes or fails a sleeping execution; refused and duplicate cases. */
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from './apiHarness';

let harness: ApiHarness;
beforeAll(async () => {
  harness = await createApiHarness();
});
afterAll(async () => {
  await harness.close();
});

async function codeOf(promise: Promise<unknown>): Promise<string | null> {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  return error instanceof TRPCError ? error.code : null;
}

describe('executions.wakeup', () => {
  it('completes a waiting approval by execution id; a second wakeup is a duplicate', async () => {
    const api = harness.caller();
    const { executionId } = await api.executions.enqueue({ taskId: 'approval', input: 'api-1' });
    expect((await api.executions.get({ executionId })).status).toBe('waiting_for_event');
    expect(
      await api.executions.wakeup({
        target: { executionId },
        outcome: { status: 'completed', output: { approved: true } },
      }),
    ).toEqual({ kind: 'applied', executionId });
    const finished = await api.executions.wait({ executionId, timeoutMs: 5_000 });
    expect(finished).toMatchObject({ status: 'completed', output: { approved: true } });
    expect(
      await api.executions.wakeup({
        target: { executionId },
        outcome: { status: 'failed', message: 'again' },
      }),
    ).toEqual({ kind: 'duplicate', executionId });
  });

  it('keeps a wakeup by task and unique id sent first, fails with the message', async () => {
    const api = harness.caller();
    const kept = await api.executions.wakeup({
      target: { taskId: 'approval', uniqueId: 'api-2' },
      outcome: { status: 'failed', message: 'rejected' },
    });
    expect(kept.kind).toBe('kept');
    const { executionId } = await api.executions.enqueue({ taskId: 'approval', input: 'api-2' });
    const finished = await api.executions.wait({ executionId, timeoutMs: 5_000 });
    expect(finished).toMatchObject({ status: 'failed', error: { message: 'rejected' } });
  });

  it('refuses a cancelled execution (CONFLICT) and a task that does not sleep', async () => {
    const api = harness.caller();
    const { executionId } = await api.executions.enqueue({ taskId: 'approval', input: 'api-3' });
    await api.executions.cancel({ executionId });
    expect(
      await codeOf(
        api.executions.wakeup({
          target: { executionId },
          outcome: { status: 'completed', output: null },
        }),
      ),
    ).toBe('CONFLICT');
    expect(
      await codeOf(
        api.executions.wakeup({
          target: { taskId: 'echo', uniqueId: 'x' },
          outcome: { status: 'completed', output: null },
        }),
      ),
    ).toBe('BAD_REQUEST');
  });
});
