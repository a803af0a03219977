/**
 * `npm run db:migrate`: applies pending migrations to DATABASE_URL (default
 * file:./data/durably.db, whose folder is created). The app also migrates on start.
 */
import { DEFAULT_DATABASE_URL, migrateDatabase, redactUrl } from '@/server/storage';

const url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;

migrateDatabase(url).then(
  ({ applied }) => {
    console.log(
      applied.length > 0
        ? `Applied ${applied.length} migration(s) to ${redactUrl(url)}: ${applied.join(', ')}`
        : `${redactUrl(url)} is up to date`,
    );
  },
  (error: unknown) => {
    console.error(
      `Migration of ${redactUrl(url)} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exitCode = 1;
  },
);
