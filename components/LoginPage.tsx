'use client';

import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { LoginForm } from './LoginForm';
import { useAuth } from './useAuth';

/** Only same-site paths are followed after the login. */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function LoginPage() {
  const auth = useAuth();
  const router = useRouter();
  const next = safeNext(useSearchParams().get('next'));
  if (!auth.loaded) {
    return (
      <p className="loading" role="status">
        Checking the login…
      </p>
    );
  }
  if (!auth.required) {
    return (
      <p>
        This server has no admin token, so actions need no login. <Link href={next}>Continue</Link>
      </p>
    );
  }
  if (auth.canAct) {
    return (
      <p role="status">
        You are logged in. <Link href={next}>Continue</Link>
      </p>
    );
  }
  return (
    <>
      <p>
        Browsing is open; enqueueing, cancelling and rerunning need the admin token of this server.
      </p>
      <LoginForm onSuccess={() => router.push(next)} />
    </>
  );
}
