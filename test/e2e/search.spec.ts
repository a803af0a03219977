import { expect, test } from '@playwright/test';
import { apiClient, snap } from './helpers';

test('search executions by a value of their input; the search lives in the URL', async ({
  page,
  baseURL,
}) => {
  const api = apiClient(baseURL ?? '');
  const customer = `c_${Date.now()}`;
  const created = await Promise.all(
    [customer, 'c_other', customer].map((customerId) =>
      api.executions.enqueue.mutate({ taskId: 'echo', input: { customerId } }),
    ),
  );
  const expected = [created[0]!.executionId, created[2]!.executionId].sort();

  await page.goto('/executions');
  await page.getByLabel('Input / output').fill(`input.customerId = "${customer}"`);
  await page.getByLabel('Input / output').press('Enter');
  await expect(page).toHaveURL(/where=input.customerId/);
  const links = page.locator('.executions-table tbody td[data-label="Execution"] a');
  await expect(links).toHaveCount(2);
  expect((await links.allTextContents()).map((text) => text.trim()).sort()).toEqual(expected);
  await snap(page, 'search-by-input');

  // Reloading keeps the search; a bad path says what is wrong with it.
  await page.reload();
  await expect(page.getByLabel('Input / output')).toHaveValue(`input.customerId = "${customer}"`);
  await expect(links).toHaveCount(2);
  await page.getByLabel('Input / output').fill('input.customer-id = 1');
  await page.getByLabel('Input / output').press('Enter');
  await expect(page.getByText(/"customer-id" is not an identifier/)).toBeVisible();
});
