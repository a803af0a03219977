'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from './trpc/react';

export interface AuthState {
  /** Known once `auth.status` answered. */
  loaded: boolean;
  /** The server has an admin token: actions need the login. */
  required: boolean;
  /** Actions are allowed (no token configured, or logged in). */
  canAct: boolean;
}

export function useAuth(): AuthState {
  const trpc = useTRPC();
  const status = useQuery(trpc.auth.status.queryOptions(undefined, { staleTime: 60_000 }));
  if (!status.data) return { loaded: false, required: false, canAct: false };
  return {
    loaded: true,
    required: status.data.required,
    canAct: status.data.authenticated,
  };
}

/** The login page's address that comes back to `path` afterwards. */
export function loginHref(path: string): string {
  return `/login?next=${encodeURIComponent(path)}`;
}
