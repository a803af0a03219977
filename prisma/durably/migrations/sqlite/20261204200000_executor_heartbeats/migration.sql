-- Executors' heartbeats (the workers page): one row per executor, replaced at each beat.
CREATE TABLE "durably_executors" (
    "executor_id" TEXT NOT NULL PRIMARY KEY,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "version" TEXT NOT NULL,
    "task_ids" TEXT NOT NULL,
    "running_execution_ids" TEXT NOT NULL,
    "started_at" BIGINT NOT NULL,
    "heartbeat_at" BIGINT NOT NULL,
    "stopped_at" BIGINT
);
CREATE INDEX "durably_executors_heartbeat_idx" ON "durably_executors"("heartbeat_at");
