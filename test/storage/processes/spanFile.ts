/**
 * Registers the OpenTelemetry SDK in a worker process, writing each finished span as one JSON
 * line to a file as it ends: the test process reads the trace of several processes.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';

export interface SpanLine {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
  pid: number;
}

export function recordSpansTo(file: string): void {
  const exporter: SpanExporter = {
    export(spans: ReadableSpan[], done) {
      for (const span of spans) {
        const line: SpanLine = {
          name: span.name,
          traceId: span.spanContext().traceId,
          spanId: span.spanContext().spanId,
          parentSpanId: span.parentSpanContext?.spanId ?? '',
          attributes: { ...span.attributes },
          pid: process.pid,
        };
        appendFileSync(file, `${JSON.stringify(line)}\n`);
      }
      done({ code: 0 });
    },
    shutdown: () => Promise.resolve(),
  };
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
}

export function readSpanLines(file: string): SpanLine[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as SpanLine);
}
