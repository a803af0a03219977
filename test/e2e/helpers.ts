/** Shared pieces of the dashboard's end-to-end tests: an API client, screenshots, locators. */
import { mkdirSync } from 'node:fs';
import { expect, type Page } from '@playwright/test';
import { createTRPCClient, httpBatchLink, type TRPCClient } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from '@/server/api';

export const SCREENSHOT_DIR = 'test-results/screenshots';

/** A tRPC client for setting up data fast (batched), optionally with the admin token. */
export function apiClient(baseURL: string, adminToken?: string): TRPCClient<AppRouter> {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${baseURL}/api/trpc`,
        transformer: superjson,
        maxItems: 50,
        headers: adminToken ? { authorization: `Bearer ${adminToken}` } : {},
      }),
    ],
  });
}

export async function snap(page: Page, name: string, fullPage = true): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOT_DIR}/${name}.png`, fullPage });
}

/** A node of the execution tree, by its accessible name ("sleep #2, Completed, 1.50 s"). */
export function treeItem(page: Page, name: string) {
  return page.getByRole('treeitem', { name: new RegExp(`^${escapeRegExp(name)},`) });
}

/** One section of the selected execution's details ("Input", "Output", "Error", ...). */
export function detailsSection(page: Page, name: string) {
  return page
    .getByRole('region', { name: 'Selected execution' })
    .getByRole('region', { name, exact: true });
}

/** Fills the enqueue form and submits it; lands on the new execution's page. */
export async function enqueueFromForm(page: Page, taskId: string, input: unknown): Promise<string> {
  await page.goto(`/enqueue?task=${taskId}`);
  await expect(page.getByLabel('Task')).toHaveValue(taskId);
  await page.getByLabel('Input (JSON)').fill(JSON.stringify(input, null, 2));
  await page.getByRole('button', { name: `Enqueue ${taskId}` }).click();
  await expect(page).toHaveURL(/\/executions\/te_[\w-]{24}$/);
  return page.url().split('/').pop() ?? '';
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
