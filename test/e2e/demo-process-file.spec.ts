/**
 * The app's own page /demo/process-file, on a server without an admin token and on one with a
 * token (the task is public): enqueue, live progress of the tree, the typed output, cancel, and
 * a second visitor (another owner cookie) who cannot read the first one's execution.
 */
import { expect, test, type Browser } from '@playwright/test';
import { AUTH_PORT, OPEN_PORT } from './env';

const ORIGINS = [`http://127.0.0.1:${OPEN_PORT}`, `http://127.0.0.1:${AUTH_PORT}`];

async function visitor(browser: Browser) {
  const context = await browser.newContext();
  return { context, page: await context.newPage() };
}

for (const origin of ORIGINS) {
  test.describe(`demo page on ${origin}`, () => {
    test('processes a text and shows the typed output', async ({ browser }) => {
      const { context, page } = await visitor(browser);
      await page.goto(`${origin}/demo/process-file`);
      await page.getByLabel('Text').fill('# Hello demo\nFirst sentence. Second one. Third.');
      await page.getByRole('button', { name: 'Process' }).click();
      await expect(page.getByTestId('demo-status')).toHaveText('completed', { timeout: 15_000 });
      const output = page.getByTestId('demo-output');
      await expect(output).toContainText('Hello demo');
      await expect(output).toContainText('8');
      await expect(page.getByText('Children done: 2 / 2')).toBeVisible();

      const executionId = await page.getByLabel('Execution').getAttribute('data-execution-id');
      expect(executionId).toMatch(/^te_/);
      const other = await visitor(browser);
      const response = await other.page.request.get(
        `${origin}/api/trpc/task.processFile.get?input=${encodeURIComponent(
          JSON.stringify({ json: { executionId } }),
        )}`,
      );
      expect(response.status()).toBe(404);
      const own = await page.request.get(
        `${origin}/api/trpc/task.processFile.get?input=${encodeURIComponent(
          JSON.stringify({ json: { executionId } }),
        )}`,
      );
      expect(own.status()).toBe(200);
      await other.context.close();
      await context.close();
    });

    test('cancels a slow run from the page', async ({ browser }) => {
      const { context, page } = await visitor(browser);
      await page.goto(`${origin}/demo/process-file`);
      await page.getByLabel('Text').fill('Slow text. Very slow.');
      await page.getByLabel(/Slow/).check();
      await page.getByRole('button', { name: 'Process' }).click();
      await expect(page.getByText('Children done: 0 / 2')).toBeVisible({ timeout: 15_000 });
      await page.getByRole('button', { name: 'Cancel' }).click();
      await expect(page.getByTestId('demo-status')).toHaveText('cancelled', { timeout: 15_000 });
      await expect(page.getByRole('button', { name: 'Cancel' })).toHaveCount(0);
      await context.close();
    });
  });
}
