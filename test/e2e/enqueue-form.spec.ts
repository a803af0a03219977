import { expect, test } from '@playwright/test';
import { apiClient, snap } from './helpers';

async function totalExecutions(baseURL: string): Promise<number> {
  const stats = await apiClient(baseURL).executions.stats.query();
  return Object.values(stats.byStatus).reduce((sum, count) => sum + (count ?? 0), 0);
}

test('bad JSON shows an inline error and enqueues nothing', async ({ page }, testInfo) => {
  const baseURL = testInfo.project.use.baseURL ?? '';
  const before = await totalExecutions(baseURL);
  const enqueueRequests: string[] = [];
  page.on('request', (request) => {
    if (request.url().includes('executions.enqueue')) enqueueRequests.push(request.url());
  });

  await page.goto('/enqueue?task=echo');
  const input = page.getByLabel('Input (JSON)');
  await input.fill('{\n  "hello": "world",\n}');
  await page.getByRole('button', { name: 'Enqueue echo' }).click();

  const form = page.locator('form.enqueue-form');
  await expect(form.getByRole('alert')).toContainText('Not valid JSON');
  await expect(form.getByRole('alert')).toContainText('line 3');
  await expect(input).toHaveAttribute('aria-invalid', 'true');
  await expect(page).toHaveURL(/\/enqueue/);
  await snap(page, 'enqueue-bad-json');
  expect(enqueueRequests).toEqual([]);
  expect(await totalExecutions(baseURL)).toBe(before);

  // Ctrl+Enter also refuses it; fixing the text clears the error.
  await input.press('Control+Enter');
  await expect(form.getByRole('alert')).toContainText('Not valid JSON');
  expect(enqueueRequests).toEqual([]);
  await input.fill('{ "hello": "world" }');
  await expect(input).toHaveAttribute('aria-invalid', 'false');
  await expect(form.getByRole('alert')).toHaveCount(0);
});

test("the server's schema errors are shown inline", async ({ page }, testInfo) => {
  const baseURL = testInfo.project.use.baseURL ?? '';
  const before = await totalExecutions(baseURL);
  await page.goto('/enqueue?task=fanOut');
  await expect(page.getByRole('cell', { name: 'count', exact: true })).toBeVisible();
  const input = page.getByLabel('Input (JSON)');
  await input.fill('{ "count": 0, "sleepMs": "soon" }');
  await page.getByRole('button', { name: 'Enqueue fanOut' }).click();

  const alert = page.locator('form.enqueue-form').getByRole('alert');
  await expect(alert).toContainText('input.count');
  await expect(alert).toContainText('input.sleepMs');
  await expect(input).toHaveAttribute('aria-invalid', 'true');
  await expect(page).toHaveURL(/\/enqueue/);
  expect(await totalExecutions(baseURL)).toBe(before);
  await snap(page, 'enqueue-schema-errors');
});

test('the tasks page lists the tasks and leads to their form', async ({ page }) => {
  await page.goto('/tasks');
  for (const taskId of ['echo', 'sleep', 'fail', 'flaky', 'fanOut', 'pipeline', 'processFile']) {
    await expect(page.getByRole('heading', { name: taskId, exact: true })).toBeVisible();
  }
  await snap(page, 'tasks');
  await page.getByRole('link', { name: 'Enqueue fanOut' }).click();
  await expect(page).toHaveURL(/\/enqueue\?task=fanOut$/);
  await expect(page.getByLabel('Task')).toHaveValue('fanOut');
  await expect(page.getByLabel('Input (JSON)')).toHaveValue(/"count": 1/);
  await snap(page, 'enqueue');
});
