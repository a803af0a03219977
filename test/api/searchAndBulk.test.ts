/** `executions.list` search by input / output and time, and `executions.bulk.*`, over tRPC. */
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@/test/engine/helpers';
import { createApiHarness, type ApiHarness } from './apiHarness';

let harness: ApiHarness;
beforeAll(async () => {
  harness = await createApiHarness();
});
afterAll(() => harness.close());

async function trpcError(promise: Promise<unknown>): Promise<TRPCError> {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

describe('search and bulk actions over tRPC', () => {
  it('finds executions by a value of their input or output, and by creation time', async () => {
    const api = harness.caller();
    const before = Date.now();
    const ids: string[] = [];
    for (const customerId of ['c_42', 'c_7', 'c_42']) {
      const { executionId } = await api.executions.enqueue({
        taskId: 'echo',
        input: { customerId, lines: [{ sku: `s_${customerId}` }] },
      });
      ids.push(executionId);
    }
    await waitFor(
      async () => (await harness.durably.storage.countExecutions({ statuses: ['completed'] })) >= 3,
    );
    const list = async (filter: Parameters<typeof api.executions.list>[0]) =>
      (await api.executions.list(filter)).items.map((item) => item.executionId).sort();

    const byInput = { match: { path: 'input.customerId', value: 'c_42' } };
    expect(await list(byInput)).toEqual([ids[0], ids[2]].sort());
    expect(await list({ match: { path: 'output.lines[0].sku', value: 's_c_7' } })).toEqual([
      ids[1],
    ]);
    expect(await list({ ...byInput, createdFrom: before, createdTo: Date.now() + 1 })).toHaveLength(
      2,
    );
    expect(await list({ ...byInput, createdTo: before })).toEqual([]);
    expect(await api.executions.bulk.count({ filter: byInput })).toEqual({ count: 2 });

    const bad = await trpcError(api.executions.list({ match: { path: 'input.a-b', value: 1 } }));
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.message).toMatch(/"a-b" is not an identifier/);

    // A bulk rerun of what the search matches: two new executions with the same inputs.
    const operation = await api.executions.bulk.start({
      kind: 'rerun',
      target: { filter: byInput },
    });
    expect(operation).toMatchObject({ kind: 'rerun', total: 2 });
    await waitFor(
      async () =>
        (await api.executions.bulk.get({ operationId: operation.operationId })).state ===
        'completed',
    );
    expect(await api.executions.bulk.get({ operationId: operation.operationId })).toMatchObject({
      done: 2,
      failed: 0,
    });
    expect(await list(byInput)).toHaveLength(4);
  });

  it('is for admins only', async () => {
    const anonymous = harness.caller({ adminToken: 'a-very-long-admin-token' });
    const filter = { taskId: 'echo' };
    expect((await trpcError(anonymous.executions.bulk.count({ filter }))).code).toBe(
      'UNAUTHORIZED',
    );
    const start = anonymous.executions.bulk.start({ kind: 'cancel', target: { filter } });
    expect((await trpcError(start)).code).toBe('UNAUTHORIZED');
    const missing = await trpcError(
      harness.caller().executions.bulk.get({ operationId: 'bulk_nope' }),
    );
    expect(missing.code).toBe('NOT_FOUND');
  });
});
