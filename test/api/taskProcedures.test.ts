/** The typed procedures per catalog task: `task.<id>.enqueue / enqueueMany / get / wait / cancel`. */
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '@/server/api';
import { catalog } from '@/server/tasks';
import { createApiHarness, type ApiHarness } from './apiHarness';

const TOKEN = 'a-test-admin-token-of-some-length';
const UNKNOWN = 'te_AAAAAAAAAAAAAAAAAAAAAAAA';

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

async function total(): Promise<number> {
  const stats = await harness.caller().executions.stats();
  return Object.values(stats.byStatus).reduce((sum, n) => sum + n, 0);
}

describe('the catalog', () => {
  it('gives every task procedures, a form schema and a registration, with no other edit', async () => {
    const procedures = Object.keys(appRouter._def.procedures);
    const listed = await harness.caller().tasks.list();
    const registered = new Set(harness.durably.executor.listTasks().map((task) => task.id));
    for (const task of catalog) {
      for (const name of ['enqueue', 'enqueueMany', 'get', 'wait', 'cancel']) {
        expect(procedures).toContain(`task.${task.id}.${name}`);
      }
      expect(listed.find((entry) => entry.id === task.id)).toMatchObject({
        description: task.description,
        inputJsonSchema: expect.any(Object) as object,
      });
      expect(registered.has(task.id)).toBe(true);
    }
  });
});

describe('task.<id>.enqueue / get / wait', () => {
  it('enqueues with typed input and returns the typed output', async () => {
    const api = harness.caller({ headers: { cookie: 'durably_owner=the-owner-of-this-test' } });
    const { executionId, created } = await api.task.processFile.enqueue({
      input: { fileName: 'a.md', content: '# Title\nOne. Two. Three.' },
    });
    expect(created).toBe(true);
    const finished = await api.task.processFile.wait({ executionId, timeoutMs: 30_000 });
    expect(finished.status).toBe('completed');
    if (finished.status !== 'completed') return;
    expect(finished.output).toEqual({
      fileName: 'a.md',
      title: 'Title',
      wordCount: 5,
      summary: '# Title\nOne. Two.',
    });
    const got = await api.task.processFile.get({ executionId });
    expect(got.status).toBe('completed');
  });

  it('refuses bad input with BAD_REQUEST and its reason, storing nothing', async () => {
    const api = harness.caller();
    const before = await total();
    const error = await expectTrpcError(
      // @ts-expect-error: ms must be a number
      api.task.sleep.enqueue({ input: { ms: 'soon' } }),
      'BAD_REQUEST',
    );
    expect(error.message).toMatch(/Invalid input to task sleep: .*ms/);
    await expectTrpcError(
      // @ts-expect-error: not an option
      api.task.sleep.enqueue({ input: { ms: 1 }, options: { nope: 1 } }),
      'BAD_REQUEST',
    );
    const option = await expectTrpcError(
      api.task.sleep.enqueue({ input: { ms: 1 }, options: { retryOptions: { maxAttempts: -1 } } }),
      'BAD_REQUEST',
    );
    expect(option.message).toContain('maxAttempts');
    expect(await total()).toBe(before);
  });

  it('refuses an execution of another task with NOT_FOUND', async () => {
    const api = harness.caller();
    const { executionId } = await api.task.echo.enqueue({ input: 1 });
    await expectTrpcError(api.task.sleep.get({ executionId }), 'NOT_FOUND');
    await expectTrpcError(api.task.sleep.wait({ executionId, timeoutMs: 60_000 }), 'NOT_FOUND');
    await expectTrpcError(api.task.sleep.cancel({ executionId }), 'NOT_FOUND');
    await expectTrpcError(api.task.echo.get({ executionId: UNKNOWN }), 'NOT_FOUND');
    await expectTrpcError(api.task.echo.get({ executionId: 'nonsense' }), 'BAD_REQUEST');
  });

  it('wait returns the current state when its timeout runs out; cancel cancels', async () => {
    const api = harness.caller();
    const { executionId } = await api.task.sleep.enqueue({ input: { ms: 60_000 } });
    const current = await api.task.sleep.wait({ executionId, timeoutMs: 50 });
    expect(['ready', 'running']).toContain(current.status);
    expect(await api.task.sleep.cancel({ executionId })).toEqual({ executionId });
    const finished = await api.task.sleep.wait({ executionId, timeoutMs: 60_000 });
    expect(finished.status).toBe('cancelled');
  });
});

