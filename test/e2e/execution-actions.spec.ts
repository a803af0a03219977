import { expect, test } from '@playwright/test';
import { detailsSection, enqueueFromForm, snap, treeItem } from './helpers';

test('cancel a running fanOut: it and its active children are cancelled', async ({ page }) => {
  await enqueueFromForm(page, 'fanOut', { count: 5, sleepMs: 30_000 });
  for (let index = 0; index < 5; index += 1) {
    await expect(treeItem(page, `sleep #${index}`)).toHaveAccessibleName(/, Running,/);
  }
  await expect(treeItem(page, 'fanOut root')).toHaveAccessibleName(/, Waiting for children,/);

  // The confirmation can be dismissed: nothing is cancelled.
  const cancel = page.getByRole('button', { name: 'Cancel…' });
  const dialog = page.getByRole('dialog', { name: 'Cancel this execution?' });
  await cancel.click();
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('and its 5 active descendants');
  await expect(dialog.getByRole('button', { name: 'Keep running' })).toBeFocused();
  await snap(page, 'cancel-dialog', false);
  await dialog.getByRole('button', { name: 'Keep running' }).click();
  await expect(dialog).toBeHidden();
  await expect(treeItem(page, 'fanOut root')).toHaveAccessibleName(/, Waiting for children,/);

  await cancel.click();
  await dialog.getByRole('button', { name: 'Cancel execution' }).click();
  await expect(dialog).toBeHidden();
  await expect(treeItem(page, 'fanOut root')).toHaveAccessibleName(/, Cancelled,/);
  for (let index = 0; index < 5; index += 1) {
    await expect(treeItem(page, `sleep #${index}`)).toHaveAccessibleName(/, Cancelled,/);
  }
  await expect(cancel).toHaveCount(0);
  await expect(page.getByText('updating live')).toBeHidden();
  await snap(page, 'execution-cancelled');

  await treeItem(page, 'sleep #0').click();
  await expect(detailsSection(page, 'Error').locator('dt:text("Type") + dd')).toHaveText(
    'cancelled',
  );
});

test('rerun an execution with the same input', async ({ page }) => {
  const first = await enqueueFromForm(page, 'echo', { hello: 'rerun me' });
  await expect(treeItem(page, 'echo root')).toHaveAccessibleName(/, Completed,/);
  await page.getByRole('button', { name: 'Rerun' }).click();

  await expect(page).toHaveURL(
    (url) => /^\/executions\/te_[\w-]{24}$/.test(url.pathname) && !url.pathname.endsWith(first),
  );
  await expect(treeItem(page, 'echo root')).toHaveAccessibleName(/, Completed,/);
  await expect(detailsSection(page, 'Input')).toContainText('"hello": "rerun me"');
  await expect(detailsSection(page, 'Output')).toContainText('"hello": "rerun me"');
});
