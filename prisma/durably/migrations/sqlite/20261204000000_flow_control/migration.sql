-- Flow control: priorities, concurrency and rate limits per key, idempotent enqueue.
ALTER TABLE "durably_task_executions" ADD COLUMN "priority" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "durably_task_executions" ADD COLUMN "concurrency_key" TEXT;
ALTER TABLE "durably_task_executions" ADD COLUMN "rate_key" TEXT;
ALTER TABLE "durably_task_executions" ADD COLUMN "idempotency_key" TEXT;
ALTER TABLE "durably_task_executions" ADD COLUMN "linked_execution_id" TEXT;

-- Claims take the highest priority first, then the oldest startAt.
DROP INDEX "durably_task_executions_claim_idx";
CREATE INDEX "durably_task_executions_claim_idx" ON "durably_task_executions"("status", "task_id", "priority" DESC, "start_at", "ready_seq");
-- Running executions per concurrency key, counted by every claim of a limited task.
CREATE INDEX "durably_task_executions_concurrency_idx" ON "durably_task_executions"("task_id", "concurrency_key", "status");
-- Executions standing for another one (a child whose idempotency key was taken).
CREATE INDEX "durably_task_executions_linked_idx" ON "durably_task_executions"("linked_execution_id");

-- Idempotency keys, unique per task while remembered; an expired key is taken over.
CREATE TABLE "durably_idempotency_keys" (
    "task_id" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "execution_id" TEXT NOT NULL,
    "expires_at" BIGINT NOT NULL,
    PRIMARY KEY ("task_id", "idempotency_key")
);
CREATE INDEX "durably_idempotency_keys_expires_idx" ON "durably_idempotency_keys"("expires_at");

-- Starts of rate-limited executions within their limit's period (the key leads the primary key).
CREATE TABLE "durably_rate_limit_starts" (
    "task_id" TEXT NOT NULL,
    "rate_key" TEXT NOT NULL,
    "started_at" BIGINT NOT NULL,
    "execution_id" TEXT NOT NULL,
    PRIMARY KEY ("task_id", "rate_key", "started_at", "execution_id")
);