describe('task.<id>.enqueueMany', () => {
  it('enqueues every item in one call', async () => {
    const api = harness.caller();
    const handles = await api.task.echo.enqueueMany({
      items: [{ input: 1 }, { input: 2 }, { input: 3, options: { priority: 5 } }],
    });
    expect(handles).toHaveLength(3);
    const outputs = await Promise.all(
      handles.map(async ({ executionId }) => {
        const finished = await api.task.echo.wait({ executionId, timeoutMs: 30_000 });
        return finished.status === 'completed' ? finished.output : null;
      }),
    );
    expect(outputs).toEqual([1, 2, 3]);
  });

  it('stores none when one item is bad, and refuses over 1,000 items', async () => {
    const api = harness.caller();
    const before = await total();
    const error = await expectTrpcError(
      api.task.sleep.enqueueMany({
        // @ts-expect-error: the second ms is not a number
        items: [{ input: { ms: 1 } }, { input: { ms: 'x' } }],
      }),
      'BAD_REQUEST',
    );
    expect(error.message).toContain('Invalid input to task sleep');
    const tooMany = Array.from({ length: 1_001 }, () => ({ input: { ms: 0 } }));
    const over = await expectTrpcError(
      api.task.sleep.enqueueMany({ items: tooMany }),
      'BAD_REQUEST',
    );
    expect(over.message).toContain('over the limit of 1000');
    await expectTrpcError(api.task.sleep.enqueueMany({ items: [] }), 'BAD_REQUEST');
    expect(await total()).toBe(before);
  });
});

describe('access', () => {
  const visitor = (owner?: string) =>
    harness.caller({
      adminToken: TOKEN,
      headers: owner ? { cookie: `durably_owner=${owner}` } : {},
    });
  const admin = () =>
    harness.caller({ adminToken: TOKEN, headers: { authorization: `Bearer ${TOKEN}` } });
  const input = { fileName: 'f.txt', content: 'Hello there.' };

  it('lets anyone enqueue a public task, and only its owner read or cancel it', async () => {
    const first = visitor('first-visitor-0000000000');
    const second = visitor('second-visitor-000000000');
    const { executionId } = await first.task.processFile.enqueue({ input });
    expect((await first.task.processFile.get({ executionId })).executionId).toBe(executionId);
    await expectTrpcError(second.task.processFile.get({ executionId }), 'NOT_FOUND');
    await expectTrpcError(second.task.processFile.cancel({ executionId }), 'NOT_FOUND');
    await expectTrpcError(second.executions.get({ executionId }), 'NOT_FOUND');
    await expectTrpcError(second.executions.tree({ executionId }), 'NOT_FOUND');
    expect((await admin().task.processFile.get({ executionId })).executionId).toBe(executionId);
    expect((await admin().executions.get({ executionId })).owner).toBe('first-visitor-0000000000');
  });

  it('gives a first-time visitor an owner cookie', async () => {
    const headers = new Headers({ host: 'localhost:3000' });
    const { createApiContext, createCaller } = await import('@/server/api');
    const ctx = createApiContext({
      headers,
      resHeaders: new Headers(),
      adminToken: TOKEN,
      getDurably: () => Promise.resolve(harness.durably),
    });
    const { executionId } = await createCaller(ctx).task.processFile.enqueue({ input });
    const cookie = ctx.resHeaders?.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^durably_owner=[\w-]{24}; Path=\/; HttpOnly; SameSite=Lax/);
    const owner = /durably_owner=([\w-]+)/.exec(cookie)?.[1];
    expect((await admin().executions.get({ executionId })).owner).toBe(owner);
  });

  it('keeps admin tasks behind the token, and refuses cross-site calls', async () => {
    await expectTrpcError(visitor().task.sleep.enqueue({ input: { ms: 1 } }), 'UNAUTHORIZED');
    const { executionId } = await admin().task.sleep.enqueue({ input: { ms: 60_000 } });
    expect((await visitor().task.sleep.get({ executionId })).status).not.toBe('failed');
    await expectTrpcError(visitor().task.sleep.cancel({ executionId }), 'UNAUTHORIZED');
    await admin().task.sleep.cancel({ executionId });
    const crossSite = harness.caller({ headers: { 'sec-fetch-site': 'cross-site' } });
    await expectTrpcError(crossSite.task.processFile.enqueue({ input }), 'FORBIDDEN');
  });
});
