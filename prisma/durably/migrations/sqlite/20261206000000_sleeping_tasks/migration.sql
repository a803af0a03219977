-- Sleeping tasks: executions waiting (status 'waiting_for_event') for a wakeup by unique id,
-- until their deadline (expires_at).
CREATE INDEX "durably_task_executions_deadline_idx" ON "durably_task_executions"("expires_at") WHERE "status" = 'waiting_for_event';

-- One row per sleeping task and unique id: the execution waiting on it (once enqueued) and the
-- wakeup's outcome (once sent, kept until expires_at when it came first). Wakeups and inserts
-- both lock this row before they act, so neither misses the other.
CREATE TABLE "durably_sleeping_wakeups" (
    "task_id" TEXT NOT NULL,
    "unique_id" TEXT NOT NULL,
    "execution_id" TEXT,
    "outcome_status" TEXT,
    "output" TEXT,
    "error" TEXT,
    "expires_at" BIGINT NOT NULL,
    PRIMARY KEY ("task_id", "unique_id")
);
CREATE INDEX "durably_sleeping_wakeups_execution_idx" ON "durably_sleeping_wakeups"("execution_id") WHERE "execution_id" IS NOT NULL;
CREATE INDEX "durably_sleeping_wakeups_expires_idx" ON "durably_sleeping_wakeups"("expires_at");
