/**
 * A task's `ctx.progress` reports in the dashboard: a bar in the executions list and a
 * "Progress" fact on the execution's page (the demo's summarise step reports sentences read).
 */
import { expect, test } from '@playwright/test';

test('the list and the execution page show what the task reported', async ({ page }) => {
  await page.goto('/demo/process-file');
  await page.getByLabel('Text').fill('# Progress\nOne. Two. Three. Four.');
  await page.getByRole('button', { name: 'Process' }).click();
  await expect(page.getByTestId('demo-status')).toHaveText('completed', { timeout: 15_000 });
  const rootId = await page.getByLabel('Execution').getAttribute('data-execution-id');

  await page.goto(`/executions?task=summarise&roots=0`);
  const row = page.getByRole('row').filter({ has: page.getByTestId('execution-progress') });
  await expect(row.first().getByTestId('execution-progress')).toContainText(/\d+ \/ \d+/);

  const tree = await page.request.get(
    `/api/trpc/executions.tree?input=${encodeURIComponent(
      JSON.stringify({ json: { executionId: rootId } }),
    )}`,
  );
  expect(tree.status()).toBe(200);
  const body = (await tree.json()) as {
    result: { data: { json: { nodes: { executionId: string; taskId: string }[] } } };
  };
  const summarise = body.result.data.json.nodes.find((node) => node.taskId === 'summarise');
  expect(summarise).toBeDefined();
  await page.goto(`/executions/${summarise?.executionId}`);
  const fact = page.getByTestId('execution-progress');
  // "# Progress\nOne." is the first sentence, then Two., Three., Four.: four sentences read.
  await expect(fact).toContainText('4 / 4');
  await expect(fact.locator('progress')).toHaveAttribute('value', '4');
});
