'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { ReactNode } from 'react';
import { LiveIndicator, LiveUpdates } from './LiveUpdates';
import { TRPCReactProvider, useTRPC } from './trpc/react';
import { loginHref, useAuth } from './useAuth';

const NAV = [
  {
    href: '/',
    label: 'Executions',
    match: (path: string) => path === '/' || path.startsWith('/executions'),
  },
  { href: '/tasks', label: 'Tasks', match: (path: string) => path.startsWith('/tasks') },
  { href: '/metrics', label: 'Metrics', match: (path: string) => path.startsWith('/metrics') },
  { href: '/workers', label: 'Workers', match: (path: string) => path.startsWith('/workers') },
  { href: '/enqueue', label: 'Enqueue', match: (path: string) => path.startsWith('/enqueue') },
];

/** The dashboard frame: providers, live updates, navigation and the login state. */
export function AppShell({ children }: { children: ReactNode }) {
  return (
    <TRPCReactProvider>
      <LiveUpdates>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="app-header">
          <Link href="/" className="brand">
            <svg viewBox="0 0 16 16" width="18" height="18" aria-hidden="true">
              <path
                d="M2 3h5v4H2zM9 9h5v4H9zM4.5 7v4.5H9"
                fill="none"
                stroke="currentColor"
                strokeWidth="1.6"
              />
            </svg>
            Durably
          </Link>
          <Nav />
          <div className="header-end">
            <LiveIndicator />
            <AuthControl />
          </div>
        </header>
        <main id="main" className="app-main" tabIndex={-1}>
          {children}
        </main>
      </LiveUpdates>
    </TRPCReactProvider>
  );
}

function Nav() {
  const pathname = usePathname();
  return (
    <nav aria-label="Main">
      <ul className="nav-list">
        {NAV.map((item) => (
          <li key={item.href}>
            <Link href={item.href} aria-current={item.match(pathname) ? 'page' : undefined}>
              {item.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function AuthControl() {
  const auth = useAuth();
  const pathname = usePathname();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const logout = useMutation(
    trpc.auth.logout.mutationOptions({
      onSettled: () => queryClient.invalidateQueries(trpc.auth.pathFilter()),
    }),
  );
  if (!auth.loaded || !auth.required) return null;
  if (!auth.canAct) {
    if (pathname.startsWith('/login')) return null;
    return (
      <Link className="button button-small" href={loginHref(pathname)}>
        Log in
      </Link>
    );
  }
  return (
    <button
      type="button"
      className="button button-small button-quiet"
      onClick={() => logout.mutate()}
      disabled={logout.isPending}
    >
      Log out
    </button>
  );
}
