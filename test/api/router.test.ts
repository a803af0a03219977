import { TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUnreadableValue } from '@/server/engine';
import { waitFor } from '../engine/helpers';
import { storedRootRow } from '../engine/serializationHelpers';
import { createApiHarness, type ApiHarness } from './apiHarness';

let harness: ApiHarness;
beforeAll(async () => {
  harness = await createApiHarness();
});
afterAll(async () => {
  await harness.close();
});

async function expectTrpcError(promise: Promise<unknown>, code: TRPCError['code']) {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  expect((error as TRPCError).code).toBe(code);
  return error as TRPCError;
}

describe('tasks', () => {
  it('lists the catalog with options and input JSON Schemas', async () => {
    const tasks = await harness.caller().tasks.list();
    const ids = tasks.map((task) => task.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'echo',
        'sleep',
        'fail',
        'flaky',
        'fanOut',
        'pipeline',
        'processFile',
      ]),
    );
    const sleep = tasks.find((task) => task.id === 'sleep');
    expect(sleep?.inputJsonSchema).toMatchObject({ type: 'object', required: ['ms'] });
    expect(tasks.find((task) => task.id === 'fanOut')).toMatchObject({
      kind: 'parentTask',
      hasFinalizeTask: true,
    });
  });
});

describe('executions', () => {
  it('enqueues, waits for and gets an execution', async () => {
    const api = harness.caller();
    const { executionId } = await api.executions.enqueue({
      taskId: 'echo',
      input: { hello: 'world', at: new Date(5) },
    });
    const finished = await api.executions.wait({ executionId, timeoutMs: 60_000 });
    expect(finished.status).toBe('completed');
    expect(finished.output).toEqual({ hello: 'world', at: new Date(5) });
    expect((await api.executions.get({ executionId })).finishedAt).toBeInstanceOf(Date);
  });

  it('rejects invalid input with BAD_REQUEST and the zod issues, storing nothing', async () => {
    const api = harness.caller();
    const before = await api.executions.stats();
    const error = await expectTrpcError(
      // @ts-expect-error: ms must be a number
      api.executions.enqueue({ taskId: 'sleep', input: { ms: 'soon' } }),
      'BAD_REQUEST',
    );
    expect(error.message).toContain('ms');
    expect(await api.executions.stats()).toEqual(before);
    await expectTrpcError(
      // @ts-expect-error: unknown task
      api.executions.enqueue({ taskId: 'nope', input: {} }),
      'BAD_REQUEST',
    );
  });

  it('answers NOT_FOUND for unknown ids and BAD_REQUEST for malformed ones', async () => {
    const api = harness.caller();
    const unknown = 'te_AAAAAAAAAAAAAAAAAAAAAAAA';
    await expectTrpcError(api.executions.get({ executionId: unknown }), 'NOT_FOUND');
    await expectTrpcError(api.executions.cancel({ executionId: unknown }), 'NOT_FOUND');
    await expectTrpcError(api.executions.tree({ executionId: unknown }), 'NOT_FOUND');
    await expectTrpcError(api.executions.rerun({ executionId: unknown }), 'NOT_FOUND');
    await expectTrpcError(api.executions.get({ executionId: 'nonsense' }), 'BAD_REQUEST');
  });

  it('refuses oversized input with PAYLOAD_TOO_LARGE', async () => {
    const api = harness.caller();
    await expectTrpcError(
      api.executions.enqueue({ taskId: 'echo', input: 'x'.repeat(1_100_000) }),
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('wait returns the current state when its timeout runs out first', async () => {
    const api = harness.caller();
    const { executionId } = await api.executions.enqueue({
      taskId: 'sleep',
      input: { ms: 60_000 },
    });
    const current = await api.executions.wait({ executionId, timeoutMs: 50 });
    expect(['ready', 'running']).toContain(current.status);
    await api.executions.cancel({ executionId });
    expect((await api.executions.wait({ executionId, timeoutMs: 60_000 })).status).toBe(
      'cancelled',
    );
  });

  it('cancels a running fan-out and its active children; shows the tree in order', async () => {
    const api = harness.caller();
    const { executionId } = await api.executions.enqueue({
      taskId: 'fanOut',
      input: { count: 3, sleepMs: 60_000 },
    });
    await waitFor(async () => {
      const tree = await api.executions.tree({ executionId });
      return tree.nodes.filter((node) => node.status === 'running').length === 3;
    });
    await api.executions.cancel({ executionId });
    const tree = await api.executions.tree({ executionId });
    expect(tree.rootExecutionId).toBe(executionId);
    expect(tree.nodes.map((node) => node.status)).toEqual([
      'cancelled',
      'cancelled',
      'cancelled',
      'cancelled',
    ]);
    expect(tree.nodes.slice(1).map((node) => node.indexInParent)).toEqual([0, 1, 2]);
  });

  it('reruns an execution with the same input', async () => {
    const api = harness.caller();
    const { executionId } = await api.executions.enqueue({
      taskId: 'pipeline',
      input: { text: 'A b a' },
    });
    const first = await api.executions.wait({ executionId, timeoutMs: 60_000 });
    const rerun = await api.executions.rerun({ executionId });
    expect(rerun.executionId).not.toBe(executionId);
    const second = await api.executions.wait({ executionId: rerun.executionId, timeoutMs: 60_000 });
    expect(second.runInput).toEqual({ text: 'A b a' });
    expect(second.output).toEqual(first.output);
    expect(second.output).toEqual({ wordCount: 3, uniqueWords: 2 });
  });

  it('lists newest first with filters and cursor pagination', async () => {
    const api = harness.caller();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push(
        (await api.executions.enqueue({ taskId: 'flaky', input: { failures: 0 } })).executionId,
      );
    }
    const finished = await Promise.all(
      ids.map((executionId) => api.executions.wait({ executionId, timeoutMs: 60_000 })),
    );
    // Newest first; enqueues within one millisecond tie on createdAt and are ordered by id.
    const newestFirst = finished
      .map((execution) => ({ id: execution.executionId, createdAt: execution.createdAt.getTime() }))
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .map((entry) => entry.id);
    expect(new Set(newestFirst)).toEqual(new Set(ids));
    const seen: string[] = [];
    let cursor: { createdAt: number; executionId: string } | null = null;
    do {
      const page: Awaited<ReturnType<typeof api.executions.list>> = await api.executions.list({
        taskId: 'flaky',
        status: 'completed',
        limit: 3,
        cursor,
      });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((item) => item.executionId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(newestFirst);
    const [first] = ids;
    const bySearch = await api.executions.list({ search: first!.slice(0, 12) });
    expect(bySearch.items.map((item) => item.executionId)).toContain(first);
    const roots = await api.executions.list({ rootOnly: true, limit: 200 });
    expect(roots.items.every((item) => item.parentExecutionId === null)).toBe(true);
  });

  it('counts executions per status and per task', async () => {
    const api = harness.caller();
    const stats = await api.executions.stats();
    expect(stats.byStatus.completed).toBeGreaterThan(0);
    expect(
      stats.byTask.some((entry) => entry.taskId === 'echo' && entry.status === 'completed'),
    ).toBe(true);
  });

  it('streams updates for live views', async () => {
    const api = harness.caller();
    const stream = await api.executions.onUpdate();
    const iterator = stream[Symbol.asyncIterator]();
    const next = iterator.next();
    const { executionId } = await api.executions.enqueue({ taskId: 'echo', input: 1 });
    const first = await next;
    await iterator.return?.();
    expect(first.done).toBe(false);
    expect(first.value).toEqual(expect.arrayContaining([executionId]));
  });
});

describe('an execution whose stored input cannot be read', () => {
  it('is listed, read, waited for and shown in its tree with the input marked', async () => {
    const api = harness.caller();
    const corrupted = storedRootRow('echo', '{"json": not superjson');
    const { executionId } = corrupted;
    await harness.durably.storage.insertExecutions([corrupted]);

    const runInput = {
      unreadableValue: '{"json": not superjson',
      storedLength: 22,
      error: expect.stringMatching(/^Error deserializing value: /) as unknown,
    };
    // The executor claims it and fails it on its input, as it should.
    const waited = await api.executions.wait({ executionId, timeoutMs: 60_000 });
    expect(waited).toMatchObject({ status: 'failed', runInput });
    const execution = await api.executions.get({ executionId });
    expect(execution).toMatchObject({ status: 'failed', runInput });
    const marker = execution.runInput;
    if (!isUnreadableValue(marker)) throw new Error('The input is not marked unreadable');
    expect(execution.error).toMatchObject({ message: marker.error, isRetryable: false });
    // A plain object: the transport's superjson carries it unchanged.
    expect(superjson.parse(superjson.stringify(execution))).toEqual(execution);

    const page = await api.executions.list({ limit: 200 });
    expect(page.items.length).toBeGreaterThan(1);
    expect(page.items.find((item) => item.executionId === executionId)).toMatchObject({
      status: 'failed',
      errorMessage: marker.error,
    });
    const tree = await api.executions.tree({ executionId });
    expect(tree.nodes.map((node) => [node.executionId, node.status])).toEqual([
      [executionId, 'failed'],
    ]);
  });

  it('cannot be rerun: its input is unknown', async () => {
    const api = harness.caller();
    const corrupted = storedRootRow('echo', '{"json": not superjson');
    await harness.durably.storage.insertExecutions([corrupted]);
    await api.executions.wait({ executionId: corrupted.executionId, timeoutMs: 60_000 });

    const newest = async () => (await api.executions.list({ limit: 1 })).items[0]?.executionId;
    expect(await newest()).toBe(corrupted.executionId);
    const error = await expectTrpcError(
      api.executions.rerun({ executionId: corrupted.executionId }),
      'PRECONDITION_FAILED',
    );
    expect(error.message).toMatch(/cannot be read \(Error deserializing value: .+\)/);
    expect(await newest()).toBe(corrupted.executionId);
  });
});

describe('admin actions', () => {
  const adminToken = 'a-very-long-admin-token';

  it('require the token when one is configured', async () => {
    const anonymous = harness.caller({ adminToken });
    await expectTrpcError(
      anonymous.executions.enqueue({ taskId: 'echo', input: 1 }),
      'UNAUTHORIZED',
    );
    await expectTrpcError(anonymous.auth.login({ token: 'wrong' }), 'UNAUTHORIZED');
    expect(await anonymous.auth.status()).toEqual({ required: true, authenticated: false });
    const bearer = harness.caller({
      adminToken,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect((await bearer.executions.enqueue({ taskId: 'echo', input: 1 })).executionId).toMatch(
      /^te_/,
    );
  });

  it('reject cross-site requests', async () => {
    const crossSite = harness.caller({ headers: { origin: 'https://evil.example' } });
    await expectTrpcError(crossSite.executions.enqueue({ taskId: 'echo', input: 1 }), 'FORBIDDEN');
    const fetchSite = harness.caller({ headers: { 'sec-fetch-site': 'cross-site' } });
    await expectTrpcError(
      fetchSite.executions.cancel({ executionId: 'te_AAAAAAAAAAAAAAAAAAAAAAAA' }),
      'FORBIDDEN',
    );
  });
});
