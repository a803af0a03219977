-- What a parent does when a child does not complete: 'failParent' (fail at once) or 'continue'.
ALTER TABLE "task_executions" ADD COLUMN "on_child_failure" TEXT NOT NULL DEFAULT 'failParent';
