/** `npm run worker` as a real process: environment validation and graceful shutdown. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../engine/helpers';

const dir = mkdtempSync(join(tmpdir(), 'durably-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function startWorker(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/worker.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, exited, log: () => log };
}

describe('npm run worker', () => {
  it('refuses a bad environment with a clear message', async () => {
    const worker = startWorker({ DATABASE_URL: 'mysql://nope', DURABLY_EXECUTOR: 'sometimes' });
    expect(await worker.exited).toBe(1);
    expect(worker.log()).toContain('Invalid environment');
    expect(worker.log()).toContain('DATABASE_URL');
    expect(worker.log()).toContain('DURABLY_EXECUTOR');
  });

  it('shuts down gracefully on SIGTERM', async () => {
    const worker = startWorker({ DATABASE_URL: `file:${join(dir, 'worker.db')}` });
    await waitFor(() => worker.log().includes('Executor started'), { timeoutMs: 20_000 });
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.log()).toContain('SIGTERM: shutting down');
  });
});
