#!/usr/bin/env node
/**
 * Starts `next dev` or `next start`. Without DURABLY_ADMIN_TOKEN the admin actions are open,
 * so the server binds to 127.0.0.1 only and says so; with a token it binds to HOST (default
 * 0.0.0.0). Next's own flags pass through (`npm start -- -p 4000`); `-p` / `--port` win over
 * PORT, and `-H` / `--hostname` over HOST when a token is set. Signals are forwarded so the
 * executor shuts down gracefully.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const mode = process.argv[2] === 'dev' ? 'dev' : 'start';
const { port: portFlag, hostname: hostFlag, rest } = splitFlags(process.argv.slice(3));
const hasToken = Boolean(process.env.DURABLY_ADMIN_TOKEN);
const host = hasToken ? (hostFlag ?? process.env.HOST ?? '0.0.0.0') : '127.0.0.1';
const port = portFlag ?? process.env.PORT ?? '3000';

if (!hasToken) {
  console.info(
    '[durably] DURABLY_ADMIN_TOKEN is not set: admin actions need no login, so the server ' +
      'listens on 127.0.0.1 only. Set the token to serve other hosts.',
  );
}

const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next');
const child = spawn(process.execPath, [nextBin, mode, '-H', host, '-p', port, ...rest], {
  stdio: 'inherit',
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

/** Takes the port and hostname out of Next's flags (`-p 4000`, `--port=4000`); keeps the rest. */
function splitFlags(args) {
  const found = { port: undefined, hostname: undefined, rest: [] };
  const names = { '-p': 'port', '--port': 'port', '-H': 'hostname', '--hostname': 'hostname' };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag, inline] = arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined];
    const name = names[flag];
    if (!name) {
      found.rest.push(arg);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    found[name] = value;
  }
  return found;
}
