import { expect, test } from '@playwright/test';
import { detailsSection, enqueueFromForm, snap, treeItem } from './helpers';

test('enqueue fail and read the error, its retries and its stack, as text', async ({ page }) => {
  const message = 'boom from the e2e test <b>not bold</b>';
  await enqueueFromForm(page, 'fail', { message, retryable: true });

  // fail retries twice (100 ms, 200 ms) before failing for good.
  await expect(treeItem(page, 'fail root')).toHaveAccessibleName(/, Failed,/);
  const error = detailsSection(page, 'Error');
  await expect(error.getByLabel('Error message')).toHaveText(message);
  await expect(error.locator('b')).toHaveCount(0);
  await expect(error.locator('dt:text("Type") + dd')).toHaveText('generic');
  await expect(error.locator('dt:text("Retryable") + dd')).toHaveText('Yes');
  await expect(page.locator('dt:text("Attempts") + dd')).toContainText('3 (2 of 2 retries');
  await error.getByText('Stack trace').click();
  await expect(error.getByLabel('Stack trace')).toContainText(message);
  await expect(detailsSection(page, 'Output')).toHaveCount(0);
  await snap(page, 'execution-failed');
});

test('a non-retryable failure fails at once', async ({ page }) => {
  await enqueueFromForm(page, 'fail', { message: 'no second chance', retryable: false });
  await expect(treeItem(page, 'fail root')).toHaveAccessibleName(/, Failed,/);
  await expect(detailsSection(page, 'Error').getByLabel('Error message')).toHaveText(
    'no second chance',
  );
  await expect(page.locator('dt:text("Attempts") + dd')).toContainText('1 (0 of 2 retries');
});

test('an unknown or malformed execution id says so', async ({ page }) => {
  await page.goto('/executions/te_000000000000000000000000');
  await expect(page.getByRole('alert').filter({ hasText: 'Execution not found' })).toBeVisible();
  await page.goto('/executions/not-an-id');
  await expect(page.getByRole('alert').filter({ hasText: 'Not an execution id' })).toBeVisible();
});
