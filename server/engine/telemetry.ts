/**
 * OpenTelemetry instrumentation, through `@opentelemetry/api` only: every call is a no-op
 * until the app registers an SDK. An enqueue is a span whose W3C trace context is stored with
 * each execution it inserts; every attempt (each run of an execution, in whatever process
 * claims it) is a span parented on that stored context, and the children an attempt returns
 * store the attempt's context, so one trace holds a request, its tree and every attempt.
 */
import {
  context,
  createTraceState,
  isSpanContextValid,
  metrics,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Counter,
  type Histogram,
  type MeterProvider,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';
import type { ExecutionRow, NewExecutionRow, RunOutcome } from './storage';
import type { TaskExecutionStatus } from './types';

const SCOPE = 'durably';

export const ATTR_TASK_ID = 'durably.task.id';
export const ATTR_EXECUTION_ID = 'durably.execution.id';
export const ATTR_ATTEMPT = 'durably.attempt';
export const ATTR_STATUS = 'durably.status';
export const ATTR_COUNT = 'durably.execution.count';

/** The stored form of a trace context: the W3C `traceparent` and `tracestate` headers. */
export interface StoredTraceContext {
  traceparent: string;
  tracestate?: string;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The trace context to store for children of `span`, or null when it is not recording. */
export function serializeSpanContext(spanContext: SpanContext | undefined): string | null {
  if (!spanContext || !isSpanContextValid(spanContext)) return null;
  const flags = spanContext.traceFlags.toString(16).padStart(2, '0');
  const stored: StoredTraceContext = {
    traceparent: `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`,
  };
  const state = spanContext.traceState?.serialize();
  if (state) stored.tracestate = state;
  return JSON.stringify(stored);
}

/** The context an attempt's span is parented on; the root context when none was stored. */
export function parseTraceContext(stored: string | null): Context {
  if (stored === null) return ROOT_CONTEXT;
  try {
    const parsed = JSON.parse(stored) as Partial<StoredTraceContext>;
    const match = TRACEPARENT.exec(parsed.traceparent ?? '');
    if (!match) return ROOT_CONTEXT;
    const spanContext: SpanContext = {
      traceId: match[1]!,
      spanId: match[2]!,
      traceFlags: parseInt(match[3]!, 16),
      isRemote: true,
      ...(parsed.tracestate ? { traceState: createTraceState(parsed.tracestate) } : {}),
    };
    return isSpanContextValid(spanContext)
      ? trace.setSpanContext(ROOT_CONTEXT, spanContext)
      : ROOT_CONTEXT;
  } catch {
    return ROOT_CONTEXT;
  }
}

interface Instruments {
  provider: MeterProvider;
  enqueued: Counter;
  started: Counter;
  finished: Counter;
  queueWait: Histogram;
  runDuration: Histogram;
}

/** Attempts running in this process, by task id (read by the running-executions gauge). */
const runningByTask = new Map<string, number>();
let instruments: Instruments | undefined;

/** The instruments of the global meter provider, made again when the app registers another. */
function meter(): Instruments {
  const provider = metrics.getMeterProvider();
  if (instruments?.provider === provider) return instruments;
  const m = provider.getMeter(SCOPE);
  m.createObservableGauge('durably.executions.running', {
    description: 'Executions running in this process, by task',
  }).addCallback((result) => {
    for (const [taskId, count] of runningByTask) result.observe(count, { [ATTR_TASK_ID]: taskId });
  });
  instruments = {
    provider,
    enqueued: m.createCounter('durably.executions.enqueued', {
      description: 'Executions inserted by enqueues, by task',
    }),
    started: m.createCounter('durably.executions.started', {
      description: 'Attempts started, by task',
    }),
    finished: m.createCounter('durably.executions.finished', {
      description: 'Attempts finished, by task and the status they left the execution in',
    }),
    queueWait: m.createHistogram('durably.executions.queue_wait', {
      description: 'From when an execution was due to when its attempt started',
      unit: 'ms',
    }),
    runDuration: m.createHistogram('durably.executions.run_duration', {
      description: 'Duration of an attempt, from its start to its stored result',
      unit: 'ms',
    }),
  };
  return instruments;
}

const tracer = () => trace.getTracer(SCOPE);

/**
 * Runs an enqueue of `taskId` in a span (a child of the caller's active span); `fn` gets the
 * trace context to store with the rows it inserts and returns them.
 */
export async function traceEnqueue<T>(
  taskId: string,
  fn: (traceContext: string | null) => Promise<{ rows: NewExecutionRow[]; result: T }>,
): Promise<T> {
  const span = tracer().startSpan(`durably.enqueue ${taskId}`, {
    kind: SpanKind.PRODUCER,
    attributes: { [ATTR_TASK_ID]: taskId },
  });
  try {
    const { rows, result } = await context.with(trace.setSpan(context.active(), span), () =>
      fn(serializeSpanContext(span.spanContext())),
    );
    if (rows.length === 1) span.setAttribute(ATTR_EXECUTION_ID, rows[0]!.executionId);
    span.setAttribute(ATTR_COUNT, rows.length);
    if (rows.length > 0) meter().enqueued.add(rows.length, { [ATTR_TASK_ID]: taskId });
    return result;
  } catch (error) {
    recordError(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** What an attempt ended with: the status it left the execution in, or why it has none. */
export type AttemptEnd = TaskExecutionStatus | 'aborted' | 'lease_lost';

export interface AttemptTelemetry {
  /** The attempt span's context: task code runs in it. */
  readonly context: Context;
  /** The trace context its children store. */
  readonly traceContext: string | null;
  /** Ends the span; an attempt that did not complete records `errorMessage` as its status. */
  end(status: AttemptEnd, errorMessage?: string): void;
}

/** Starts the span and metrics of one attempt of `row` (claimed, running now). */
export function startAttempt(row: ExecutionRow): AttemptTelemetry {
  const startedAt = Date.now();
  const attempt = row.retryAttempts + row.recoveryAttempts;
  const taskAttributes: Attributes = { [ATTR_TASK_ID]: row.taskId };
  const span = tracer().startSpan(
    `durably.run ${row.taskId}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        ...taskAttributes,
        [ATTR_EXECUTION_ID]: row.executionId,
        [ATTR_ATTEMPT]: attempt,
      },
    },
    parseTraceContext(row.traceContext),
  );
  const m = meter();
  m.started.add(1, taskAttributes);
  m.queueWait.record(Math.max(0, (row.startedAt ?? startedAt) - row.startAt), taskAttributes);
  runningByTask.set(row.taskId, (runningByTask.get(row.taskId) ?? 0) + 1);
  let ended = false;
  return {
    context: trace.setSpan(ROOT_CONTEXT, span),
    traceContext: serializeSpanContext(span.spanContext()),
    end(status, errorMessage) {
      if (ended) return;
      ended = true;
      runningByTask.set(row.taskId, (runningByTask.get(row.taskId) ?? 1) - 1);
      span.setAttribute(ATTR_STATUS, status);
      if (status !== 'completed' && !status.startsWith('waiting_')) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage ?? status });
      }
      span.end();
      const attributes = { ...taskAttributes, [ATTR_STATUS]: status };
      m.finished.add(1, attributes);
      m.runDuration.record(Date.now() - startedAt, attributes);
    },
  };
}

/** The status a run's outcome leaves its execution in. */
export function statusOfOutcome(outcome: RunOutcome): TaskExecutionStatus {
  switch (outcome.kind) {
    case 'completed':
      return 'completed';
    case 'waiting_for_children':
      return 'waiting_for_children_tasks';
    case 'waiting_for_finalize':
      return 'waiting_for_finalize_task';
    case 'retry':
      return 'ready';
    case 'finished_with_error':
      return outcome.status;
  }
}

/** The outcome with the attempt's trace context stored on the rows it inserts. */
export function withChildTraceContext(
  outcome: RunOutcome,
  traceContext: string | null,
): RunOutcome {
  if (traceContext === null) return outcome;
  switch (outcome.kind) {
    case 'waiting_for_children':
      return {
        ...outcome,
        children: outcome.children.map((child) => ({ ...child, traceContext })),
      };
    case 'waiting_for_finalize':
      return { ...outcome, finalize: { ...outcome.finalize, traceContext } };
    case 'completed':
    case 'retry':
    case 'finished_with_error':
      return outcome;
  }
}

function recordError(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}
