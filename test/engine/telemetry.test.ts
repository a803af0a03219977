/**
 * OpenTelemetry through the SDK's in-memory exporters: the spans of an enqueue, of every
 * attempt of a tree and of a retry, parented on the enqueuing request; and the metrics.
 */
import { trace } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createInMemoryStorage,
  DurableExecutionError,
  DurableExecutor,
  type FinalizeTaskInput,
} from '@/server/engine';
import {
  ATTR_ATTEMPT,
  ATTR_EXECUTION_ID,
  ATTR_STATUS,
  ATTR_TASK_ID,
} from '@/server/engine/telemetry';
import {
  installTestTelemetry,
  parentSpanId,
  pointValue,
  type TestTelemetry,
} from '@/test/helpers/otel';
import { silentLogger } from '@/test/storage/fixtures';
import { createDeferred, waitFor } from './helpers';

describe('OpenTelemetry', () => {
  let otel: TestTelemetry;
  let executor: DurableExecutor;

  beforeEach(() => {
    otel = installTestTelemetry();
    executor = new DurableExecutor(createInMemoryStorage(), { logger: silentLogger });
  });

  afterEach(async () => {
    await executor.shutdown();
    await otel.dispose();
  });

  const byName = (name: string) => otel.spans().filter((span) => span.name === name);
  const one = (name: string) => {
    const spans = byName(name);
    expect(spans, name).toHaveLength(1);
    return spans[0]!;
  };

  it('parents every attempt of a tree on the request that enqueued it', async () => {
    const child = executor.task({
      id: 'otel_child',
      timeoutMs: 5000,
      run: (_ctx, index: number) => {
        // Spans of task code are children of its attempt.
        trace.getTracer('app').startSpan('app.work').end();
        return index;
      },
    });
    const finalize = executor.task({
      id: 'otel_finalize',
      timeoutMs: 5000,
      run: (_ctx, _input: FinalizeTaskInput<undefined, number>) => 'done',
    });
    const parent = executor.parentTask({
      id: 'otel_parent',
      timeoutMs: 5000,
      runParent: (_ctx, _input: undefined) => ({
        output: 0,
        childrenTasks: [0, 1].map((index) => ({ task: child, input: index })),
      }),
      finalizeTask: finalize,
    });
    executor.start();

    const handle = await trace
      .getTracer('app')
      .startActiveSpan('POST /orders', (span) =>
        executor.enqueueTask(parent, undefined).finally(() => span.end()),
      );
    const finished = await handle.waitAndGetTaskFinishedExecution();
    expect(finished.status).toBe('completed');
    await waitFor(() => byName('durably.run otel_finalize').length === 1);

    const enqueue = one('durably.enqueue otel_parent');
    const parentRun = one('durably.run otel_parent');
    const childRuns = byName('durably.run otel_child');
    const finalizeRun = one('durably.run otel_finalize');
    const requestSpan = otel
      .spans()
      .find((span) => span.spanContext().spanId === parentSpanId(enqueue))!;
    expect(requestSpan.name).toBe('POST /orders');

    const traceId = requestSpan.spanContext().traceId;
    for (const span of [enqueue, parentRun, ...childRuns, finalizeRun, ...byName('app.work')]) {
      expect(span.spanContext().traceId, span.name).toBe(traceId);
    }
    expect(enqueue.attributes[ATTR_TASK_ID]).toBe('otel_parent');
    expect(enqueue.attributes[ATTR_EXECUTION_ID]).toBe(handle.getTaskExecutionId());
    expect(parentSpanId(parentRun)).toBe(enqueue.spanContext().spanId);
    expect(parentRun.attributes).toMatchObject({
      [ATTR_TASK_ID]: 'otel_parent',
      [ATTR_EXECUTION_ID]: handle.getTaskExecutionId(),
      [ATTR_ATTEMPT]: 0,
      [ATTR_STATUS]: 'waiting_for_children_tasks',
    });
    expect(childRuns).toHaveLength(2);
    for (const run of childRuns) {
      expect(parentSpanId(run)).toBe(parentRun.spanContext().spanId);
      expect(run.attributes[ATTR_STATUS]).toBe('completed');
    }
    // The finalize task is inserted when the last child closes: it joins its parent's trace.
    expect(parentSpanId(finalizeRun)).toBe(enqueue.spanContext().spanId);
    const appSpans = byName('app.work');
    expect(appSpans.map(parentSpanId).sort()).toEqual(
      childRuns.map((run) => run.spanContext().spanId).sort(),
    );
  });

  it('gives each attempt of a retried execution its own span under the enqueue', async () => {
    const flaky = executor.task({
      id: 'otel_flaky',
      timeoutMs: 5000,
      retryOptions: { maxAttempts: 1, baseDelayMs: 0 },
      run: (ctx) => {
        if (ctx.attempt === 0) throw new Error('first attempt fails');
        return 'ok';
      },
    });
    executor.start();
    const handle = await executor.enqueueTask(flaky, undefined);
    expect((await handle.waitAndGetTaskFinishedExecution()).status).toBe('completed');

    const enqueue = one('durably.enqueue otel_flaky');
    expect(enqueue.parentSpanContext).toBeUndefined();
    const runs = byName('durably.run otel_flaky').sort(
      (a, b) => Number(a.attributes[ATTR_ATTEMPT]) - Number(b.attributes[ATTR_ATTEMPT]),
    );
    expect(runs.map((run) => run.attributes[ATTR_ATTEMPT])).toEqual([0, 1]);
    expect(runs.map((run) => run.attributes[ATTR_STATUS])).toEqual(['ready', 'completed']);
    expect(runs[0]!.status).toMatchObject({ code: 2, message: 'first attempt fails' });
    for (const run of runs) {
      expect(parentSpanId(run)).toBe(enqueue.spanContext().spanId);
      expect(run.spanContext().traceId).toBe(enqueue.spanContext().traceId);
    }
  });

  it('counts enqueued, started and finished executions and measures them', async () => {
    const release = createDeferred();
    const ok = executor.task({
      id: 'otel_ok',
      timeoutMs: 5000,
      run: async (_ctx, n: number) => {
        if (n === 0) await release.promise;
        return n;
      },
    });
    const bad = executor.task({
      id: 'otel_bad',
      timeoutMs: 5000,
      run: () => {
        throw new DurableExecutionError('no', false);
      },
    });
    executor.start();
    const handles = await executor.enqueueTasks(ok, [0, 1, 2]);
    const failed = await executor.enqueueTask(bad, undefined);
    expect((await failed.waitAndGetTaskFinishedExecution()).status).toBe('failed');
    await Promise.all(handles.slice(1).map((h) => h.waitAndGetTaskFinishedExecution()));

    const okTask = { [ATTR_TASK_ID]: 'otel_ok' };
    const running = async () => pointValue(await otel.metric('durably.executions.running'), okTask);
    await waitFor(async () => (await running()) === 1);
    release.resolve();
    await handles[0]!.waitAndGetTaskFinishedExecution();
    expect(await running()).toBe(0);

    expect(pointValue(await otel.metric('durably.executions.enqueued'), okTask)).toBe(3);
    expect(pointValue(await otel.metric('durably.executions.started'), okTask)).toBe(3);
    const finished = await otel.metric('durably.executions.finished');
    expect(pointValue(finished, { ...okTask, [ATTR_STATUS]: 'completed' })).toBe(3);
    expect(pointValue(finished, { [ATTR_TASK_ID]: 'otel_bad', [ATTR_STATUS]: 'failed' })).toBe(1);
    const runDuration = pointValue(await otel.metric('durably.executions.run_duration'), {
      ...okTask,
      [ATTR_STATUS]: 'completed',
    });
    expect(runDuration).toMatchObject({ count: 3 });
    const queueWait = pointValue(await otel.metric('durably.executions.queue_wait'), okTask);
    expect(queueWait).toMatchObject({ count: 3 });
    expect((queueWait as { min: number }).min).toBeGreaterThanOrEqual(0);
  });
});
