/**
 * tRPC set-up, in order: 1. the request context (who is asking, from where), 2. initTRPC with
 * superjson and an error formatter that never leaks stacks, 3. engine errors mapped to tRPC
 * codes in one middleware, 4. the procedure builders: public and admin.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError } from 'zod';
import {
  DurableExecutionNotFoundError,
  DurableExecutorShutdownError,
  DurableInvalidInputError,
  DurableOptionsError,
  DurableSerializationError,
  DurableValueTooLargeError,
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
        // The issues of an invalid input, with paths from the request (`input.<field>`).
        zodIssues: issuesOf(error.cause),
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

function issuesOf(cause: unknown): { path: PropertyKey[]; message: string }[] | null {
  if (cause instanceof ZodError) return cause.issues;
  if (cause instanceof DurableInvalidInputError && cause.issues.length > 0) {
    return cause.issues.map((issue) => ({ ...issue, path: ['input', ...issue.path] }));
  }
  return null;
}

// 3. Engine errors -> tRPC codes, by class, in one place
const mapEngineErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    const code = codeOf(cause);
    if (code && cause instanceof Error) {
      throw new TRPCError({ code, message: cause.message, cause });
    }
  }
  return result;
});

function codeOf(cause: unknown): TRPCError['code'] | null {
  if (cause instanceof DurableExecutionNotFoundError) return 'NOT_FOUND';
  if (cause instanceof DurableWakeupRefusedError) return 'CONFLICT';
  if (cause instanceof DurableExecutorShutdownError) return 'SERVICE_UNAVAILABLE';
  if (cause instanceof DurableValueTooLargeError) return 'PAYLOAD_TOO_LARGE';
  if (
    cause instanceof DurableInvalidInputError ||
    cause instanceof DurableOptionsError ||
    cause instanceof DurableSerializationError
  ) {
    return 'BAD_REQUEST';
  }
  return null;
}

// 4. Procedures
export const publicProcedure = t.procedure.use(mapEngineErrors);

/** Mutations anyone may call (the access policy decides): same-site only. */
export const sameSiteProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.headers && isCrossSiteRequest(ctx.headers)) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'Cross-site requests are not allowed' });
  }
  return next();
});

/** Mutations: same-site only, and the admin token when one is configured. */
export const adminProcedure = sameSiteProcedure.use(({ ctx, next }) => {
  if (ctx.adminToken && !isAdminRequest(ctx.headers, ctx.adminToken)) {
    throw new TRPCError({
      code: 'UNAUTHORIZED',
      message: 'This action needs the admin token (Authorization: Bearer, or log in)',
    });
  }
  return next();
});
