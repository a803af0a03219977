/** Ports, the admin token and the databases of the end-to-end servers (config and tests). */
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OPEN_PORT = 3100;
export const AUTH_PORT = 3101;
export const E2E_ADMIN_TOKEN = 'e2e-admin-token-0123456789';

/**
 * The SQLite file of the server `name` ('open' or 'auth') in this run. The run's id is set
 * once by playwright.config.ts in the main process; its workers inherit it.
 */
export function e2eDatabaseUrl(name: string): string {
  return `file:${join(tmpdir(), `durably-e2e-${process.env.DURABLY_E2E_RUN}-${name}.db`)}`;
}
