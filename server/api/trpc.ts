/**
 * tRPC set-up, in order: 1. the request context (who is asking, from where), 2. initTRPC with
 * superjson and an error formatter that never leaks stacks, 3. engine errors mapped to tRPC
 * codes in one middleware, 4. the procedure builders: public and admin.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError } from 'zod';
import {
  DurableExecutionError,
  DurableExecutionNotFoundError,
  DurableExecutorShutdownError,
  DurableOptionsError,
  DurableWakeupRefusedError,
} from '@/server/engine';
import { getDurably, type Durably } from '@/server/executor';
import { getServerEnv } from '@/server/env';
import { isAdminRequest, isCrossSiteRequest } from './auth';

// 1. Context
export interface ApiContext {
  /** Request headers; absent for in-process callers (tests, server components). */
  headers: Headers | null;
  /** Response headers, to set the login cookie. */
  resHeaders: Headers | null;
  getDurably: () => Promise<Durably>;
  adminToken: string | undefined;
}

export function createApiContext(opts: {
  headers: Headers | null;
  resHeaders?: Headers | null;
  getDurably?: () => Promise<Durably>;
  adminToken?: string;
}): ApiContext {
  return {
    headers: opts.headers,
    resHeaders: opts.resHeaders ?? null,
    getDurably: opts.getDurably ?? (() => getDurably()),
    adminToken: 'adminToken' in opts ? opts.adminToken : getServerEnv().DURABLY_ADMIN_TOKEN,
  };
}

// 2. initTRPC
const t = initTRPC.context<ApiContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const { stack: _stack, ...data } = shape.data;
    return {
      ...shape,
      data: {
        ...data,
        zodIssues: error.cause instanceof ZodError ? error.cause.issues : null,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

// 3. Engine errors -> tRPC codes, in one place
const mapEngineErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof DurableExecutionNotFoundError) {
      throw new TRPCError({ code: 'NOT_FOUND', message: cause.message, cause });
    }
    if (cause instanceof DurableWakeupRefusedError) {
      throw new TRPCError({ code: 'CONFLICT', message: cause.message, cause });
    }
    if (cause instanceof DurableExecutorShutdownError) {
      throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: cause.message, cause });
    }
    if (cause instanceof DurableOptionsError || isBadInputError(cause)) {
      const code = cause.message.includes('over the limit') ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST';
      throw new TRPCError({ code, message: cause.message, cause });
    }
  }
  return result;
});

function isBadInputError(cause: unknown): cause is DurableExecutionError {
  return (
    cause instanceof DurableExecutionError &&
    !cause.isRetryable &&
    (cause.message.startsWith('Invalid input to task') ||
      cause.message.startsWith('Error serializing value'))
  );
}

// 4. Procedures
export const publicProcedure = t.procedure.use(mapEngineErrors);

/** Mutations: same-site only, and the admin token when one is configured. */
export const adminProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.headers && isCrossSiteRequest(ctx.headers)) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'Cross-site requests are not allowed' });
  }
  if (ctx.adminToken && !isAdminRequest(ctx.headers, ctx.adminToken)) {
    throw new TRPCError({
      code: 'UNAUTHORIZED',
      message: 'This action needs the admin token (Authorization: Bearer, or log in)',
    });
  }
  return next();
});
