-- Indexes that hold only the rows their queries look for (partial indexes): an insert or a
-- status change then writes a few index pages instead of one per index, which is most of the
-- cost of a commit on SQLite and of the WAL it writes on PostgreSQL.
DROP INDEX "task_executions_claim_idx";
CREATE INDEX "task_executions_claim_idx" ON "task_executions"("task_id", "priority" DESC, "start_at", "ready_seq") WHERE "status" = 'ready';
DROP INDEX "task_executions_lease_idx";
CREATE INDEX "task_executions_lease_idx" ON "task_executions"("expires_at") WHERE "status" = 'running';
DROP INDEX "task_executions_parent_idx";
CREATE INDEX "task_executions_parent_idx" ON "task_executions"("parent_execution_id", "index_in_parent") WHERE "parent_execution_id" IS NOT NULL;
DROP INDEX "task_executions_close_idx";
CREATE INDEX "task_executions_close_idx" ON "task_executions"("updated_at") WHERE "close_status" = 'ready';
DROP INDEX "task_executions_root_idx";
CREATE INDEX "task_executions_root_idx" ON "task_executions"("root_execution_id") WHERE "root_execution_id" IS NOT NULL;
DROP INDEX "task_executions_finished_idx";
CREATE INDEX "task_executions_finished_idx" ON "task_executions"("finished_at") WHERE "finished_at" IS NOT NULL;
DROP INDEX "task_executions_concurrency_idx";
CREATE INDEX "task_executions_concurrency_idx" ON "task_executions"("task_id", "concurrency_key", "status") WHERE "concurrency_key" IS NOT NULL;
-- Parents whose children may all have finished (the backstop's advance step).
CREATE INDEX "task_executions_waiting_idx" ON "task_executions"("updated_at") WHERE "status" = 'waiting_for_children_tasks';
-- Nothing reads by these.
DROP INDEX "task_executions_linked_idx";
DROP INDEX "task_executions_ready_seq_idx";
