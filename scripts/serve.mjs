#!/usr/bin/env node
/**
 * Starts `next dev` or `next start`. Without DURABLY_ADMIN_TOKEN the admin actions are open,
 * so the server binds to 127.0.0.1 only and says so; with a token it binds to HOST (default
 * 0.0.0.0). Signals are forwarded so the executor shuts down gracefully.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const mode = process.argv[2] === 'dev' ? 'dev' : 'start';
const hasToken = Boolean(process.env.DURABLY_ADMIN_TOKEN);
const host = hasToken ? (process.env.HOST ?? '0.0.0.0') : '127.0.0.1';
const port = process.env.PORT ?? '3000';

if (!hasToken) {
  console.info(
    '[durably] DURABLY_ADMIN_TOKEN is not set: admin actions need no login, so the server ' +
      'listens on 127.0.0.1 only. Set the token to serve other hosts.',
  );
}

const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next');
const child = spawn(process.execPath, [nextBin, mode, '-H', host, '-p', port], {
  stdio: 'inherit',
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
