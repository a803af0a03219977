/**
 * The access policy: who may enqueue, read and cancel which task's executions. This is the
 * module an app edits (to take the owner from its own session, say). Defaults:
 * - reads are open, enqueue / cancel / rerun need the admin token (when one is configured);
 * - a task declared `access: 'public'` may be enqueued by anyone; its executions carry the
 *   caller's owner (a random id in an httpOnly cookie here), and callers without the admin
 *   token read and cancel only their own;
 * - a task whose `access` is a function decides per request;
 * - cross-site mutations are refused before any of this (see `sameSiteProcedure`).
 */
import { randomBytes } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import type { TaskAccess, TaskAccessRequest } from '@/server/tasks';
import { isAdminRequest, readCookie } from './auth';

export const OWNER_COOKIE = 'durably_owner';

/** What the policy knows of a request. */
export interface AccessContext {
  headers: Headers | null;
  resHeaders: Headers | null;
  adminToken: string | undefined;
}

export interface Caller {
  /** May do admin actions: the token is carried, or none is configured (today's rule). */
  admin: boolean;
  /** Carries the admin token (or is in-process): sees every owner's executions. */
  seesAll: boolean;
  /** The caller's owner id, when it has one. */
  owner: string | null;
}

/** Who is asking. Replace the cookie with the app's own session id to tie runs to users. */
export function callerOf(ctx: AccessContext): Caller {
  const inProcess = ctx.headers === null;
  const carriesToken = ctx.adminToken !== undefined && isAdminRequest(ctx.headers, ctx.adminToken);
  const owner = ctx.headers
    ? (readCookie(ctx.headers.get('cookie') ?? '', OWNER_COOKIE) ?? null)
    : null;
  return {
    admin: ctx.adminToken === undefined || carriesToken,
    seesAll: inProcess || carriesToken,
    owner: owner && /^[\w-]{16,64}$/.test(owner) ? owner : null,
  };
}

/** The caller's owner, minting one (and setting its cookie) on a first enqueue. */
export function ownerForEnqueue(ctx: AccessContext, caller: Caller): string | null {
  if (caller.owner || ctx.headers === null) return caller.owner;
  const owner = randomBytes(18).toString('base64url');
  const secure = ctx.headers.get('x-forwarded-proto') === 'https';
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Lax', 'Max-Age=31536000'];
  if (secure) attributes.push('Secure');
  ctx.resHeaders?.append('Set-Cookie', `${OWNER_COOKIE}=${owner}; ${attributes.join('; ')}`);
  return owner;
}

function allowedByTask(access: TaskAccess, caller: Caller, request: TaskAccessRequest): boolean {
  if (access === 'admin') return false;
  if (access === 'public') {
    if (request.action === 'enqueue') return true;
    return request.execution?.owner != null && request.execution.owner === caller.owner;
  }
  return access(request);
}

/**
 * Whether `caller` may act on `taskId` through its typed procedures. Refusals of reads are
 * NOT_FOUND (an execution of another owner is not there for this caller).
 */
export function authorizeTask(
  caller: Caller,
  access: TaskAccess,
  request: TaskAccessRequest,
): void {
  const execution = request.execution;
  const hiddenOwner =
    execution?.owner != null && !caller.seesAll && execution.owner !== caller.owner;
  if (hiddenOwner) {
    throw new TRPCError({
      code: 'NOT_FOUND',
      message: `Execution ${execution.executionId} not found`,
    });
  }
  if (request.action === 'read' && (caller.admin || execution?.owner == null)) return;
  if (caller.admin || allowedByTask(access, caller, request)) return;
  throw new TRPCError({
    code: 'UNAUTHORIZED',
    message: 'This action needs the admin token (Authorization: Bearer, or log in)',
  });
}

/** Generic (dashboard) reads: an owned execution is visible to admins and its owner only. */
export function visibleTo(caller: Caller, owner: string | null | undefined): boolean {
  return owner == null || caller.admin || owner === caller.owner;
}
