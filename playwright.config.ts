/**
 * End-to-end tests of the dashboard against `next start` (run `npm run build` first, or
 * `npm run test:e2e` which does). Two servers, each on a fresh SQLite file: one open, one with
 * DURABLY_ADMIN_TOKEN for the login tests.
 */
import { existsSync } from 'node:fs';
import { chromium, defineConfig } from '@playwright/test';
import { AUTH_PORT, E2E_ADMIN_TOKEN, OPEN_PORT, e2eDatabaseUrl } from './test/e2e/env';

/**
 * The browser: CHROMIUM_PATH, else Debian's Chromium, else Playwright's own installed one
 * (`npx playwright install chromium`, where its download host is reachable). None: one line
 * saying what to install, and the run stops.
 */
function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'];
  const found = candidates.find((path) => path && existsSync(path));
  if (found) return found;
  if (existsSync(chromium.executablePath())) return undefined; // Playwright's own
  console.error(
    'The browser tests need Chromium: install it (Debian/Ubuntu: apt-get install chromium; ' +
      'elsewhere: npx playwright install chromium), or set CHROMIUM_PATH to a Chromium binary.',
  );
  process.exit(1);
}

// Workers load this file again; the run's id is fixed once in the main process.
process.env.DURABLY_E2E_RUN ??= `${process.pid}-${Date.now()}`;

function server(port: number, env: Record<string, string>) {
  return {
    command: `node node_modules/next/dist/bin/next start -H 127.0.0.1 -p ${port}`,
    url: `http://127.0.0.1:${port}/api/trpc/auth.status`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore' as const,
    stderr: 'pipe' as const,
    env: { NEXT_TELEMETRY_DISABLED: '1', DURABLY_ADMIN_TOKEN: '', ...env },
  };
}

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results/e2e',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    viewport: { width: 1400, height: 900 },
    launchOptions: {
      executablePath: chromiumPath(),
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    },
  },
  projects: [
    {
      name: 'dashboard',
      testIgnore: '**/auth.spec.ts',
      use: { baseURL: `http://127.0.0.1:${OPEN_PORT}` },
      // The auth tests start from an empty store; the demo page's tests enqueue on that server too.
      dependencies: ['auth'],
    },
    {
      name: 'auth',
      testMatch: '**/auth.spec.ts',
      use: { baseURL: `http://127.0.0.1:${AUTH_PORT}` },
    },
  ],
  webServer: [
    // Heartbeats every second: the workers test sees a killed worker dead within seconds.
    server(OPEN_PORT, { DATABASE_URL: e2eDatabaseUrl('open'), DURABLY_HEARTBEAT_MS: '1000' }),
    server(AUTH_PORT, {
      DATABASE_URL: e2eDatabaseUrl('auth'),
      DURABLY_ADMIN_TOKEN: E2E_ADMIN_TOKEN,
    }),
  ],
});
