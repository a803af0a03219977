import { expect, test, type Page } from '@playwright/test';
import { apiClient, snap } from './helpers';

const FLAKY_COUNT = 210;

// 210 executions of a task no other spec uses, plus a few failures, created through the API.
// eslint-disable-next-line no-empty-pattern -- Playwright wants the fixtures argument first
test.beforeAll(async ({}, testInfo) => {
  const api = apiClient(testInfo.project.use.baseURL ?? '');
  // After a failed test Playwright starts a new worker and runs this again: create once.
  const existing = (await api.executions.list.query({ taskId: 'flaky', limit: 200 })).items;
  if (existing.length > 0) return;
  await Promise.all([
    ...Array.from({ length: FLAKY_COUNT }, () =>
      api.executions.enqueue.mutate({ taskId: 'flaky', input: { failures: 0 } }),
    ),
    ...Array.from({ length: 3 }, (_, index) =>
      api.executions.enqueue.mutate({
        taskId: 'fail',
        input: { message: `list failure ${index}`, retryable: false },
      }),
    ),
  ]);
  await expect
    .poll(
      async () => {
        const stats = await api.executions.stats.query();
        return stats.byTask.find((row) => row.taskId === 'flaky' && row.status === 'completed')
          ?.count;
      },
      { timeout: 60_000 },
    )
    .toBe(FLAKY_COUNT);
});

const rows = (page: Page) => page.locator('.executions-table tbody tr');
const idLinks = (page: Page) =>
  page.locator('.executions-table tbody td[data-label="Execution"] a');

test('filter by task, status and roots only; the filters live in the URL', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Task').selectOption('flaky');
  await expect(page).toHaveURL(/[?&]task=flaky/);
  await expect(page.getByRole('button', { name: `Completed ${FLAKY_COUNT}` })).toBeVisible();
  await expect(rows(page)).toHaveCount(50);
  await expect(page.locator('.executions-table td[data-label="Task"]')).toHaveText(
    Array<RegExp>(50).fill(/^flaky/),
  );

  await page.getByLabel('Task').selectOption('');
  await page.getByRole('button', { name: /^Failed \d+$/ }).click();
  await expect(page).toHaveURL(/[?&]status=failed/);
  await expect(page.getByRole('button', { name: /^Failed \d+$/ })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
  await expect(rows(page).first()).toBeVisible();
  for (const status of await page.locator('td[data-label="Status"]').allTextContents()) {
    expect(status).toBe('Failed');
  }
  await page.getByLabel('Roots only').check();
  await expect(page).toHaveURL(/[?&]roots=1/);

  // Shared or reloaded, the URL restores the same view.
  await page.reload();
  await expect(page.getByRole('button', { name: /^Failed \d+$/ })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
  await expect(page.getByLabel('Roots only')).toBeChecked();
  await expect(page.locator('td[data-label="Task"]').first()).toHaveText(/^fail/);
  await snap(page, 'executions-filtered');
});

test('search by execution id', async ({ page }, testInfo) => {
  const api = apiClient(testInfo.project.use.baseURL ?? '');
  const { items } = await api.executions.list.query({ taskId: 'flaky', limit: 1 });
  const id = items[0]?.executionId ?? '';

  await page.goto('/');
  const search = page.getByLabel('Execution id');
  await search.fill(id.slice(0, 14));
  await expect(page).toHaveURL(new RegExp(`[?&]q=${id.slice(0, 14)}`));
  await expect(idLinks(page).filter({ hasText: id })).toBeVisible();
  expect(await rows(page).count()).toBeLessThan(5);

  await search.fill(id);
  await expect(rows(page)).toHaveCount(1);
  await page.getByRole('link', { name: `Open ${id}` }).click();
  await expect(page).toHaveURL(new RegExp(`/executions/${id}$`));

  await page.goto('/?q=te_nothing-has-this-id');
  await expect(page.getByText('No executions match these filters.')).toBeVisible();
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(rows(page).first()).toBeVisible();
});

test('paginate 210 executions with the cursor', async ({ page }) => {
  await page.goto('/?task=flaky');
  const seen = new Set<string>();
  const pageSizes: number[] = [];
  for (let number = 1; number <= 5; number += 1) {
    await expect(page.getByText(`Page ${number} ·`)).toBeVisible();
    await expect(rows(page)).toHaveCount(number < 5 ? 50 : FLAKY_COUNT - 200);
    const ids = await idLinks(page).allTextContents();
    pageSizes.push(ids.length);
    for (const id of ids) seen.add(id);
    if (number < 5) {
      await page.getByRole('button', { name: 'Next →' }).click();
      await expect(page).toHaveURL(/[?&]after=/);
    }
  }
  expect(pageSizes).toEqual([50, 50, 50, 50, 10]);
  expect(seen.size).toBe(FLAKY_COUNT);
  await expect(page.getByRole('button', { name: 'Next →' })).toBeDisabled();

  await page.getByRole('button', { name: '← Previous' }).click();
  await expect(page.getByText('Page 4 ·')).toBeVisible();
  await expect(rows(page)).toHaveCount(50);
  await page.getByRole('button', { name: 'Newest' }).click();
  await expect(page.getByText('Page 1 ·')).toBeVisible();
  await expect(page).not.toHaveURL(/after=/);
  await snap(page, 'executions-list');
});

test('the list updates live when an execution is enqueued elsewhere', async ({
  page,
}, testInfo) => {
  await page.goto('/?task=echo');
  await expect(page.getByText('Live', { exact: true })).toBeVisible();
  const api = apiClient(testInfo.project.use.baseURL ?? '');
  const { executionId } = await api.executions.enqueue.mutate({
    taskId: 'echo',
    input: { live: true },
  });
  const row = rows(page).filter({ hasText: executionId });
  await expect(row).toBeVisible();
  await expect(row.locator('td[data-label="Status"]')).toHaveText('Completed');
});

test('on a narrow screen the list stays readable', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/?task=flaky');
  await expect(rows(page)).toHaveCount(50);
  await expect(page.getByRole('button', { name: `Completed ${FLAKY_COUNT}` })).toBeVisible();
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(scrollWidth).toBeLessThanOrEqual(390);
  await snap(page, 'executions-narrow', false);
});
