import { expect, test } from '@playwright/test';
import { apiClient, snap } from './helpers';

test('the metrics page charts finishes, latency, failure rate and backlog, per task too', async ({
  page,
  baseURL,
}) => {
  const api = apiClient(baseURL!);
  const ids = await Promise.all([
    ...Array.from({ length: 4 }, (_, i) =>
      api.executions.enqueue.mutate({ taskId: 'echo', input: { metrics: i } }),
    ),
    api.executions.enqueue.mutate({ taskId: 'fail', input: { message: 'metrics failure' } }),
  ]);
  for (const { executionId } of ids) {
    await api.executions.wait.query({ executionId, timeoutMs: 30_000 });
  }

  await page.goto('/metrics');
  const totals = page.getByRole('definition');
  await expect(page.getByRole('region', { name: /^Finished per minute/ })).toBeVisible();
  await expect(
    page.getByRole('region', { name: 'Run duration and queue wait (ms)' }),
  ).toBeVisible();
  await expect(page.locator('.metrics-chart .recharts-bar-rectangle').first()).toBeVisible();
  await expect(totals.first()).not.toHaveText('0');
  await snap(page, 'metrics-hour');

  // One task: the failing one alone has a 100 % failure rate.
  await page.getByLabel('Task').selectOption('fail');
  const rate = page.locator('.metrics-totals div').filter({ hasText: 'Failure rate' });
  await expect(rate.getByRole('definition')).toHaveText('100.0 %');
  await page.getByLabel('Window').selectOption('day');
  await expect(page.getByText('Buckets of 20 minutes')).toBeVisible();
  await snap(page, 'metrics-day-fail');
});
