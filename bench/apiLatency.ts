/**
 * W4: the latency workload through the HTTP API: `next start` on the database given as the
 * first argument (a fresh SQLite file when none), then 200 sequential enqueue + wait calls
 * with the typed tRPC client. Prints one JSON line. Needs a build (`npm run build`).
 */
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTRPCClient, httpLink } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from '@/server/api';
import { freePort } from '@/test/helpers/pgCluster';
import { percentiles } from './workloads';

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'durably-bench-api-'));
  const port = await freePort();
  const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next');
  const server = spawn(
    process.execPath,
    [nextBin, 'start', '-H', '127.0.0.1', '-p', String(port)],
    {
      env: {
        ...process.env,
        DATABASE_URL: process.argv[2] ?? `file:${join(dir, 'api.db')}`,
        NEXT_TELEMETRY_DISABLED: '1',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const url = `http://127.0.0.1:${port}/api/trpc`;
    const client = createTRPCClient<AppRouter>({
      links: [httpLink({ url, transformer: superjson })],
    });
    await waitUntilUp(() => client.tasks.list.query());
    const samples: number[] = [];
    for (let i = 0; i < 220; i++) {
      const started = performance.now();
      const { executionId } = await client.executions.enqueue.mutate({ taskId: 'echo', input: i });
      const finished = await client.executions.wait.query({ executionId, timeoutMs: 10_000 });
      if (finished.status !== 'completed') throw new Error(`Execution ended ${finished.status}`);
      if (i >= 20) samples.push(performance.now() - started);
    }
    const stats = percentiles(samples);
    const peakRssMb = serverPeakRssMb(server.pid);
    process.stdout.write(
      `${JSON.stringify({ value: stats.p50, unit: 'ms p50', details: stats, peakRssMb })}\n`,
    );
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitUntilUp(probe: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await probe();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Peak resident set of the server, from /proc (the `next start` process is the server). */
function serverPeakRssMb(pid: number | undefined): number {
  if (!pid) return 0;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
