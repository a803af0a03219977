import { expect, test } from '@playwright/test';
import { apiClient, snap } from './helpers';

const COUNT = 300;

test('cancel all matching executions, confirmed with their count, with progress', async ({
  page,
  baseURL,
}) => {
  const api = apiClient(baseURL ?? '');
  await Promise.all(
    Array.from({ length: COUNT }, () =>
      api.executions.enqueue.mutate({ taskId: 'sleep', input: { ms: 120_000 } }),
    ),
  );
  const filter = { taskId: 'sleep', status: ['ready' as const, 'running' as const] };
  await expect
    .poll(async () => (await api.executions.bulk.count.query({ filter })).count)
    .toBeGreaterThanOrEqual(COUNT);

  await page.goto('/executions?task=sleep&status=ready,running');
  await expect(page.locator('.executions-table tbody tr').first()).toBeVisible();
  await page.getByRole('button', { name: 'Cancel all matching…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Cancel all matching executions?' });
  await expect(dialog).toContainText(/\d[\d,]* executions match the current filters/);
  const text = (await dialog.textContent()) ?? '';
  const matching = Number(/(\d[\d,]*) executions match/.exec(text)?.[1]?.replace(/,/g, ''));
  expect(matching).toBeGreaterThanOrEqual(COUNT);
  await snap(page, 'bulk-cancel-confirm', false);

  await dialog.getByRole('button', { name: /^Cancel [\d,]+ executions$/ }).click();
  await expect(dialog).toBeHidden();
  const progress = page.getByRole('status', { name: 'Bulk operation' });
  await expect(progress).toContainText(/Cancelled [\d,]+ of [\d,]+/);
  await expect(progress.locator('progress')).toBeVisible();
  await expect(progress).toContainText(
    `Cancelled ${matching.toLocaleString('en-US')} of ${matching.toLocaleString('en-US')} · done`,
    { timeout: 60_000 },
  );
  await expect(page.getByText('No executions match these filters.')).toBeVisible();
  await snap(page, 'bulk-cancel-done');
  expect((await api.executions.bulk.count.query({ filter })).count).toBe(0);
  const cancelled = await api.executions.bulk.count.query({
    filter: { taskId: 'sleep', status: 'cancelled' },
  });
  expect(cancelled.count).toBeGreaterThanOrEqual(COUNT);
});
