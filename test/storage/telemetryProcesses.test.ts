/**
 * One trace across processes: the test process enqueues a tree under a request span; two
 * worker processes (real OS processes, the OpenTelemetry SDK registered in each) run its
 * attempts, and every attempt's span joins the request's trace, parented as the tree is.
 */
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ATTR_EXECUTION_ID } from '@/server/engine/telemetry';
import { createPrismaStorage } from '@/server/storage';
import { installTestTelemetry, type TestTelemetry } from '@/test/helpers/otel';
import { waitFor } from '@/test/engine/helpers';
import { silentLogger } from './fixtures';
import { createClient, databaseTargets, WorkerPool } from './processes/harness';
import { readSpanLines } from './processes/spanFile';
import { CHILDREN_PER_PARENT } from './processes/tasks';

describe.each(databaseTargets())('a trace across processes on %s', (_name, createUrl) => {
  let otel: TestTelemetry;
  beforeEach(() => {
    otel = installTestTelemetry();
  });
  afterEach(() => otel.dispose());

  it(
    'parents the attempts run by worker processes on the enqueuing request',
    { timeout: 60_000 },
    async () => {
      const url = await createUrl();
      const storage = await createPrismaStorage({ url, logger: silentLogger });
      const pool = new WorkerPool(url, { POLL_MS: '100' });
      const spansFile = join(pool.recordDir, 'spans.jsonl');
      try {
        await Promise.all(['w1', 'w2'].map((id) => pool.start(id, { OTEL_SPANS_FILE: spansFile })));
        const { executor, tasks } = createClient(storage);
        const handle = await trace
          .getTracer('app')
          .startActiveSpan('POST /reports', (span) =>
            executor.enqueueTask(tasks.parent, { p: 1 }).finally(() => span.end()),
          );
        expect((await handle.waitAndGetTaskFinishedExecution()).status).toBe('completed');
        const runs = () => readSpanLines(spansFile).filter((s) => s.name.startsWith('durably.run'));
        await waitFor(() => runs().length === CHILDREN_PER_PARENT + 2, { timeoutMs: 20_000 });

        const request = otel.spans().find((span) => span.name === 'POST /reports')!;
        const enqueue = otel.spans().find((span) => span.name === 'durably.enqueue mp_parent')!;
        expect(enqueue.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
        const traceId = request.spanContext().traceId;
        expect(runs().every((span) => span.traceId === traceId)).toBe(true);
        expect(runs().every((span) => span.pid !== process.pid)).toBe(true);

        const parentRun = runs().find((span) => span.name === 'durably.run mp_parent')!;
        expect(parentRun.attributes[ATTR_EXECUTION_ID]).toBe(handle.getTaskExecutionId());
        expect(parentRun.parentSpanId).toBe(enqueue.spanContext().spanId);
        const childRuns = runs().filter((span) => span.name === 'durably.run mp_child');
        expect(childRuns).toHaveLength(CHILDREN_PER_PARENT);
        expect(childRuns.every((span) => span.parentSpanId === parentRun.spanId)).toBe(true);
        const finalizeRun = runs().find((span) => span.name === 'durably.run mp_finalize')!;
        expect(finalizeRun.parentSpanId).toBe(enqueue.spanContext().spanId);
      } finally {
        await pool.dispose();
        await storage.close();
      }
    },
  );
});
