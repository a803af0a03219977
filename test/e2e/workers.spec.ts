import { spawn } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { e2eDatabaseUrl } from './env';
import { apiClient, snap } from './helpers';

test('the workers page lists the web server and a worker process, and a killed worker as dead', async ({
  page,
  baseURL,
}) => {
  // One process (tsx as a loader, not its wrapper), so a SIGKILL reaches the worker itself.
  const worker = spawn(process.execPath, ['--import', 'tsx', 'server/worker.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: e2eDatabaseUrl('open'),
      DURABLY_HEARTBEAT_MS: '500',
      DURABLY_ADMIN_TOKEN: '',
    },
    stdio: 'ignore',
  });
  const api = apiClient(baseURL!);
  let executionId: string | undefined;
  try {
    await page.goto('/workers');
    const table = page.getByRole('table', { name: 'Executors' });
    const workerRow = table.locator('tr[data-executor-id]').filter({ hasText: ` / ${worker.pid}` });
    await expect(workerRow).toHaveAttribute('data-state', 'live', { timeout: 30_000 });
    await expect(table.getByText('(this web server)')).toBeVisible();
    await expect(table.locator('tr[data-state="live"]')).not.toHaveCount(0);
    await snap(page, 'workers-two-live');

    // A running execution names the executor running it.
    ({ executionId } = await api.executions.enqueue.mutate({
      taskId: 'tenantSleep',
      input: { tenant: `workers-${Date.now()}`, ms: 60_000 },
    }));
    await page.goto(`/executions/${executionId}`);
    await expect(page.getByTestId('running-on')).toBeVisible({ timeout: 15_000 });

    worker.kill('SIGKILL');
    await page.goto('/workers');
    await expect(workerRow).toHaveAttribute('data-state', 'dead', { timeout: 15_000 });
    await expect(workerRow.getByText('Dead')).toBeVisible();
    await snap(page, 'workers-one-dead');
  } finally {
    worker.kill('SIGKILL');
    if (executionId) await api.executions.cancel.mutate({ executionId }).catch(() => undefined);
  }
});
