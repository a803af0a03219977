import { expect, test } from '@playwright/test';
import { E2E_ADMIN_TOKEN } from './env';
import { apiClient, snap, treeItem } from './helpers';

test.describe.configure({ mode: 'serial' });

test('an empty store shows how to enqueue the first task', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'No executions yet' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Enqueue your first task' })).toBeVisible();
  await snap(page, 'executions-empty');
});

test('with DURABLY_ADMIN_TOKEN set, actions need the login', async ({ page }, testInfo) => {
  const baseURL = testInfo.project.use.baseURL ?? '';
  await expect(
    apiClient(baseURL).executions.enqueue.mutate({ taskId: 'echo', input: 1 }),
  ).rejects.toThrow(/admin token/);
  const { executionId } = await apiClient(baseURL, E2E_ADMIN_TOKEN).executions.enqueue.mutate({
    taskId: 'echo',
    input: { from: 'bearer' },
  });

  // Browsing is open; the enqueue form and the actions ask for the login.
  await page.goto('/enqueue');
  await expect(page.getByLabel('Admin token')).toBeVisible();
  await expect(page.getByRole('button', { name: /^Enqueue/ })).toHaveCount(0);
  await page.goto(`/executions/${executionId}`);
  await expect(treeItem(page, 'echo root')).toHaveAccessibleName(/, Completed,/);
  await expect(page.getByRole('button', { name: 'Rerun' })).toHaveCount(0);
  await page.getByRole('link', { name: 'Log in to cancel or rerun' }).click();
  await expect(page).toHaveURL(/\/login\?next=/);

  const token = page.getByLabel('Admin token');
  await token.fill('not-the-right-token');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.locator('form').getByRole('alert')).toHaveText('Wrong admin token');
  await expect(token).toHaveAttribute('aria-invalid', 'true');
  await snap(page, 'login');

  await token.fill(E2E_ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(new RegExp(`/executions/${executionId}$`));
  await page.getByRole('button', { name: 'Rerun' }).click();
  await expect(page).toHaveURL((url) => !url.pathname.endsWith(executionId));
  await expect(treeItem(page, 'echo root')).toHaveAccessibleName(/, Completed,/);

  // The cookie is httpOnly: scripts cannot read it.
  expect(await page.evaluate(() => document.cookie)).not.toContain('durably_admin');

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('link', { name: 'Log in to cancel or rerun' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Rerun' })).toHaveCount(0);
});
