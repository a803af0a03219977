/**
 * The API over HTTP against a real `next start`: the typed client, error codes, admin token,
 * cross-site mutations, body limits, and a worker process sharing the web app's database.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '@/server/api';
import { startNextServer, type NextServer } from './nextServer';

const ADMIN_TOKEN = 'http-test-admin-token-0123456789';
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'durably-http-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function client(origin: string, headers: Record<string, string> = {}) {
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${origin}/api/trpc`, transformer: superjson, headers })],
  });
}

async function errorOf(promise: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  return error as TRPCClientError<AppRouter>;
}

describe('without an admin token', () => {
  let server: NextServer;
  beforeAll(async () => {
    server = await startNextServer({ DATABASE_URL: `file:${join(dir, 'open.db')}` });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('enqueues and waits through the typed client', async () => {
    const api = client(server.origin);
    const { executionId } = await api.executions.enqueue.mutate({
      taskId: 'processFile',
      input: { fileName: 'notes.md', content: '# Notes\nFirst sentence. Second one! Third?' },
    });
    const finished = await api.executions.wait.query({ executionId, timeoutMs: 30_000 });
    expect(finished.status).toBe('completed');
    expect(finished.output).toEqual({
      fileName: 'notes.md',
      title: 'Notes',
      wordCount: 7,
      summary: '# Notes\nFirst sentence. Second one!',
    });
    expect(finished.createdAt).toBeInstanceOf(Date);
  });

  it('answers bad input with BAD_REQUEST and zod issues, never a stack', async () => {
    const error = await errorOf(
      // @ts-expect-error: count must be a number
      client(server.origin).executions.enqueue.mutate({ taskId: 'fanOut', input: { count: 'x' } }),
    );
    expect(error.data?.code).toBe('BAD_REQUEST');
    expect(error.data?.httpStatus).toBe(400);
    expect(error.data?.zodIssues?.[0]?.path).toEqual(['input', 'count']);
    expect(JSON.stringify(error.shape)).not.toContain('at ');
  });

  it('answers unknown ids with NOT_FOUND', async () => {
    const error = await errorOf(
      client(server.origin).executions.get.query({ executionId: 'te_BBBBBBBBBBBBBBBBBBBBBBBB' }),
    );
    expect(error.data?.code).toBe('NOT_FOUND');
    expect(error.data?.httpStatus).toBe(404);
  });

  it('refuses cross-site mutations', async () => {
    const error = await errorOf(
      client(server.origin, { origin: 'https://evil.example' }).executions.enqueue.mutate({
        taskId: 'echo',
        input: 1,
      }),
    );
    expect(error.data?.code).toBe('FORBIDDEN');
  });

  it('refuses oversized bodies and inputs with a clear error', async () => {
    const body = JSON.stringify({ json: { taskId: 'echo', input: 'x'.repeat(3 * 1024 * 1024) } });
    const response = await fetch(`${server.origin}/api/trpc/executions.enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(413);
    expect(await response.text()).toContain('over the limit');
    const error = await errorOf(
      client(server.origin).executions.enqueue.mutate({
        taskId: 'echo',
        input: 'x'.repeat(1_200_000),
      }),
    );
    expect(error.data?.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('with an admin token', () => {
  let server: NextServer;
  beforeAll(async () => {
    server = await startNextServer({
      DATABASE_URL: `file:${join(dir, 'guarded.db')}`,
      DURABLY_ADMIN_TOKEN: ADMIN_TOKEN,
    });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('rejects mutations without the token and accepts the bearer token', async () => {
    const anonymous = client(server.origin);
    const error = await errorOf(anonymous.executions.enqueue.mutate({ taskId: 'echo', input: 1 }));
    expect(error.data?.code).toBe('UNAUTHORIZED');
    expect(await anonymous.executions.stats.query()).toEqual({ byStatus: {}, byTask: [] });
    const admin = client(server.origin, { authorization: `Bearer ${ADMIN_TOKEN}` });
    const { executionId } = await admin.executions.enqueue.mutate({ taskId: 'echo', input: 1 });
    expect((await admin.executions.wait.query({ executionId, timeoutMs: 30_000 })).status).toBe(
      'completed',
    );
  });

  it('logs in with an httpOnly cookie that then authorises mutations', async () => {
    const response = await fetch(`${server.origin}/api/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ json: { token: ADMIN_TOKEN } }),
    });
    expect(response.ok).toBe(true);
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).not.toContain(ADMIN_TOKEN);
    const withCookie = client(server.origin, { cookie: cookie.split(';')[0]! });
    expect(
      (await withCookie.executions.enqueue.mutate({ taskId: 'echo', input: 2 })).executionId,
    ).toMatch(/^te_/);
  });
});

describe('typed task procedures over HTTP (admin token set)', () => {
  let server: NextServer;
  const admin = () => client(server.origin, { authorization: `Bearer ${ADMIN_TOKEN}` });
  const visitor = (owner: string) => client(server.origin, { cookie: `durably_owner=${owner}` });
  const input = { fileName: 'a.md', content: '# A\nOne. Two.' };
  beforeAll(async () => {
    server = await startNextServer({
      DATABASE_URL: `file:${join(dir, 'typed.db')}`,
      DURABLY_ADMIN_TOKEN: ADMIN_TOKEN,
    });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('enqueue, get, wait and cancel a public task as its owner; others see nothing', async () => {
    const first = visitor('http-first-owner-000000');
    const { executionId } = await first.task.processFile.enqueue.mutate({ input });
    const finished = await first.task.processFile.wait.query({ executionId, timeoutMs: 30_000 });
    expect(finished.status).toBe('completed');
    if (finished.status === 'completed') expect(finished.output.title).toBe('A');
    expect((await first.task.processFile.get.query({ executionId })).status).toBe('completed');
    expect((await first.task.processFile.cancel.mutate({ executionId })).executionId).toBe(
      executionId,
    );
    const other = visitor('http-other-owner-000000');
    const hidden = await errorOf(other.task.processFile.get.query({ executionId }));
    expect(hidden.data?.httpStatus).toBe(404);
    expect((await admin().task.processFile.get.query({ executionId })).executionId).toBe(
      executionId,
    );
  });

  it('mints an owner cookie for a first-time visitor', async () => {
    const response = await fetch(`${server.origin}/api/trpc/task.processFile.enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ json: { input } }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toMatch(/^durably_owner=[\w-]{24}; .*HttpOnly/);
  });

  it('answers bad input with 400 and the reason, storing nothing', async () => {
    const api = admin();
    // Roots of the tasks refused here (trees of earlier tests may still be adding children).
    const stored = async () =>
      (await api.executions.list.query({ rootOnly: true, limit: 200 })).items.filter((item) =>
        ['processFile', 'sleep'].includes(item.taskId),
      ).length;
    const before = await stored();
    const bad = await errorOf(
      // @ts-expect-error: content must be a string
      api.task.processFile.enqueue.mutate({ input: { fileName: 'a', content: 1 } }),
    );
    expect(bad.data?.httpStatus).toBe(400);
    expect(bad.message).toContain('Invalid input to task processFile');
    expect(bad.data?.zodIssues?.[0]?.path).toEqual(['input', 'content']);
    const many = await errorOf(
      api.task.sleep.enqueueMany.mutate({
        // @ts-expect-error: the second ms is not a number
        items: [{ input: { ms: 0 } }, { input: { ms: 'x' } }],
      }),
    );
    expect(many.data?.httpStatus).toBe(400);
    const option = await errorOf(
      api.task.sleep.enqueue.mutate({ input: { ms: 0 }, options: { timeoutMs: 0 } }),
    );
    expect(option.data?.httpStatus).toBe(400);
    expect(option.message).toContain('timeoutMs');
    expect(await stored()).toBe(before);
    const denied = await errorOf(
      visitor('http-x-owner-0000000000').task.sleep.enqueue.mutate({ input: { ms: 0 } }),
    );
    expect(denied.data?.httpStatus).toBe(401);
    const other = await errorOf(
      api.task.sleep.get.query({ executionId: 'te_CCCCCCCCCCCCCCCCCCCCCCCC' }),
    );
    expect(other.data?.httpStatus).toBe(404);
  });

  it('enqueueMany stores a batch in one call', async () => {
    const items = Array.from({ length: 500 }, (_, index) => ({ input: index }));
    const handles = await admin().task.echo.enqueueMany.mutate({ items });
    expect(handles).toHaveLength(500);
    const last = await admin().task.echo.wait.query({
      executionId: handles[499]!.executionId,
      timeoutMs: 30_000,
    });
    expect(last.status === 'completed' ? last.output : null).toBe(499);
  });
});

describe('a worker process and the web app on one database', () => {
  it('runs what the web app enqueues when the web app runs no executor', async () => {
    const url = `file:${join(dir, 'shared.db')}`;
    const server = await startNextServer({ DATABASE_URL: url, DURABLY_EXECUTOR: 'off' });
    const worker = spawn(join(process.cwd(), 'node_modules/.bin/tsx'), ['server/worker.ts'], {
      env: { ...process.env, DATABASE_URL: url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let workerLog = '';
    worker.stdout.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
    worker.stderr.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
    try {
      const api = client(server.origin);
      const { executionId } = await api.executions.enqueue.mutate({
        taskId: 'fanOut',
        input: { count: 3 },
      });
      const finished = await api.executions.wait.query({ executionId, timeoutMs: 30_000 });
      expect(finished.status).toBe('completed');
      expect(finished.output).toEqual({ children: 3, totalSleptMs: 0 });
      expect(server.output()).toContain('disabled (DURABLY_EXECUTOR=off)');
      expect(workerLog).toContain('Executor started');
    } finally {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGTERM');
      await exited;
      await server.stop();
    }
  });
});
