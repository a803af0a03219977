// Generates the Prisma clients of the tests' stand-in app (test/app: its own models, in the
// same database as Durably's tables) into test/app/generated. Durably's own store talks to its
// drivers directly and needs no generated client. Runs on `postinstall`, so `npm ci` on a
// fresh machine produces them.
//
// `prisma generate` only needs the bundled wasm, but the CLI first checks that a schema engine
// binary exists, and that binary is downloaded from a host that may be unreachable. Unless
// PRISMA_SCHEMA_ENGINE_BINARY is already set, point it at a stub that only answers `--version`.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const schemas = ['test/app/schema.sqlite.prisma', 'test/app/schema.postgres.prisma'];
const require = createRequire(import.meta.url);

let prismaCli;
try {
  prismaCli = require.resolve('prisma/build/index.js');
} catch {
  // `npm ci --omit=dev` installs no CLI: nothing to generate with (the clients must come along).
  console.warn('db:generate: the prisma CLI is not installed; skipping client generation');
  process.exit(0);
}

const env = { ...process.env, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
let stubDir;
if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  stubDir = mkdtempSync(join(tmpdir(), 'durably-schema-engine-'));
  const stub = join(stubDir, 'schema-engine');
  writeFileSync(
    stub,
    '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "schema-engine-cli 0.0.0-stub"; exit 0; fi\nexit 1\n',
  );
  chmodSync(stub, 0o755);
  env.PRISMA_SCHEMA_ENGINE_BINARY = stub;
}

let status = 0;
try {
  for (const schema of schemas) {
    const result = spawnSync(process.execPath, [prismaCli, 'generate', '--schema', schema], {
      env,
      stdio: 'inherit',
    });
    if (result.status !== 0) {
      status = result.status ?? 1;
      break;
    }
  }
} finally {
  if (stubDir) rmSync(stubDir, { recursive: true, force: true });
}
process.exit(status);
