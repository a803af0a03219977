-- Executors' heartbeats (the workers page): one row per executor, replaced at each beat.
CREATE TABLE "executors" (
    "executor_id" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "version" TEXT NOT NULL,
    "task_ids" TEXT NOT NULL,
    "running_execution_ids" TEXT NOT NULL,
    "started_at" BIGINT NOT NULL,
    "heartbeat_at" BIGINT NOT NULL,
    "stopped_at" BIGINT,

    CONSTRAINT "executors_pkey" PRIMARY KEY ("executor_id")
);
CREATE INDEX "executors_heartbeat_idx" ON "executors"("heartbeat_at");
