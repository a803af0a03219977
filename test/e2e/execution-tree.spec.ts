import { expect, test } from '@playwright/test';
import { apiClient, detailsSection, enqueueFromForm, snap, treeItem } from './helpers';

test('enqueue fanOut from the form, watch its tree fill and complete live, read a child', async ({
  page,
}) => {
  await enqueueFromForm(page, 'fanOut', { count: 5, sleepMs: 4000 });

  // While it runs the page says so, and the children appear under the root as they are created.
  await expect(page.getByText('updating live')).toBeVisible();
  for (let index = 0; index < 5; index += 1) {
    await expect(treeItem(page, `sleep #${index}`)).toBeVisible();
  }
  await expect(treeItem(page, 'sleep #0')).toHaveAccessibleName(/, (Ready|Running),/);
  await snap(page, 'execution-running');

  // Without reloading: the children complete, then the finalize task, then the root.
  await expect(treeItem(page, 'fanOut root')).toHaveAccessibleName(/, Completed,/, {
    timeout: 30_000,
  });
  await expect(page.getByText('updating live')).toBeHidden();
  for (let index = 0; index < 5; index += 1) {
    await expect(treeItem(page, `sleep #${index}`)).toHaveAccessibleName(/, Completed,/);
  }
  await expect(treeItem(page, 'fanOutSum finalize')).toHaveAccessibleName(/, Completed,/);
  await expect(detailsSection(page, 'Output')).toContainText('"totalSleptMs": 20000');
  await expect(detailsSection(page, 'Run output')).toContainText('"count": 5');
  await expect(detailsSection(page, 'Children outputs')).toContainText('{"sleptMs":4000}');
  await expect(page.getByRole('region', { name: 'Timeline' })).toBeVisible();

  // Open a child and read its output.
  await treeItem(page, 'sleep #3').click();
  await expect(page).toHaveURL(/\?node=te_/);
  await expect(page.getByRole('heading', { name: 'sleep #3' })).toBeVisible();
  await expect(detailsSection(page, 'Input')).toContainText('"ms": 4000');
  await expect(detailsSection(page, 'Output')).toContainText('"sleptMs": 4000');
  await snap(page, 'execution-completed');

  // The tree works from the keyboard: down to the next child, Enter selects it.
  await treeItem(page, 'sleep #3').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'sleep #4' })).toBeVisible();

  // The selection is in the URL: a reload shows the same child.
  await page.reload();
  await expect(page.getByRole('heading', { name: 'sleep #4' })).toBeVisible();
});

test('a tree of 1,000 children shows them by pages of 50', async ({ page }, testInfo) => {
  const api = apiClient(testInfo.project.use.baseURL ?? '');
  const { executionId } = await api.executions.enqueue.mutate({
    taskId: 'fanOut',
    input: { count: 1000, sleepMs: 0 },
  });
  await page.goto(`/executions/${executionId}`);
  await expect(treeItem(page, 'fanOut root')).toHaveAccessibleName(/, Completed,/, {
    timeout: 90_000,
  });
  await expect(page.getByText('1000/1000 done')).toBeVisible();
  await expect(treeItem(page, 'sleep #49')).toBeVisible();
  await expect(treeItem(page, 'sleep #50')).toHaveCount(0);
  await expect(treeItem(page, 'fanOutSum finalize')).toBeVisible();

  await page.getByRole('treeitem', { name: 'Show more children: 50 of 1000 shown' }).click();
  await expect(treeItem(page, 'sleep #99')).toBeVisible();
  await expect(treeItem(page, 'sleep #100')).toHaveCount(0);
  await expect(detailsSection(page, 'Children outputs')).toContainText('20 of 1000 shown');
  await snap(page, 'execution-1000-children', false);
});

test("a parent that continues on failures lists every child's outcome", async ({ page }) => {
  await enqueueFromForm(page, 'bestEffort', { count: 3, failIndexes: [1] });
  await expect(treeItem(page, 'bestEffort root')).toHaveAccessibleName(/, Completed,/, {
    timeout: 30_000,
  });
  await expect(treeItem(page, 'bestEffortChild #1')).toHaveAccessibleName(/, Failed,/);
  await expect(detailsSection(page, 'Output')).toContainText('"failed": 1');
  const children = detailsSection(page, 'Children outputs');
  await expect(children).toContainText("every child's outcome is listed");
  await expect(children).toContainText('Child 1 failed as planned');
  await expect(children).toContainText('{"index":2}');
  await snap(page, 'execution-continue-policy');
});
