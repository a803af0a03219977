-- CreateTable
CREATE TABLE "task_executions" (
    "execution_id" TEXT NOT NULL,
    "task_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "run_input" TEXT NOT NULL,
    "run_output" TEXT,
    "output" TEXT,
    "error" TEXT,
    "root_task_id" TEXT,
    "root_execution_id" TEXT,
    "parent_task_id" TEXT,
    "parent_execution_id" TEXT,
    "index_in_parent" INTEGER NOT NULL,
    "is_finalize_task" BOOLEAN NOT NULL,
    "retry_options" TEXT NOT NULL,
    "sleep_ms_before_run" BIGINT NOT NULL,
    "timeout_ms" BIGINT NOT NULL,
    "retry_attempts" INTEGER NOT NULL,
    "recovery_attempts" INTEGER NOT NULL,
    "start_at" BIGINT NOT NULL,
    "ready_seq" BIGINT NOT NULL,
    "started_at" BIGINT,
    "finished_at" BIGINT,
    "expires_at" BIGINT,
    "lease_token" INTEGER NOT NULL,
    "children_count" INTEGER NOT NULL,
    "finished_children_count" INTEGER NOT NULL,
    "children_tasks_errors" TEXT,
    "finalize_task_execution_id" TEXT,
    "finalize_task_id" TEXT,
    "finalize_task_error" TEXT,
    "close_status" TEXT NOT NULL,
    "created_at" BIGINT NOT NULL,
    "updated_at" BIGINT NOT NULL,

    CONSTRAINT "task_executions_pkey" PRIMARY KEY ("execution_id")
);

-- CreateIndex
CREATE INDEX "task_executions_claim_idx" ON "task_executions"("status", "task_id", "start_at", "ready_seq");

-- CreateIndex
CREATE INDEX "task_executions_lease_idx" ON "task_executions"("status", "expires_at");

-- CreateIndex
CREATE INDEX "task_executions_parent_idx" ON "task_executions"("parent_execution_id", "index_in_parent");

-- CreateIndex
CREATE INDEX "task_executions_close_idx" ON "task_executions"("close_status");

-- CreateIndex
CREATE INDEX "task_executions_root_idx" ON "task_executions"("root_execution_id");

-- CreateIndex
CREATE INDEX "task_executions_ready_seq_idx" ON "task_executions"("ready_seq");

-- CreateIndex
CREATE INDEX "task_executions_finished_idx" ON "task_executions"("finished_at");

-- CreateIndex
CREATE INDEX "task_executions_created_idx" ON "task_executions"("created_at", "execution_id");

-- Not modelled by Prisma: hands out task_executions.ready_seq (FIFO order among equal start_at)
-- without a read of MAX(ready_seq) that concurrent transactions would race on.
CREATE SEQUENCE "task_executions_ready_seq";
