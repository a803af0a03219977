import { expect, test } from '@playwright/test';
import { apiClient, snap } from './helpers';

test('a run held back by its tenant’s concurrency slot says so; the tasks page shows the use', async ({
  page,
  baseURL,
}) => {
  const api = apiClient(baseURL!);
  const tenant = `acme-${Date.now()}`;
  const first = await api.executions.enqueue.mutate({
    taskId: 'tenantSleep',
    input: { tenant, ms: 60_000 },
  });
  const second = await api.executions.enqueue.mutate({
    taskId: 'tenantSleep',
    input: { tenant, ms: 0 },
    options: { priority: 3, idempotencyKey: `${tenant}-second` },
  });
  // A repeated enqueue with the same key returns the same execution.
  const again = await api.executions.enqueue.mutate({
    taskId: 'tenantSleep',
    input: { tenant, ms: 0 },
    options: { idempotencyKey: `${tenant}-second` },
  });
  expect(again).toEqual({ executionId: second.executionId, created: false });

  await page.goto(`/executions/${second.executionId}`);
  const details = page.getByRole('region', { name: 'Selected execution' });
  await expect(
    details.getByText(`waiting for a concurrency slot of ${tenant}: 1 of 1 running`),
  ).toBeVisible();
  await expect(details.getByText(`${tenant}-second`)).toBeVisible();
  await expect(details.getByRole('definition').filter({ hasText: /^3$/ })).toBeVisible();
  await snap(page, 'execution-waiting-for-slot');

  await page.goto('/tasks');
  const card = page.getByRole('article', { name: 'tenantSleep' });
  await expect(card.getByText('1 at once per key')).toBeVisible();
  await expect(card.getByText(`${tenant}: 1 of 1 running`)).toBeVisible();
  await expect(card.getByText('20 per 1m 00s')).toBeVisible();
  await snap(page, 'tasks-flow-control');

  await api.executions.cancel.mutate({ executionId: first.executionId });
  await page.goto(`/executions/${second.executionId}`);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('tenantSleep');
  await expect(details.getByText('waiting for a concurrency slot')).toBeHidden({ timeout: 15_000 });
});
