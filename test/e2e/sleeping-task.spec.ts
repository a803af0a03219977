import { expect, test } from '@playwright/test';
import { apiClient, detailsSection, snap, treeItem } from './helpers';

test('a waiting approval shows what it waits for and its deadline; Complete finishes it with the JSON output', async ({
  page,
  baseURL,
}) => {
  const api = apiClient(baseURL!);
  const uniqueId = `order-${Date.now()}`;
  const { executionId } = await api.executions.enqueue.mutate({
    taskId: 'approval',
    input: uniqueId,
  });

  await page.goto(`/executions/${executionId}`);
  await expect(treeItem(page, 'approval root')).toHaveAccessibleName(/, Waiting for event,/);
  const panel = detailsSection(page, 'Waiting for an event');
  await expect(panel).toContainText(`with unique id ${uniqueId}`);
  await expect(panel).toContainText('times out at');
  await snap(page, 'sleeping-waiting');

  // Invalid JSON is refused in the page; nothing is sent.
  await panel.getByLabel('Output (JSON)').fill('{ not json');
  await panel.getByRole('button', { name: 'Complete' }).click();
  await expect(panel.getByRole('alert')).toContainText('Not valid JSON');

  await panel.getByLabel('Output (JSON)').fill('{ "approved": true, "by": "ada" }');
  await panel.getByRole('button', { name: 'Complete' }).click();
  await expect(treeItem(page, 'approval root')).toHaveAccessibleName(/, Completed,/);
  await expect(detailsSection(page, 'Output')).toContainText('"by": "ada"');
  await expect(panel).toHaveCount(0);

  // A second wakeup changes nothing and returns the first outcome.
  const again = await api.executions.wakeup.mutate({
    target: { taskId: 'approval', uniqueId },
    outcome: { status: 'failed', message: 'too late' },
  });
  expect(again).toEqual({ kind: 'duplicate', executionId });
});

test('Fail finishes a waiting approval as failed with the reason', async ({ page, baseURL }) => {
  const api = apiClient(baseURL!);
  const { executionId } = await api.executions.enqueue.mutate({
    taskId: 'approval',
    input: `refund-${Date.now()}`,
  });
  await page.goto(`/executions/${executionId}`);
  const panel = detailsSection(page, 'Waiting for an event');
  await panel.getByLabel('Reason to fail (optional)').fill('Rejected by finance');
  await panel.getByRole('button', { name: 'Fail' }).click();
  await expect(treeItem(page, 'approval root')).toHaveAccessibleName(/, Failed,/);
  await expect(detailsSection(page, 'Error')).toContainText('Rejected by finance');
  await snap(page, 'sleeping-failed');
});
