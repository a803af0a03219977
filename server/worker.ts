/**
 * `npm run worker`: a standalone executor process (no web server) on DATABASE_URL, to scale
 * out on PostgreSQL. Runs until SIGTERM / SIGINT, then shuts down gracefully.
 */
import { getDurably } from '@/server/executor';

getDurably({ forceExecutor: true }).catch((error: unknown) => {
  console.error(
    '[durably] Worker failed to start:',
    error instanceof Error ? error.message : error,
  );
  process.exit(1);
});
