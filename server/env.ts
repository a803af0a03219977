/** The server's environment, validated once with zod; a bad value stops the process clearly. */
import { z } from 'zod';
import { parseRetention } from '@/server/engine';

const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .default('file:./data/durably.db')
    .refine((url) => /^(file:|postgres(ql)?:\/\/)/.test(url), {
      message: 'must start with file: (SQLite) or postgres:// / postgresql:// (PostgreSQL)',
    }),
  /** `off` runs the web app without an executor (workers run the tasks). */
  DURABLY_EXECUTOR: z.enum(['on', 'off']).default('on'),
  /** When set, mutations require it (bearer header or the dashboard's login cookie). */
  DURABLY_ADMIN_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  /** Graceful shutdown bound for running tasks on SIGTERM / SIGINT. */
  DURABLY_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  DURABLY_HEARTBEAT_MS: z.coerce.number().int().min(100).default(5_000),
  /** Finished trees older than this are pruned in the background (`7d`, `12h`, ... or `off`). */
  DURABLY_RETENTION: z
    .string()
    .default('30d')
    .transform((value, ctx) => {
      try {
        return parseRetention(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  DURABLY_ENABLE_DEBUG: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((value) => value === 'true' || value === '1'),
});

export type ServerEnv = z.infer<typeof envSchema>;

let cached: ServerEnv | undefined;

export function getServerEnv(): ServerEnv {
  if (cached) return cached;
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    const details = parsed.error.issues
      .map((issue) => `  ${issue.path.join('.')}: ${issue.message}`)
      .join('\n');
    throw new Error(`Invalid environment:\n${details}`);
  }
  cached = parsed.data;
  return cached;
}
