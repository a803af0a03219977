-- W3C trace context of the span that enqueued an execution (OpenTelemetry), JSON or NULL.
ALTER TABLE "durably_task_executions" ADD COLUMN "trace_context" TEXT;
